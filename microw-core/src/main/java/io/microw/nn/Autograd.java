package io.microw.nn;

import ai.djl.ndarray.NDArray;

import java.util.function.Supplier;

/**
 * Whether the forward running on this thread is recorded by autograd for a backward pass, and the in-place
 * arithmetic that must step aside then: an operation such as sigmoid or tanh keeps its output for the backward,
 * so that output may be changed in place only when nothing is recorded (the plain, faster inference path).
 */
public final class Autograd {

    private static final ThreadLocal<Boolean> RECORDING = ThreadLocal.withInitial(() -> false);

    private Autograd() {
    }

    /**
     * Whether this thread is running a forward that autograd records.
     *
     * @return true inside {@link #record}
     */
    public static boolean recording() {
        return RECORDING.get();
    }

    /**
     * Runs a forward marked as recorded, so the modules keep every tensor the backward pass needs.
     *
     * @param <T>     what the forward returns
     * @param forward the forward
     * @return its result
     */
    public static <T> T record(Supplier<T> forward) {
        RECORDING.set(true);
        try {
            return forward.get();
        } finally {
            RECORDING.set(false);
        }
    }

    /**
     * a · b, in place in {@code a} unless the forward is recorded.
     *
     * @param a the tensor to scale, possibly saved by the operation that made it
     * @param b the factor, broadcast against {@code a}
     * @return the product
     */
    public static NDArray mul(NDArray a, NDArray b) {
        return recording() ? a.mul(b) : a.muli(b);
    }

    /**
     * a · b, in place in {@code a} unless the forward is recorded.
     *
     * @param a the tensor to scale, possibly saved by the operation that made it
     * @param b the factor
     * @return the product
     */
    public static NDArray mul(NDArray a, float b) {
        return recording() ? a.mul(b) : a.muli(b);
    }
}
