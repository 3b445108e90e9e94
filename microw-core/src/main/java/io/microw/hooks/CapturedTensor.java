package io.microw.hooks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * One tensor kept across forwards: a float32 CPU copy in a manager of its own, replaced on each capture so
 * that at most one copy is alive. Detectors use it to keep what a forward showed them.
 */
final class CapturedTensor implements AutoCloseable {

    private NDManager manager;
    /** Holds the current copy and whatever is computed from it ({@code get().mean()}); closed on the next capture. */
    private NDManager current;
    private NDArray value;

    /**
     * Replaces the kept tensor with a float32 CPU copy of {@code source}.
     *
     * @param source the tensor to copy; it is left untouched and may be closed afterwards
     */
    public synchronized void capture(NDArray source) {
        if (manager == null) {
            manager = NDManager.newBaseManager(Device.cpu());
        }
        // toType(FLOAT32, true) on a CPU float32 tensor returns a new handle on the same storage, not a copy:
        // duplicate explicitly when neither the device move nor the conversion made one.
        NDArray converted = source.toDevice(Device.cpu(), false).toType(DataType.FLOAT32, false);
        NDArray copy = converted == source ? source.duplicate() : converted;
        NDManager holder = manager.newSubManager();
        copy.attach(holder);
        clear();
        current = holder;
        value = copy;
    }

    /**
     * The kept tensor, or {@code null} if nothing was captured since the last clear. Arrays computed from it
     * belong to it and are freed with it at the next capture: copy out (toFloatArray) what must outlive it.
     *
     * @return the kept float32 CPU tensor, or {@code null}
     */
    public synchronized NDArray get() {
        return value;
    }

    /** Frees the kept tensor and the arrays computed from it. */
    public synchronized void clear() {
        if (current != null) {
            current.close();
            current = null;
        }
        value = null;
    }

    /** Frees the kept tensor and the manager. */
    @Override
    public synchronized void close() {
        clear();
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }
}
