package io.microw.io;

import java.nio.ByteBuffer;
import java.util.Set;

/** Named tensors to load model weights from: one safetensors file or a sharded checkpoint. */
public interface WeightSource extends AutoCloseable {

    /**
     * Tensor names, in file order.
     *
     * @return the names
     */
    Set<String> names();

    /**
     * Header entry of a tensor; an unknown name is a {@link SafetensorsException}.
     *
     * @param name a tensor name
     * @return its dtype, shape and byte range
     */
    TensorInfo info(String name);

    /**
     * The tensor's elements converted to float32.
     *
     * @param name a tensor name
     * @return the values, row-major
     */
    float[] readFloats(String name);

    /**
     * Writes the tensor's elements, converted to float32, into {@code target} at its position (which advances by
     * 4 bytes per element), in the buffer's byte order. Meant for a direct buffer that becomes an engine tensor, so
     * that no Java array holds a second copy of the weights.
     *
     * @param name   a tensor name
     * @param target a buffer with at least 4 bytes per element remaining
     */
    default void readFloats(String name, ByteBuffer target) {
        target.asFloatBuffer().put(readFloats(name));
        target.position(target.position() + 4 * (int) info(name).numel());
    }

    /**
     * The elements of an integer or bool tensor as longs.
     *
     * @param name a tensor name
     * @return the values, row-major
     */
    long[] readLongs(String name);

    /**
     * Whether the source has a tensor of this name.
     *
     * @param name a tensor name
     * @return true when it does
     */
    boolean contains(String name);

    /**
     * Where the weights come from, for error messages (e.g. the file path).
     *
     * @return the description
     */
    String describe();

    @Override
    void close();
}
