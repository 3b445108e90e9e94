package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookException;
import io.microw.hooks.HookType;
import io.microw.nn.ForwardBatch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@link HookType#BACKWARD} hooks of one gradient call, by layer: the registered ones (enabled when the call
 * started), then the call's own ({@link Interventions#editGradient}, {@link Interventions#stopGradient}). On each
 * layer they run in that order on the gradient arriving at the layer's output: a detector sees the gradient as the
 * hooks before it left it, a controller replaces it.
 */
final class BackwardHooks {

    private final Layers layers;
    private final Map<String, List<HookRegistration>> byLayer;
    private final long[][] ids;
    private final long[][] mask;
    private final NDManager manager;
    private ForwardBatch batch;

    /**
     * The hooks of one call.
     *
     * @param layers  the model's layers, whose registered BACKWARD hooks are read now
     * @param perCall the call's own backward hooks, by canonical layer
     * @param ids     the call's token ids
     * @param mask    its full attention mask
     * @param manager owns the batch shown to the hooks (the call's result manager)
     */
    BackwardHooks(Layers layers, Map<String, List<HookRegistration>> perCall, long[][] ids, long[][] mask,
                  NDManager manager) {
        this.layers = layers;
        this.ids = ids;
        this.mask = mask;
        this.manager = manager;
        Map<String, List<HookRegistration>> all = new HashMap<>(layers.backwardHooks());
        perCall.forEach((layer, regs) -> all.computeIfAbsent(layer, k -> new ArrayList<>()).addAll(regs));
        this.byLayer = all;
    }

    /** The canonical layers that have a backward hook. */
    Set<String> layers() {
        return byLayer.keySet();
    }

    /** Whether a backward controller may replace the gradient at a layer: the graph is cut there. */
    boolean controls(String layer) {
        return byLayer.getOrDefault(layer, List.of()).stream().anyMatch(HookRegistration::isController);
    }

    /**
     * Shows a layer's hooks the gradient arriving at its output, in order, and returns what to send upstream; what a
     * hook throws becomes a {@link HookException} naming it.
     *
     * @param layer      the canonical layer
     * @param arriving   d metric / d the layer's output; left untouched (each controller gets its own copy)
     * @param batchIndex the running number of the call's forward
     * @param scope      owns what the hooks make, and the replacement; closed by the caller after using it
     * @return the gradient to send upstream, in {@code scope} unless unchanged; {@code null} when a stop-gradient
     *         was the last word
     */
    NDArray run(String layer, NDArray arriving, long batchIndex, NDManager scope) {
        NDArray current = arriving;
        boolean stopped = false;
        for (HookRegistration reg : byLayer.getOrDefault(layer, List.of())) {
            if (reg.hook() instanceof Detector detector) {
                HookCall call = call(layer, current, batchIndex, scope);
                HookDispatcher.guarded(reg, () -> {
                    detector.processActivations(call);
                    return null;
                });
            }
            if (reg.hook() instanceof Controller controller) {
                NDArray copy = current.duplicate();
                copy.attach(scope);
                HookCall call = call(layer, copy, batchIndex, scope);
                NDArray replacement = HookDispatcher.guarded(reg, () -> controller.modifyActivations(call));
                if (replacement != null) {
                    current = checked(reg, replacement, current, scope);
                    stopped = reg.hook() instanceof StopGradient;
                }
            }
        }
        return stopped ? null : current;
    }

    private HookCall call(String layer, NDArray gradient, long batchIndex, NDManager scope) {
        return new ModelHookCall(layer, HookType.BACKWARD, layers.module(layer), new NDList(), new NDList(gradient),
                batch(batchIndex), scope);
    }

    /** The call's batch, made the first time a hook needs it. */
    private ForwardBatch batch(long batchIndex) {
        if (batch == null) {
            batch = new ForwardBatch(BatchInputs.toArray(manager, ids), BatchInputs.toArray(manager, mask),
                    BatchInputs.toArray(manager, BatchInputs.positionsFromMask(mask)), List.of(), null, batchIndex,
                    -1);
        }
        return batch;
    }

    /** A controller's replacement checked against the gradient it replaces, in that gradient's type and device. */
    private static NDArray checked(HookRegistration reg, NDArray replacement, NDArray replaced, NDManager scope) {
        String who = "backward controller '" + reg.hook().id() + "' on layer '" + reg.layer() + "'";
        if (!replacement.getShape().equals(replaced.getShape())) {
            throw new HookException(who + " returned a gradient of shape " + replacement.getShape()
                    + " but the gradient it replaces has shape " + replaced.getShape());
        }
        NDArray owned = replacement.getManager() == scope ? replacement : replacement.duplicate();
        owned.attach(scope);
        owned = owned.toType(replaced.getDataType(), false).toDevice(replaced.getDevice(), false);
        if (owned.isNaN().any().getBoolean() || owned.isInfinite().any().getBoolean()) {
            throw new HookException(who + " returned a gradient with NaN or infinite values; return finite values "
                    + "of the same shape, or null to keep the gradient");
        }
        return owned;
    }
}
