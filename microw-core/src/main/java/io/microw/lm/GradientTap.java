package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;

import java.util.List;

/**
 * A per-call controller that adds a zero tensor requiring a gradient to a layer's output: the output keeps its
 * value and its place in the graph, and the backward pass leaves d metric / d output in the zero tensor's gradient.
 * A cutting tap (one on a layer with a backward controller) also detaches the output from the graph before adding the
 * zero, so the backward stops there; it keeps the attached output, from which {@link StagedBackward} continues with
 * the gradient the controllers chose.
 */
final class GradientTap extends BaseHook implements Controller {

    private final NDManager manager;
    private final List<GradientTap> cutsRun;
    private NDArray zero;
    private NDArray attached;
    private long batchIndex;

    /**
     * A tap on one layer.
     *
     * @param layer   the canonical layer name
     * @param manager owns the zero tensor and its gradient (it must outlive the forward)
     */
    GradientTap(String layer, NDManager manager) {
        this(layer, manager, null);
    }

    /**
     * A tap that cuts the graph at one layer.
     *
     * @param layer   the canonical layer name
     * @param manager owns the zero tensor and its gradient (it must outlive the forward)
     * @param cutsRun the call's cutting taps in the order they ran, which this one joins when it runs; {@code null}
     *                for a tap that does not cut
     */
    GradientTap(String layer, NDManager manager, List<GradientTap> cutsRun) {
        super(HookType.FORWARD, layer);
        this.manager = manager;
        this.cutsRun = cutsRun;
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
        if (cutsRun == null) {
            return output.add(zero);
        }
        // a leaf of its own keeps the attached output in the graph even when nothing upstream needs a gradient, so the
        // backward can always continue from it
        NDArray anchor = manager.zeros(output.getShape(), output.getDataType(), output.getDevice());
        anchor.setRequiresGradient(true);
        attached = output.add(anchor);
        cutsRun.add(this);
        return output.stopGradient().add(zero);
    }

    /** The running number of the forward the tap ran in. */
    long batchIndex() {
        return batchIndex;
    }

    /** For a cutting tap: the layer's output still attached to the graph upstream of it, owned by the forward. */
    NDArray attached() {
        return attached;
    }

    /**
     * After the backward pass: d metric / d the layer's output, owned by the tap's manager. At a cut this is the
     * gradient arriving there, before any backward controller replaced it.
     */
    NDArray gradient() {
        if (zero == null) {
            throw new IllegalStateException("layer '" + layerSignature() + "' did not run in the forward, so it has "
                    + "no gradient");
        }
        return zero.getGradient();
    }
}
