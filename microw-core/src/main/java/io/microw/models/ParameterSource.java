package io.microw.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** Where a model's parameters come from while it is built: a checkpoint, or random initialisation. */
public interface ParameterSource {

    /**
     * The float32 parameter {@code name} (HF name) of the given shape; missing or misshapen is an error.
     *
     * @param name  the Hugging Face parameter name
     * @param shape the shape the model expects
     * @param init  how a random source fills it; a checkpoint ignores it
     * @return the parameter
     */
    NDArray get(String name, Shape shape, Init init);

    /**
     * Whether the source has this parameter (an untied output head is optional in some checkpoints).
     *
     * @param name the Hugging Face parameter name
     * @return whether {@link #get} would find it
     */
    boolean has(String name);

    /**
     * A parameter the checkpoint stores transposed to how the model uses it (GPT-2's {@code Conv1D} stores a
     * linear layer's weight [in, out]): the stored tensor transposed and copied into row-major order, so a linear
     * layer reads its [out, in] weight as {@code torch.nn.Linear} does (a transposed view of the stored tensor is
     * up to a fifth slower in the decoding-sized products of generation); the stored tensor is freed.
     *
     * @param name        the Hugging Face parameter name
     * @param storedShape its shape in the checkpoint
     * @param init        how a random source fills it; a checkpoint ignores it
     * @return the parameter, transposed, row-major
     */
    default NDArray getTransposed(String name, Shape storedShape, Init init) {
        try (NDArray stored = get(name, storedShape, init);
             NDArray transposed = stored.transpose();
             NDArray flat = transposed.flatten()) {
            return flat.reshape(storedShape.get(1), storedShape.get(0));
        }
    }
}
