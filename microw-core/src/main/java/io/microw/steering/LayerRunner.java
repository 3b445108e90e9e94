package io.microw.steering;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;


/**
 * Runs a model up to one layer with no hooks at all, so that building or checking a steering vector neither
 * triggers the user's detectors nor is changed by their controllers.
 */
final class LayerRunner {

    private LayerRunner() {
    }

    /** A layer output as float32 on the heap, [batch, seq, width]. */
    record Output(float[] values, int batch, int seq, int width) {
    }

    /** The output of {@code layer} (canonical name) for the given ids and mask [batch, seq]. */
    static Output run(LanguageModel lm, String layer, long[][] ids, long[][] mask) {
        int b = ids.length;
        int s = ids[0].length;
        InferenceOptions options = InferenceOptions.defaults().withHooks(false).withStopAfterLayer(layer);
        try (InferenceResult result = lm.inference().forward(ids, mask, null, options)) {
            NDArray out = result.output();
            Shape os = out.getShape();
            if (os.dimension() < 3 || os.get(0) != b || os.get(1) != s) {
                throw new SteeringException("layer '" + layer + "' produces activations of shape " + os
                        + "; a steering vector needs [batch=" + b + ", seq=" + s + ", width]");
            }
            int width = (int) (os.size() / ((long) b * s));
            if (os.dimension() > 3) {
                throw new SteeringException("layer '" + layer + "' produces activations of shape " + os
                        + "; a steering vector needs a [batch, seq, width] output (hook a layer whose output is the "
                        + "residual stream or a projection)");
            }
            float[] values = out.toType(DataType.FLOAT32, false).toFloatArray();
            return new Output(values, b, s, width);
        }
    }

    /** The width of {@code layer}'s output, from a one-token forward. */
    static int width(LanguageModel lm, String layer) {
        long[] shape = lm.inference().layerOutputShape(layer);
        return (int) shape[shape.length - 1];
    }
}
