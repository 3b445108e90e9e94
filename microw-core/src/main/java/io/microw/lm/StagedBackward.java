package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

import java.util.List;

/**
 * The backward pass of a gradient call whose graph is cut at the layers with backward controllers (DJL has no tensor
 * backward hooks). The first stage runs from the metric; then each cut, latest in the forward first, takes the
 * gradient that arrived at it (complete, since every cut downstream of it was done), lets its hooks replace it, and
 * continues the backward upstream from the layer's attached output with the replacement. Leaves (taps, weights)
 * accumulate over the stages. Every stage keeps the graph, which is freed with the forward's tensors.
 */
final class StagedBackward {

    private StagedBackward() {
    }

    /**
     * Runs the staged backward pass.
     *
     * @param value   the metric, a scalar recorded by autograd
     * @param cuts    the cutting taps in the order they ran in the forward
     * @param hooks   the call's backward hooks
     * @param manager owns the call's results; each stage works in a sub-manager of it
     */
    static void run(NDArray value, List<GradientTap> cuts, BackwardHooks hooks, NDManager manager) {
        try (NDManager stage = manager.newSubManager()) {
            NDArray one = stage.ones(value.getShape(), value.getDataType(), value.getDevice());
            backward(value, one);
        }
        for (int i = cuts.size() - 1; i >= 0; i--) {
            GradientTap cut = cuts.get(i);
            try (NDManager stage = manager.newSubManager()) {
                NDArray arriving = cut.gradient();
                arriving.attach(stage);
                NDArray upstream = hooks.run(cut.layerSignature(), arriving, cut.batchIndex(), stage);
                if (upstream != null) {
                    backward(cut.attached(), upstream);
                }
            }
        }
    }

    /** Backpropagates {@code gradient} from {@code from}, keeping the graph for the stages after. */
    private static void backward(NDArray from, NDArray gradient) {
        JniUtils.backward((PtNDArray) from, (PtNDArray) gradient, true, false);
    }
}
