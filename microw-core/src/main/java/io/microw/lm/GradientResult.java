package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.HashMap;
import java.util.Map;

/**
 * What one {@link Gradients} call computed: the metric's value, d metric / d each requested site's output (in the
 * model's dtype, float32 or float64, shaped as the activation) and d metric / d each requested weight (in the
 * checkpoint's layout). A gradient that is zero everywhere means the metric does not depend on that site or weight:
 * {@link #get} and {@link #parameter} refuse it with an {@link IllegalStateException} naming it, and
 * {@link #dependsOn} asks first. Owns its arrays: close it to free them.
 */
public final class GradientResult implements AutoCloseable {

    private final Layers layers;
    private final float value;
    private final Map<String, NDArray> sites;
    private final Map<String, NDArray> weights;
    private final RunResult run;
    private final NDManager manager;
    private final Map<String, Boolean> nonZero = new HashMap<>();

    GradientResult(Layers layers, float value, Map<String, NDArray> sites, Map<String, NDArray> weights,
                   RunResult run, NDManager manager) {
        this.layers = layers;
        this.value = value;
        this.sites = sites;
        this.weights = weights;
        this.run = run;
        this.manager = manager;
    }

    /**
     * The metric on this forward.
     *
     * @return its value
     */
    public float value() {
        return value;
    }

    /**
     * d metric / d the output of a requested site. At a layer with a backward controller, this is the gradient as it
     * arrived there, before the controller replaced it; sites upstream of it see the replacement.
     *
     * @param site a layer name or alias of a site the call asked for
     * @return the gradient, shaped as the activation, owned by this result
     * @throws IllegalStateException when the metric does not depend on the site (its gradient is zero everywhere)
     */
    public NDArray get(String site) {
        if (!dependsOn(site)) {
            throw new IllegalStateException("the metric does not depend on '" + site + "': its gradient there is zero"
                    + " everywhere (check dependsOn(site) first)");
        }
        return siteGradient(site);
    }

    /**
     * Whether the metric depends on a requested site: its gradient there is not zero everywhere.
     *
     * @param site a layer name or alias of a site the call asked for
     * @return false when the gradient is exactly zero
     */
    public boolean dependsOn(String site) {
        return isNonZero("site " + layers.resolve(site), siteGradient(site));
    }

    /**
     * d metric / d a weight asked for with {@link Gradients#withParameters}, in the checkpoint's layout.
     *
     * @param checkpointName the weight's name in the checkpoint
     * @return the gradient, shaped as the stored weight, owned by this result
     * @throws IllegalStateException when the gradient is zero everywhere (the metric does not depend on the weight, or
     *                               the model uses a copy derived from it at load)
     */
    public NDArray parameter(String checkpointName) {
        NDArray gradient = weights.get(checkpointName);
        if (gradient == null) {
            throw new IllegalArgumentException("the gradient of weight '" + checkpointName + "' was not asked for;"
                    + " this result has " + weights.keySet() + "; ask with gradients().withParameters(name)");
        }
        if (!isNonZero("weight " + checkpointName, gradient)) {
            throw new IllegalStateException("the gradient of weight '" + checkpointName + "' is zero everywhere: the"
                    + " metric does not depend on it, or the model computes with a copy made from it at load (such as"
                    + " Gemma's 1 + norm weight)");
        }
        return gradient;
    }

    /**
     * What the call's interventions captured.
     *
     * @return the cache, owned by this result
     */
    public ActivationCache cache() {
        return run.cache();
    }

    private NDArray siteGradient(String site) {
        String canonical = layers.resolve(site);
        NDArray gradient = sites.get(canonical);
        if (gradient == null) {
            throw new IllegalArgumentException("the gradient at '" + site + "' (" + canonical + ") was not asked for;"
                    + " this result has " + sites.keySet() + "; name it among the sites of gradients().of(...)");
        }
        return gradient;
    }

    /** Whether a gradient has a nonzero entry, worked out once per key. */
    private boolean isNonZero(String key, NDArray gradient) {
        return nonZero.computeIfAbsent(key, k -> {
            try (NDManager scope = manager.newSubManager()) {
                scope.tempAttachAll(gradient);
                return gradient.neq(0f).any().getBoolean();
            }
        });
    }

    /** Frees the gradients, the logits and the cache. */
    @Override
    public void close() {
        try {
            run.close();
        } finally {
            manager.close();
        }
    }
}
