package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.microw.nn.Autograd;
import io.microw.nn.Linear;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Gradients of a {@link LogitMetric} with respect to activations (any hook point or module output) and, on request,
 * weights: one forward with autograd and one backward pass per call. Get it from {@link LanguageModel#gradients()}:
 * <pre>{@code
 * try (GradientResult g = lm.gradients().withParameters("transformer.h.0.mlp.c_fc.weight")
 *         .of(ids, mask, LogitMetric.logitDiff(a, b), "blocks.*.hook_resid_pre")) {
 *     NDArray d = g.get("blocks.1.hook_resid_pre");   // same shape as the activation
 * }
 * }</pre>
 * {@link io.microw.hooks.HookType#BACKWARD} hooks act on the gradient arriving at their layer's output: registered
 * detectors see it, and registered controllers and the call's {@link Interventions#editGradient} and
 * {@link Interventions#stopGradient} replace what goes on upstream (the graph is cut at their layers and the backward
 * runs in stages, see {@code StagedBackward}; without them it is one plain backward pass). Only these calls record a
 * graph; every other forward stays gradient-free. The model must be float32, or float64 for precise checks (its
 * gradients are then float64); float16 is refused. Calls are serialized: one runs at a time in the JVM (DJL's PyTorch
 * engine has a single gradient collector).
 */
public final class Gradients {

    private static final Object ONE_COLLECTOR = Autograd.collectorLock();

    private final Layers layers;
    private final InferenceEngine engine;
    private final NDManager modelManager;
    private final DataType dtype;
    private final ModelParameters parameters;
    private final Set<String> weights;

    Gradients(Layers layers, InferenceEngine engine, NDManager modelManager, DataType dtype,
              ModelParameters parameters) {
        this(layers, engine, modelManager, dtype, parameters, Set.of());
    }

    private Gradients(Layers layers, InferenceEngine engine, NDManager modelManager, DataType dtype,
                      ModelParameters parameters, Set<String> weights) {
        this.layers = layers;
        this.engine = engine;
        this.modelManager = modelManager;
        this.dtype = dtype;
        this.parameters = parameters;
        this.weights = weights;
    }

    /**
     * The same runner, also giving d metric / d each named weight ({@link GradientResult#parameter}).
     *
     * @param checkpointNames weight names as the checkpoint stores them, e.g. {@code transformer.h.0.mlp.c_fc.weight}
     * @return a runner asking for these weights' gradients too
     */
    public Gradients withParameters(String... checkpointNames) {
        Set<String> names = new LinkedHashSet<>(weights);
        for (String name : checkpointNames) {
            parameters.get(name);
            names.add(name);
        }
        return new Gradients(layers, engine, modelManager, dtype, parameters, Set.copyOf(names));
    }

    /**
     * Runs the model on token ids and takes the metric's gradient at the given sites.
     *
     * @param ids    token ids [batch][seq]
     * @param mask   1 for real tokens, 0 for padding, [batch][seq]; or {@code null} for no padding
     * @param metric a differentiable metric ({@link LogitMetric#tensor})
     * @param sites  layer names, aliases or glob patterns (each selected layer's output gets its gradient)
     * @return the metric and its gradients; close it to free them
     */
    public GradientResult of(long[][] ids, long[][] mask, LogitMetric metric, String... sites) {
        return of(ids, mask, Interventions.none(), metric, sites);
    }

    /**
     * Runs the model with per-call interventions and takes the metric's gradient through that forward: a site's
     * gradient is taken at its output after the interventions on it. Gradient edits and stops among the interventions
     * act in the backward pass.
     *
     * @param ids           token ids [batch][seq]
     * @param mask          1 for real tokens, 0 for padding, [batch][seq]; or {@code null} for no padding
     * @param interventions what to capture (into {@link GradientResult#cache()}) and change in this forward
     * @param metric        a differentiable metric ({@link LogitMetric#tensor})
     * @param sites         layer names, aliases or glob patterns
     * @return the metric and its gradients; close it to free them
     */
    public GradientResult of(long[][] ids, long[][] mask, Interventions interventions, LogitMetric metric,
                             String... sites) {
        Objects.requireNonNull(interventions, "interventions");
        Objects.requireNonNull(metric, "metric");
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64) {
            throw new IllegalStateException("gradients need a float32 or float64 model, but this one was loaded in "
                    + dtype + "; load it with LoadOptions.defaults() (float32) to take gradients");
        }
        List<String> canonical = sites(sites);
        Map<String, List<HookRegistration>> perCallBackward = interventions.bindBackward(layers);
        NDManager manager = modelManager.newSubManager();
        try {
            BackwardHooks backwardHooks = new BackwardHooks(layers, perCallBackward, ids,
                    mask != null ? mask : BatchInputs.ones(ids), manager);
            Map<String, GradientTap> taps = new LinkedHashMap<>();
            List<GradientTap> cutsRun = new ArrayList<>();
            Map<String, List<HookRegistration>> hooks = new LinkedHashMap<>();
            Set<String> tapped = new LinkedHashSet<>(canonical);
            tapped.addAll(backwardHooks.layers());
            for (String layer : tapped) {
                GradientTap tap = backwardHooks.controls(layer) ? new GradientTap(layer, manager, cutsRun)
                        : new GradientTap(layer, manager);
                taps.put(layer, tap);
                hooks.put(layer, List.of(new HookRegistration(layer, tap)));
            }
            // the engine's own lock (its forwards are synchronized on it) keeps plain forwards out while weights
            // track gradients
            synchronized (ONE_COLLECTOR) {
                synchronized (engine) {
                    return backward(ids, mask, interventions.forwardSteps(), metric, canonical, taps, hooks,
                            new Cuts(cutsRun, backwardHooks), manager);
                }
            }
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    /** The cutting taps of a call, filled in the order they run by the forward, and the hooks that act there. */
    private record Cuts(List<GradientTap> run, BackwardHooks hooks) {
    }

    private GradientResult backward(long[][] ids, long[][] mask, Interventions interventions, LogitMetric metric,
                                    List<String> sites, Map<String, GradientTap> taps,
                                    Map<String, List<HookRegistration>> hooks, Cuts cuts, NDManager manager) {
        try (GradientCollector collector = manager.getEngine().newGradientCollector();
             WeightGradients weightGradients = WeightGradients.track(parameters, weights)) {
            boolean lastOnly = unembedsLastPositionOnly(metric, mask);
            Interventions forward = lastOnly ? interventions.and(Interventions.logitsAtLastPosition()) : interventions;
            RunResult run = Autograd.record(() -> engine.runWith(ids, mask, null, forward, hooks));
            try {
                NDArray value = Autograd.record(() -> metric.tensor(run.logits(), lastOnly ? null : mask));
                float scalar = ((Number) value.toArray()[0]).floatValue();
                if (cuts.run().isEmpty()) {
                    collector.backward(value);
                } else {
                    StagedBackward.run(value, cuts.run(), cuts.hooks(), manager);
                }
                runUncutHooks(taps, cuts, manager);
                Map<String, NDArray> siteGradients = new LinkedHashMap<>();
                sites.forEach(site -> siteGradients.put(site, taps.get(site).gradient()));
                GradientResult result = new GradientResult(layers, scalar, siteGradients,
                        weightGradients.read(manager), run, manager);
                run.releaseForward();
                return result;
            } catch (RuntimeException | Error e) {
                run.close();
                throw e;
            }
        }
    }

    /**
     * Whether the forward may compute the logits at the last position only: the metric reads nothing else, no row
     * is padded, and the unembedding is a linear layer. The unembedding's forward and backward then skip every
     * other position, which for a large vocabulary is a large part of the call.
     */
    private boolean unembedsLastPositionOnly(LogitMetric metric, long[][] mask) {
        if (!metric.readsLastTokenOnly() || !layers.aliases().containsKey("unembed")
                || !(layers.module("unembed") instanceof Linear)) {
            return false;
        }
        if (mask != null) {
            for (long[] row : mask) {
                for (long m : row) {
                    if (m == 0) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** After the whole backward pass: the backward hooks on layers without a cut (those at cuts ran in the pass). */
    private static void runUncutHooks(Map<String, GradientTap> taps, Cuts cuts, NDManager manager) {
        for (String layer : cuts.hooks().layers()) {
            GradientTap tap = taps.get(layer);
            if (!cuts.run().contains(tap)) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray gradient = tap.gradient();
                    gradient.attach(scope);
                    cuts.hooks().run(layer, gradient, tap.batchIndex(), scope);
                }
            }
        }
    }

    /** The canonical layers the patterns select, each once, in the order asked. */
    private List<String> sites(String[] patterns) {
        if ((patterns == null || patterns.length == 0) && weights.isEmpty()) {
            throw new IllegalArgumentException("no gradient asked for: name at least one site (a layer name, alias or "
                    + "pattern such as 'blocks.*.hook_resid_pre') or weights with withParameters(...)");
        }
        Set<String> out = new LinkedHashSet<>();
        for (String pattern : patterns == null ? new String[0] : patterns) {
            for (String canonical : layers.match(pattern)) {
                if (!layers.module(canonical).isCallable()) {
                    throw new IllegalArgumentException("site '" + pattern + "' (" + canonical + ") is a container that"
                            + " never runs, so it has no output to differentiate; name one of its children");
                }
                out.add(canonical);
            }
        }
        return new ArrayList<>(out);
    }
}
