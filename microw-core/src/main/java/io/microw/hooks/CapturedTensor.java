package io.microw.hooks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * One tensor kept across forwards: a float32 CPU copy in a manager of its own, replaced on each capture so
 * that at most one copy is alive. Detectors use it to keep what a forward showed them.
 */
public final class CapturedTensor implements AutoCloseable {

    private NDManager manager;
    private NDArray value;

    /** Replaces the kept tensor with a float32 CPU copy of {@code source}. */
    public synchronized void capture(NDArray source) {
        if (manager == null) {
            manager = NDManager.newBaseManager(Device.cpu());
        }
        NDArray copy = source.toDevice(Device.cpu(), false).toType(DataType.FLOAT32, true);
        copy.attach(manager);
        clear();
        value = copy;
    }

    /** The kept tensor, or {@code null} if nothing was captured since the last clear. */
    public synchronized NDArray get() {
        return value;
    }

    /** Frees the kept tensor. */
    public synchronized void clear() {
        if (value != null) {
            value.close();
            value = null;
        }
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
