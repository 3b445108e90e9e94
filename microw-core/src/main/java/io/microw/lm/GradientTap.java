package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;

/**
 * A per-call controller that adds a zero tensor requiring a gradient to a layer's output: the output keeps its
 * value and its place in the graph, and the backward pass leaves d metric / d output in the zero tensor's gradient.
 */
final class GradientTap extends BaseHook implements Controller {

    private final NDManager manager;
    private NDArray zero;
    private long batchIndex;

    /**
     * A tap on one layer.
     *
     * @param layer   the canonical layer name
     * @param manager owns the zero tensor and its gradient (it must outlive the forward)
     */
    GradientTap(String layer, NDManager manager) {
        super(HookType.FORWARD, layer);
        this.manager = manager;
    }

    @Override
    public NDArray modifyActivations(HookCall call) {
        NDArray output = call.activations();
        if (zero != null) {
            throw new IllegalStateException("layer '" + layerSignature() + "' ran twice in one forward; a gradient "
                    + "is taken at a layer that runs once");
        }
        batchIndex = call.batch().batchIndex();
        zero = manager.zeros(output.getShape(), output.getDataType(), output.getDevice());
        zero.setRequiresGradient(true);
        return output.add(zero);
    }

    /** The running number of the forward the tap ran in. */
    long batchIndex() {
        return batchIndex;
    }

    /** After the backward pass: d metric / d the layer's output, owned by the tap's manager. */
    NDArray gradient() {
        if (zero == null) {
            throw new IllegalStateException("layer '" + layerSignature() + "' did not run in the forward, so it has "
                    + "no gradient");
        }
        return zero.getGradient();
    }
}
