package io.microw.io;

import java.util.Set;

/** Named tensors to load model weights from: one safetensors file or a sharded checkpoint. */
public interface WeightSource extends AutoCloseable {

    /** Tensor names, in file order. */
    Set<String> names();

    /** Header entry of a tensor; an unknown name is a {@link SafetensorsException}. */
    TensorInfo info(String name);

    /** The tensor's elements converted to float32. */
    float[] readFloats(String name);

    /** The elements of an integer or bool tensor as longs. */
    long[] readLongs(String name);

    boolean contains(String name);

    /** Where the weights come from, for error messages (e.g. the file path). */
    String describe();

    @Override
    void close();
}
