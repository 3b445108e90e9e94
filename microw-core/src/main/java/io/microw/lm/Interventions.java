package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.nn.Linear;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * What one run captures and changes, as an immutable value (nnsight's interventions, TransformerLens'
 * {@code run_with_hooks} and {@code run_with_cache}): nothing is registered on the model, so concurrent runs with
 * different interventions do not see each other's. Build it fluently and pass it to
 * {@link InferenceEngine#run(long[][], long[][], Interventions)}:
 * <pre>{@code
 * Interventions iv = Interventions.capture("blocks.*.hook_resid_post")
 *         .and(Interventions.zeroAblate("blocks.1.hook_mlp_out"));
 * }</pre>
 *
 * <p>Every layer argument is a canonical name, an alias, an index or a glob pattern ({@code *}, {@code ?}) matched
 * against names and aliases ({@link Layers#match}). Steps run in the order they were added, after the model's
 * registered hooks on the same layer; a capture sees what the steps before it left. Every name, cache, position and
 * head is checked before the forward starts. Gradient steps ({@link #editGradient}, {@link #stopGradient}) act in the
 * backward pass of a gradient call ({@link LanguageModel#gradients()}); a plain forward refuses them.
 */
public final class Interventions {

    /**
     * Which cells of a [batch, seq, ...] tensor (or [batch, seq, heads, ...], such as {@code hook_z}, or an attention
     * pattern [batch, heads, query, key]) to patch.
     */
    @FunctionalInterface
    public interface Cells {
        /**
         * Whether a cell takes the source's value.
         *
         * @param row      the row of the running batch
         * @param position the position (axis 1; the query, axis 2, of an attention pattern)
         * @param head     the head (axis 2 of a rank-4 tensor, axis 1 of an attention pattern; always 0 for a rank-3
         *                 tensor)
         * @return true to take the source's value there
         */
        boolean patched(int row, int position, int head);
    }

    /**
     * Replaces the gradient arriving at a layer's output in a gradient call ({@link #editGradient}).
     */
    @FunctionalInterface
    public interface GradientEdit {
        /**
         * The gradient to send upstream from the layer.
         *
         * @param gradient d metric / d the layer's output as it arrives from downstream: the edit's own copy
         * @param call     the backward invocation: the layer, the batch (ids, mask) and a manager freed after the step
         * @return the replacement, of the same shape and finite; {@code null} keeps the gradient
         */
        NDArray apply(NDArray gradient, HookCall call);
    }

    private static final Interventions NONE = new Interventions(List.of());

    private final List<Step> steps;

    private Interventions(List<Step> steps) {
        this.steps = steps;
    }

    /** Checks a step against the run before its forward; throws naming what is wrong. */
    private interface Check {
        void check(String pattern, String canonical, Layers layers, int batch, int seq);

        Check NONE = (pattern, canonical, layers, batch, seq) -> { };
    }

    /** Computes a layer's replacement; {@code null} keeps the tensor. */
    private interface Edit {
        NDArray apply(String canonical, NDArray current);
    }

    /**
     * One capture ({@code edit == null}), edit or replacement on the layers {@code pattern} selects; or, of type
     * BACKWARD, a {@code backward} controller for gradient calls.
     */
    private record Step(String pattern, HookType type, Edit edit, Check check, ForwardReplacement.Output replacement,
                        Function<String, Controller> backward) {
        Step(String pattern, HookType type, Edit edit, Check check) {
            this(pattern, type, edit, check, null, null);
        }

        Step(String pattern, HookType type, Edit edit, Check check, ForwardReplacement.Output replacement) {
            this(pattern, type, edit, check, replacement, null);
        }

        /** A backward controller made for each layer the pattern selects. */
        static Step backward(String pattern, Function<String, Controller> controller) {
            return new Step(layer(pattern), HookType.BACKWARD, null, Check.NONE, null, controller);
        }
    }

    /**
     * No intervention: a plain forward (registered hooks still run).
     *
     * @return the empty value
     */
    public static Interventions none() {
        return NONE;
    }

    /**
     * Captures the outputs of the layers the patterns select into the run's {@link ActivationCache}.
     *
     * @param namePatterns layer names, aliases or glob patterns, e.g. {@code blocks.*.hook_resid_post}, {@code *.hook_z}
     * @return the capture
     */
    public static Interventions capture(String... namePatterns) {
        List<Step> steps = new ArrayList<>();
        for (String p : namePatterns) {
            steps.add(new Step(p, HookType.FORWARD, null, Check.NONE));
        }
        return new Interventions(List.copyOf(steps));
    }

    /**
     * Replaces the output of the selected layers by a function of it (the function gets a private copy; returning
     * {@code null} keeps the output).
     *
     * @param layer    a layer name, alias or pattern
     * @param function maps the output to its replacement, of the same shape
     * @return the edit
     */
    public static Interventions edit(String layer, UnaryOperator<NDArray> function) {
        Objects.requireNonNull(function, "function");
        return single(layer, HookType.FORWARD, (canonical, x) -> function.apply(x), Check.NONE);
    }

    /**
     * Replaces the first input of the selected layers before they run (a PRE_FORWARD edit).
     *
     * @param layer    a layer name, alias or pattern
     * @param function maps the input to its replacement, of the same shape
     * @return the edit
     */
    public static Interventions editInput(String layer, UnaryOperator<NDArray> function) {
        Objects.requireNonNull(function, "function");
        return single(layer, HookType.PRE_FORWARD, (canonical, x) -> function.apply(x), Check.NONE);
    }

    /**
     * Replaces the output of the selected layers by the source run's, everywhere. The source must come from this
     * model, with the run's sequence length, and one row (used for every row) or as many rows as the run.
     *
     * @param layer  a layer name, alias or pattern; every layer it selects must be in the source
     * @param source the cache of another run
     * @return the patch
     */
    public static Interventions patch(String layer, ActivationCache source) {
        return patchWhere(layer, source, null, Check.NONE, false);
    }

    /**
     * Replaces the output of the selected layers by the source run's at the given positions only.
     *
     * @param layer     a layer name, alias or pattern
     * @param source    the cache of another run (as for {@link #patch(String, ActivationCache)})
     * @param positions positions in {@code [0, seq)}
     * @return the patch
     */
    public static Interventions patch(String layer, ActivationCache source, int... positions) {
        int[] copy = nonEmpty(positions, "positions");
        boolean[] chosen = new boolean[Arrays.stream(copy).max().orElse(0) + 1];
        Check range = (pattern, canonical, layers, batch, seq) -> {
            for (int p : copy) {
                if (p < 0 || p >= seq) {
                    throw new IllegalArgumentException("position " + p + " to patch into '" + pattern
                            + "' is out of range: the run has " + seq + " positions (0.." + (seq - 1) + ")");
                }
            }
        };
        Arrays.stream(copy).filter(p -> p >= 0).forEach(p -> chosen[p] = true);
        return patchWhere(layer, source, (row, position, head) -> position < chosen.length && chosen[position], range,
                false);
    }

    /**
     * Replaces the given heads of an attention layer's per-head output ({@code hook_z}, [batch, seq, heads,
     * head_dim]) by the source run's, at every position. Any per-head layer works: {@code hook_q}, {@code hook_k},
     * {@code hook_v}, and the attention pattern {@code hook_pattern}, whose heads are on axis 1 ([batch, heads,
     * query, key]).
     *
     * @param zLayer a per-head layer ({@code blocks.3.attn.hook_z}) or a pattern of them
     * @param source the cache of another run (as for {@link #patch(String, ActivationCache)})
     * @param heads  heads in {@code [0, heads)}
     * @return the patch
     */
    public static Interventions patchHeads(String zLayer, ActivationCache source, int... heads) {
        int[] copy = nonEmpty(heads, "heads");
        boolean[] chosen = new boolean[Arrays.stream(copy).max().orElse(0) + 1];
        Check range = (pattern, canonical, layers, batch, seq) -> {
            Shape shape = source.get(canonical).getShape();
            if (shape.dimension() != 4) {
                throw new IllegalArgumentException("'" + pattern + "' (" + canonical + ") has shape " + shape
                        + ", not [batch, seq, heads, head_dim]; patch heads of a hook_z (or hook_q, hook_k, hook_v, "
                        + "hook_pattern) layer");
            }
            long count = shape.get(headAxis(canonical));
            for (int h : copy) {
                if (h < 0 || h >= count) {
                    throw new IllegalArgumentException("head " + h + " to patch into '" + pattern + "' is out of "
                            + "range: the layer has " + count + " heads (0.." + (count - 1) + ")");
                }
            }
        };
        Arrays.stream(copy).filter(h -> h >= 0).forEach(h -> chosen[h] = true);
        return patchWhere(layer(zLayer), source, (row, position, head) -> head < chosen.length && chosen[head], range,
                false);
    }

    /**
     * Replaces the chosen cells of the selected layers' outputs by the source run's: the general form behind the
     * other patches, and what a batched sweep uses to give each row of a batch its own patch.
     *
     * @param layer  a layer name, alias or pattern
     * @param source the cache of another run (as for {@link #patch(String, ActivationCache)})
     * @param cells  which (row, position, head) cells take the source's value
     * @return the patch
     */
    public static Interventions patchWhere(String layer, ActivationCache source, Cells cells) {
        return patchWhere(layer, source, Objects.requireNonNull(cells, "cells"), Check.NONE, false);
    }

    /**
     * As {@link #patchWhere(String, ActivationCache, Cells)}, but the source may come from a run of another length:
     * the two runs are aligned on their last position (the tensors' last, padding included: pad such runs on the
     * left), so position {@code p} of this run (of {@code seq}
     * positions) takes position {@code p − seq + sourceSeq} of the source. Where that is before the source's first
     * position (this run is the longer), the current value is kept whatever {@code cells} says; the source's extra
     * first positions (the source is the longer) are not used. {@code cells} counts positions in this run. Not for
     * an attention pattern ({@code hook_pattern}), whose key axis cannot be aligned: it is refused there unless the
     * runs are of equal length.
     *
     * @param layer  a layer name, alias or pattern
     * @param source the cache of another run, of any length
     * @param cells  which (row, position, head) cells take the source's value
     * @return the patch
     */
    public static Interventions patchWhereRightAligned(String layer, ActivationCache source, Cells cells) {
        return patchWhere(layer, source, Objects.requireNonNull(cells, "cells"), Check.NONE, true);
    }

    private static Interventions patchWhere(String layer, ActivationCache source, Cells cells, Check extra,
                                            boolean rightAligned) {
        Objects.requireNonNull(source, "source");
        Check check = (pattern, canonical, layers, batch, seq) -> {
            checkSource(source, pattern, canonical, layers);
            if (source.seqLength() != seq && rightAligned && headAxis(canonical) == 1) {
                throw new IllegalArgumentException("the cache patched into '" + pattern + "' comes from a run of "
                        + source.seqLength() + " positions but this run has " + seq + "; an attention pattern ("
                        + canonical + ") cannot be aligned across lengths");
            }
            checkRows(source, "patched into '" + pattern + "'", batch, rightAligned ? source.seqLength() : seq);
            extra.check(pattern, canonical, layers, batch, seq);
        };
        return single(layer, HookType.FORWARD,
                (canonical, x) -> splice(source.get(canonical), x, cells, canonical, rightAligned), check);
    }

    /**
     * Replaces the output of the selected layers by zeros.
     *
     * @param layers layer names, aliases or patterns
     * @return the ablation
     */
    public static Interventions zeroAblate(String... layers) {
        List<Step> steps = new ArrayList<>();
        for (String l : layers) {
            steps.add(new Step(layer(l), HookType.FORWARD, (canonical, x) -> x.zerosLike(), Check.NONE));
        }
        return new Interventions(List.copyOf(steps));
    }

    /**
     * Replaces the output of the selected layers, at every row and position, by its mean over the rows and
     * positions of another run (the cache may have any batch size and length, e.g. a reference dataset's).
     *
     * @param layer a layer name, alias or pattern; every layer it selects must be in {@code over}
     * @param over  the cache whose mean is used
     * @return the ablation
     */
    public static Interventions meanAblate(String layer, ActivationCache over) {
        Objects.requireNonNull(over, "over");
        return single(layer, HookType.FORWARD, (canonical, x) -> {
            NDArray mean = inManagerOf(x, over.get(canonical)).mean(new int[] {0}).mean(new int[] {0});
            if (!mean.getShape().equals(x.getShape().slice(2))) {
                throw new IllegalArgumentException("the mean of '" + canonical + "' has shape " + mean.getShape()
                        + " but this run's positions have shape " + x.getShape().slice(2));
            }
            return mean.broadcast(x.getShape());
        }, (pattern, canonical, layers, batch, seq) -> checkSource(over, pattern, canonical, layers));
    }

    /**
     * Starts the forward at block {@code layer} (TransformerLens' {@code start_at_layer}): the blocks before it do
     * not run, and block {@code layer} receives the source run's input to it ({@code blocks.<layer>.hook_resid_pre},
     * the same for every row when the source has one row). A run equals the source's up to that block, so this
     * saves the earlier blocks' work whenever everything the run changes is at {@code layer} or later, such as each
     * patched copy of a corrupted prompt in an activation patching sweep. The embeddings still run; the hooks inside
     * the skipped blocks do not, and their outputs are not the model's.
     *
     * @param layer  the first block to run; 0 runs every block
     * @param source a cache of a run of this model, of the same length, holding {@code blocks.<layer>.hook_resid_pre}
     * @return the shortcut
     */
    public static Interventions startAt(int layer, ActivationCache source) {
        Objects.requireNonNull(source, "source");
        if (layer < 0) {
            throw new IllegalArgumentException("the block to start at must be at least 0, got " + layer);
        }
        String input = "blocks." + layer + ".hook_resid_pre";
        Check check = (pattern, canonical, layers, batch, seq) -> {
            if (!layers.aliases().containsKey(input)) {
                throw new IllegalArgumentException("cannot start at block " + layer + ": the model has no '" + input
                        + "'");
            }
            checkSource(source, input, layers.resolve(input), layers);
            checkRows(source, "started from at block " + layer, batch, seq);
        };
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < layer; i++) {
            boolean last = i == layer - 1;
            ForwardReplacement.Output output = last ? (module, in, ctx) -> broadcastLike(in, source.get(input))
                    : (module, in, ctx) -> in;
            steps.add(new Step("blocks." + i, HookType.FORWARD, null, i == 0 ? check : Check.NONE, output));
        }
        return new Interventions(List.copyOf(steps));
    }

    /**
     * Computes the logits at the last position only ([batch, 1, vocab]): the unembedding skips every other
     * position, which for a large vocabulary is much of a short prompt's forward. For metrics that read only the
     * last token, such as {@link LogitMetric#logitDiff} (apply them without a mask); rows must not be padded.
     *
     * @return the shortcut
     */
    public static Interventions logitsAtLastPosition() {
        Check linear = (pattern, canonical, layers, batch, seq) -> {
            if (!(layers.module(canonical) instanceof Linear)) {
                throw new IllegalArgumentException("the unembedding '" + canonical + "' is not a linear layer; "
                        + "compute the logits at every position");
            }
        };
        ForwardReplacement.Output lastPosition = (module, in, ctx) -> {
            NDArray mask = ctx.batch().attentionMask();
            if (mask != null && mask.eq(0).any().getBoolean()) {
                throw new IllegalArgumentException("logits at the last position only need rows without padding; "
                        + "this batch is padded");
            }
            return ((Linear) module).apply(in.get(new NDIndex(":, -1:, :")));
        };
        return new Interventions(List.of(new Step("unembed", HookType.FORWARD, null, linear, lastPosition)));
    }

    /**
     * In a gradient call ({@link Gradients#of(long[][], long[][], Interventions, LogitMetric, String...)}), replaces
     * the gradient arriving at the selected layers' outputs by a function of it before the backward pass continues
     * upstream: gradient clipping, scaling, masking positions. The result's {@link GradientResult#get} at such a
     * layer stays the gradient as it arrived. A plain forward has no backward pass and refuses it.
     *
     * @param layer    a layer name, alias or pattern
     * @param function maps the arriving gradient to the one sent upstream
     * @return the gradient edit
     */
    public static Interventions editGradient(String layer, GradientEdit function) {
        Objects.requireNonNull(function, "function");
        return new Interventions(List.of(Step.backward(layer, canonical -> new GradientEditHook(canonical, function))));
    }

    /**
     * In a gradient call, sends no gradient upstream from the selected layers' outputs (PyTorch's {@code detach}
     * there): what lies before them gets gradient only through other paths. On {@code blocks.*.attn.hook_pattern}
     * this freezes the attention patterns. A plain forward has no backward pass and refuses it.
     *
     * @param layer a layer name, alias or pattern
     * @return the stop
     */
    public static Interventions stopGradient(String layer) {
        return new Interventions(List.of(Step.backward(layer, StopGradient::new)));
    }

    /**
     * These interventions followed by others (each step keeps its order).
     *
     * @param more the interventions to run after these
     * @return the combined value
     */
    public Interventions and(Interventions more) {
        List<Step> all = new ArrayList<>(steps);
        all.addAll(more.steps);
        return new Interventions(List.copyOf(all));
    }

    /**
     * Whether these interventions capture or change nothing.
     *
     * @return true for {@link #none()}
     */
    public boolean isEmpty() {
        return steps.isEmpty();
    }

    /**
     * Resolves every step against a model and checks it against a run of {@code batch} rows of {@code seq}
     * positions, before any forward; returns the per-call hooks by canonical layer, captures writing to {@code cache}.
     */
    Map<String, List<HookRegistration>> bind(Layers layers, int batch, int seq, ActivationCache cache) {
        Map<String, List<HookRegistration>> byLayer = new LinkedHashMap<>();
        for (Step step : steps) {
            if (step.type() == HookType.BACKWARD) {
                throw new IllegalArgumentException("a gradient edit or stop on '" + step.pattern() + "' acts in the "
                        + "backward pass of a gradient call, and a plain forward has none; pass these interventions "
                        + "to lm.gradients().of(ids, mask, interventions, metric, sites...)");
            }
            for (String canonical : callable(layers, step)) {
                step.check().check(step.pattern(), canonical, layers, batch, seq);
                BaseHook hook = step.replacement() != null ? new ForwardReplacement(canonical, step.replacement())
                        : step.edit() == null ? new Capture(canonical, cache)
                        : new EditHook(canonical, step.type(), step.edit());
                byLayer.computeIfAbsent(canonical, k -> new ArrayList<>()).add(new HookRegistration(canonical, hook));
            }
        }
        return byLayer;
    }

    /** The forward steps only: what a gradient call runs in its forward. */
    Interventions forwardSteps() {
        return new Interventions(steps.stream().filter(s -> s.type() != HookType.BACKWARD).toList());
    }

    /** Resolves the backward steps against a model: the per-call backward controllers by canonical layer. */
    Map<String, List<HookRegistration>> bindBackward(Layers layers) {
        Map<String, List<HookRegistration>> byLayer = new LinkedHashMap<>();
        for (Step step : steps) {
            if (step.type() == HookType.BACKWARD) {
                for (String canonical : callable(layers, step)) {
                    byLayer.computeIfAbsent(canonical, k -> new ArrayList<>())
                            .add(new HookRegistration(canonical, step.backward().apply(canonical)));
                }
            }
        }
        return byLayer;
    }

    /** The canonical layers a step selects, each one that runs. */
    private static List<String> callable(Layers layers, Step step) {
        List<String> matched = layers.match(step.pattern());
        for (String canonical : matched) {
            if (!layers.module(canonical).isCallable()) {
                throw new IllegalArgumentException("layer '" + step.pattern() + "' (" + canonical
                        + ") is a container that never runs; name one of its children");
            }
        }
        return matched;
    }

    private static Interventions single(String layer, HookType type, Edit edit, Check check) {
        return new Interventions(List.of(new Step(layer(layer), type, edit, check)));
    }

    private static int[] nonEmpty(int[] values, String what) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException("no " + what + " given: name at least one to patch");
        }
        return values.clone();
    }

    private static String layer(String layer) {
        return Objects.requireNonNull(layer, "layer name is null");
    }

    private static void checkSource(ActivationCache source, String pattern, String canonical, Layers layers) {
        if (!source.belongsTo(layers)) {
            throw new IllegalArgumentException("the cache used for '" + pattern + "' comes from another model ("
                    + source.modelDescription() + " loaded separately); use a cache of a run of this model");
        }
        source.get(canonical);
    }

    /** Checks that a cache has the run's length ({@code seq}) and one row or the run's rows. */
    private static void checkRows(ActivationCache source, String use, int batch, int seq) {
        if (source.seqLength() != seq) {
            throw new IllegalArgumentException("the cache " + use + " comes from a run of " + source.seqLength()
                    + " positions but this run has " + seq + "; use runs of equal length");
        }
        if (source.batchSize() != 1 && source.batchSize() != batch) {
            throw new IllegalArgumentException("the cache " + use + " has " + source.batchSize() + " rows but this "
                    + "run has " + batch + "; use a cache of one row (used for every row) or of " + batch);
        }
    }

    /** {@code source} in the forward's manager, with the type and shape of {@code like} (broadcast over rows). */
    private static NDArray broadcastLike(NDArray like, NDArray source) {
        NDArray value = inManagerOf(like, source).toType(like.getDataType(), false);
        return value.getShape().equals(like.getShape()) ? value : value.broadcast(like.getShape());
    }

    /**
     * The source's values where {@code cells} says (everywhere when {@code null}), the current ones elsewhere. With
     * {@code rightAligned} and {@code cells}, a source of another length is first aligned on the last position.
     */
    private static NDArray splice(NDArray source, NDArray current, Cells cells, String canonical,
                                  boolean rightAligned) {
        Shape cs = current.getShape();
        Shape ss = source.getShape();
        int headAxis = headAxis(canonical);
        int positionAxis = 3 - headAxis;
        boolean alignable = rightAligned && cells != null && headAxis == 2 && ss.dimension() == cs.dimension()
                && ss.slice(2).equals(cs.slice(2));
        if (!alignable && (ss.dimension() != cs.dimension() || !ss.slice(1).equals(cs.slice(1)))) {
            throw new IllegalArgumentException("the cached '" + canonical + "' has shape " + ss
                    + " but this run's has shape " + cs + "; they must agree after the batch axis");
        }
        NDArray src = inManagerOf(current, source).toType(current.getDataType(), false);
        if (cells == null) {
            return ss.get(0) == cs.get(0) ? src : src.broadcast(cs);
        }
        int rows = (int) cs.get(0);
        int seq = (int) cs.get(positionAxis);
        int heads = cs.dimension() >= 4 ? (int) cs.get(headAxis) : 1;
        int unmatched = (int) Math.max(0, seq - ss.get(positionAxis));
        if (ss.get(positionAxis) != seq) {
            src = alignRight(src, seq);
        }
        boolean[] mask = new boolean[rows * seq * heads];
        for (int r = 0; r < rows; r++) {
            for (int p = unmatched; p < seq; p++) {
                for (int h = 0; h < heads; h++) {
                    int at = headAxis == 1 ? (r * heads + h) * seq + p : (r * seq + p) * heads + h;
                    mask[at] = cells.patched(r, p, h);
                }
            }
        }
        long[] maskShape = new long[cs.dimension()];
        Arrays.fill(maskShape, 1);
        maskShape[0] = rows;
        maskShape[positionAxis] = seq;
        if (cs.dimension() >= 4) {
            maskShape[headAxis] = heads;
        }
        NDArray where = current.getManager().create(mask, new Shape(maskShape));
        return NDArrays.where(where.broadcast(cs), src.broadcast(cs), current);
    }

    /**
     * The axis of the heads in a per-head layer's output: 1 in an attention pattern ({@code hook_pattern}, [batch,
     * heads, query, key]), 2 elsewhere ({@code hook_z}, {@code hook_q}, ...: [batch, seq, heads, head_dim]).
     */
    private static int headAxis(String canonical) {
        return canonical.endsWith("hook_pattern") ? 1 : 2;
    }

    /**
     * A [rows, sourceSeq, ...] source aligned on its last position with a run of {@code seq} positions: its first
     * positions dropped when it is the longer, zeros (never used) put before it when it is the shorter.
     */
    private static NDArray alignRight(NDArray source, int seq) {
        long sourceSeq = source.getShape().get(1);
        if (sourceSeq >= seq) {
            return source.get(new NDIndex(":, {}:", sourceSeq - seq));
        }
        long[] padding = source.getShape().getShape();
        padding[1] = seq - sourceSeq;
        return source.getManager().zeros(new Shape(padding), source.getDataType()).concat(source, 1);
    }

    /** A copy of {@code array} owned by the manager of {@code like} (the forward's). */
    private static NDArray inManagerOf(NDArray like, NDArray array) {
        NDManager manager = like.getManager();
        NDArray copy = array.duplicate();
        copy.attach(manager);
        return copy;
    }

    /** A per-call capture: copies the layer's output into the run's cache. */
    private static final class Capture extends BaseHook implements Detector {
        private final ActivationCache cache;

        Capture(String layer, ActivationCache cache) {
            super(HookType.FORWARD, layer);
            this.cache = cache;
        }

        @Override
        public void processActivations(HookCall call) {
            cache.put(layerSignature(), call.activations());
        }
    }

    /** A per-call gradient edit. */
    private static final class GradientEditHook extends BaseHook implements Controller {
        private final GradientEdit edit;

        GradientEditHook(String layer, GradientEdit edit) {
            super(HookType.BACKWARD, layer, "editGradient");
            this.edit = edit;
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            return edit.apply(call.activations(), call);
        }
    }

    /** A per-call edit. */
    private static final class EditHook extends BaseHook implements Controller {
        private final Edit edit;

        EditHook(String layer, HookType type, Edit edit) {
            super(type, layer);
            this.edit = edit;
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            return edit.apply(layerSignature(), call.activations());
        }
    }
}
