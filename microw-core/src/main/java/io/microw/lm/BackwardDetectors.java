package io.microw.lm;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.nn.ForwardBatch;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The registered {@link HookType#BACKWARD} detectors of one gradient call: the layers whose gradient it must take,
 * and, after the backward pass, one {@link HookCall} per detector showing it d metric / d its layer's output.
 */
final class BackwardDetectors {

    private final Layers layers;
    private final Map<String, List<HookRegistration>> byLayer;

    BackwardDetectors(Layers layers) {
        this.layers = layers;
        this.byLayer = layers.backwardDetectors();
    }

    /** The canonical layers that have a backward detector. */
    Set<String> layers() {
        return byLayer.keySet();
    }

    /**
     * Shows each detector its layer's gradient; what a detector throws becomes a {@code HookException} naming it.
     *
     * @param taps    the call's taps, one per layer of {@link #layers()} at least
     * @param ids     the call's token ids
     * @param mask    its full attention mask
     * @param manager owns the batch made for the calls (the taps' manager)
     */
    void run(Map<String, GradientTap> taps, long[][] ids, long[][] mask, NDManager manager) {
        if (byLayer.isEmpty()) {
            return;
        }
        ForwardBatch batch = new ForwardBatch(BatchInputs.toArray(manager, ids), BatchInputs.toArray(manager, mask),
                BatchInputs.toArray(manager, BatchInputs.positionsFromMask(mask)), List.of(), null,
                taps.values().iterator().next().batchIndex(), -1);
        byLayer.forEach((layer, registrations) -> {
            NDList gradient = new NDList(taps.get(layer).gradient());
            for (HookRegistration reg : registrations) {
                HookCall call = new HookCall(layer, HookType.BACKWARD, layers.module(layer), new NDList(), gradient,
                        batch, manager);
                HookDispatcher.guarded(reg, () -> {
                    ((Detector) reg.hook()).processActivations(call);
                    return null;
                });
            }
        });
    }
}
