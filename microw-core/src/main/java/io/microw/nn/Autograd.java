package io.microw.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import java.util.function.Supplier;

/**
 * Whether the forward running on this thread is recorded by autograd for a backward pass, and the arithmetic that
 * must change then. An operation such as sigmoid or tanh keeps its output for the backward, so that output may be
 * changed in place only when nothing is recorded (the plain, faster inference path). And DJL's arithmetic with a
 * Java number makes the number a tensor over Java memory that it frees at once: an operation that keeps its operand
 * for the backward (a product, a quotient, a power) would read it after the garbage collector reclaimed it, so a
 * recorded forward uses a number tensor that PyTorch allocates instead.
 */
public final class Autograd {

    private static final ThreadLocal<Boolean> RECORDING = ThreadLocal.withInitial(() -> false);
    private static final Object COLLECTOR_LOCK = new Object();

    private Autograd() {
    }

    /**
     * The lock to hold while a DJL gradient collector is open: the PyTorch engine allows one collector at a time in
     * the JVM, so every user of one ({@code lm.gradients()}, probe training) synchronizes on this object.
     *
     * @return the JVM-wide lock
     */
    public static Object collectorLock() {
        return COLLECTOR_LOCK;
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
        return recording() ? a.mul(number(a, b)) : a.muli(b);
    }

    /**
     * a · b as a new tensor.
     *
     * @param a the tensor to scale
     * @param b the factor
     * @return the product
     */
    public static NDArray times(NDArray a, float b) {
        return recording() ? a.mul(number(a, b)) : a.mul(b);
    }

    /**
     * a / b, in place in {@code a} unless the forward is recorded.
     *
     * @param a the tensor to divide
     * @param b the divisor
     * @return the quotient
     */
    public static NDArray div(NDArray a, float b) {
        return recording() ? a.div(number(a, b)) : a.divi(b);
    }

    /**
     * a / b as a new tensor.
     *
     * @param a the tensor to divide
     * @param b the divisor
     * @return the quotient
     */
    public static NDArray over(NDArray a, float b) {
        return recording() ? a.div(number(a, b)) : a.div(b);
    }

    /**
     * a to the power b as a new tensor.
     *
     * @param a the base
     * @param b the exponent
     * @return the power
     */
    public static NDArray pow(NDArray a, float b) {
        return recording() ? a.pow(number(a, b)) : a.pow(b);
    }

    /** A scalar tensor PyTorch allocates, in {@code like}'s manager, type and device. */
    private static NDArray number(NDArray like, float value) {
        return like.getManager().full(new Shape(), value, like.getDataType(), like.getDevice());
    }
}
