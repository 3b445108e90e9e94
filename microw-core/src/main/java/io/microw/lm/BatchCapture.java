package io.microw.lm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;

/** The detector activation saving puts on each requested layer: keeps the last output as a float32 heap array. */
final class BatchCapture extends BaseHook implements Detector {

    private float[] values;
    private long[] shape;

    BatchCapture(String canonicalLayer, String id) {
        super(HookType.FORWARD, canonicalLayer, id);
    }

    @Override
    public synchronized void processActivations(HookCall call) {
        NDArray a = call.activations();
        if (a == null) {
            return;
        }
        shape = a.getShape().getShape();
        values = a.toDevice(Device.cpu(), false).toType(DataType.FLOAT32, false).toFloatArray();
    }

    /** The shape of the last capture, or {@code null} if the layer did not run. */
    synchronized long[] shape() {
        return shape;
    }

    /** Hands over the last capture and forgets it. */
    synchronized float[] take() {
        float[] v = values;
        values = null;
        return v;
    }
}
