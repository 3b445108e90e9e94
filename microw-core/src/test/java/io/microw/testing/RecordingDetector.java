package io.microw.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;

import java.util.ArrayList;
import java.util.List;

/** Test detector keeping every input and output tensor of the last call as heap arrays. */
public final class RecordingDetector extends BaseHook implements Detector {

    public final List<float[]> outputs = new ArrayList<>();
    public final List<long[]> outputShapes = new ArrayList<>();
    public final List<float[]> inputs = new ArrayList<>();
    public final List<long[]> inputShapes = new ArrayList<>();
    public int calls;

    public RecordingDetector(String layer) {
        super(HookType.FORWARD, layer);
    }

    @Override
    public void processActivations(HookCall call) {
        calls++;
        copy(call.outputs(), outputs, outputShapes);
        copy(call.inputs(), inputs, inputShapes);
    }

    private static void copy(NDList list, List<float[]> values, List<long[]> shapes) {
        values.clear();
        shapes.clear();
        for (NDArray a : list) {
            values.add(a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
            shapes.add(a.getShape().getShape());
        }
    }
}
