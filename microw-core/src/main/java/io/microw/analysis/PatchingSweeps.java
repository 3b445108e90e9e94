package io.microw.analysis;

import io.microw.lm.InferenceEngine;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;
import io.microw.models.ModelConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Activation patching sweeps with settings (patched copies per forward, progress); {@link ActivationPatching} runs
 * them with the defaults. Activation patching by denoising (TransformerLens' {@code patching}): run the corrupted prompt with one activation
 * replaced by the clean prompt's, and record the metric; a cell that restores the clean metric carries what the
 * corruption destroyed. Each sweep runs the clean prompt once (capturing what it patches), the corrupted prompt
 * once, then the patched copies of the corrupted prompt in batches of up to {@link #withMaxBatch maxBatch} rows
 * (fewer when they would exceed the {@link #withMemoryBudget memory budget}), each row with its own patch. A batch
 * whose patches are all at block {@code l} or later starts there from the corrupted run's stream
 * ({@link Interventions#startAt}), since the blocks before give what they gave on the corrupted run; and when the
 * metric reads only the last token, the logits are computed there alone ({@link
 * Interventions#logitsAtLastPosition}). A cell whose clean and corrupted values are identical (a position before the
 * first token the prompts differ in, for instance) needs no forward: patching it changes nothing, so its value is the
 * corrupted metric. Prompts are one row each and of equal length, except for {@link #attnHeads}.
 * <pre>{@code
 * PatchingResult r = PatchingSweeps.defaults().withMaxBatch(8).residPre(lm, clean, corrupt, metric);
 * }</pre>
 */
public final class PatchingSweeps {

    /** Patched copies per forward unless {@link #withMaxBatch} says otherwise. */
    public static final int DEFAULT_MAX_BATCH = 32;

    /** Bytes the patched copies of one forward may take unless {@link #withMemoryBudget} says otherwise: 1 GiB. */
    public static final long DEFAULT_MEMORY_BUDGET = 1L << 30;

    /** Floats per token and unit of width that a block keeps until the forward ends (norms, q/k/v, MLP, sums). */
    private static final int FLOATS_PER_TOKEN_AND_WIDTH = 24;

    private static final IntConsumer SILENT = done -> { };

    private final int maxBatch;
    private final long memoryBudget;
    private final IntConsumer progress;

    private PatchingSweeps(int maxBatch, long memoryBudget, IntConsumer progress) {
        this.maxBatch = maxBatch;
        this.memoryBudget = memoryBudget;
        this.progress = progress;
    }

    /**
     * Sweeps of {@link #DEFAULT_MAX_BATCH} patched copies per forward within {@link #DEFAULT_MEMORY_BUDGET}, without
     * progress reports.
     *
     * @return the default sweeps
     */
    public static PatchingSweeps defaults() {
        return new PatchingSweeps(DEFAULT_MAX_BATCH, DEFAULT_MEMORY_BUDGET, SILENT);
    }

    /**
     * The same sweeps with at most {@code rows} patched copies per forward (1: one forward per cell). The batch's
     * activations grow with it: lower it for a large model.
     *
     * @param rows patched copies per forward, at least 1
     * @return the sweeps
     */
    public PatchingSweeps withMaxBatch(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, got " + rows);
        }
        return new PatchingSweeps(rows, memoryBudget, progress);
    }

    /**
     * The same sweeps, reporting the number of cells done after each forward.
     *
     * @param cellsDone called with the cells measured so far
     * @return the sweeps
     */
    public PatchingSweeps withProgress(IntConsumer cellsDone) {
        return new PatchingSweeps(maxBatch, memoryBudget, Objects.requireNonNull(cellsDone, "cellsDone"));
    }

    /**
     * The same sweeps, running fewer patched copies per forward when an estimate of their memory (each block's
     * intermediate tensors and the logits, per copy) would exceed {@code bytes}; never fewer than one.
     *
     * @param bytes the budget of one forward's patched copies, positive
     * @return the sweeps
     */
    public PatchingSweeps withMemoryBudget(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("the memory budget must be positive, got " + bytes + " bytes");
        }
        return new PatchingSweeps(maxBatch, bytes, progress);
    }

    /** Patched copies per forward. */
    int maxBatch() {
        return maxBatch;
    }

    /** What to tell of the cells done so far. */
    IntConsumer progress() {
        return progress;
    }

    /**
     * Patches each block's input ({@code hook_resid_pre}) at each position.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return [layers][positions]
     */
    public PatchingResult residPre(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return byPosition(lm, clean, corrupt, metric, "hook_resid_pre");
    }

    /**
     * Patches each block's residual stream between attention and MLP ({@code hook_resid_mid}) at each position
     * (families with a parallel block, such as GPT-NeoX, have none).
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return [layers][positions]
     */
    public PatchingResult residMid(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return byPosition(lm, clean, corrupt, metric, "hook_resid_mid");
    }

    /**
     * Patches each block's output ({@code hook_resid_post}) at each position.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return [layers][positions]
     */
    public PatchingResult residPost(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return byPosition(lm, clean, corrupt, metric, "hook_resid_post");
    }

    /**
     * Patches each block's attention output ({@code hook_attn_out}) at each position.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return [layers][positions]
     */
    public PatchingResult attnOut(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return byPosition(lm, clean, corrupt, metric, "hook_attn_out");
    }

    /**
     * Patches each block's MLP output ({@code hook_mlp_out}) at each position.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return [layers][positions]
     */
    public PatchingResult mlpOut(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return byPosition(lm, clean, corrupt, metric, "hook_mlp_out");
    }

    /**
     * Patches each attention head's output before the output projection ({@code attn.hook_z}) at all positions.
     * Here alone the prompts may differ in length: they are aligned on their last token (the one a metric reads),
     * so the corrupted run's last {@code min(clean, corrupt)} positions take the clean run's values at the same
     * distance from the end, and a longer corrupted prompt keeps its own values at its first positions.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq'], of any length
     * @param metric  what to measure on the logits
     * @return [layers][heads]
     */
    public PatchingResult attnHeads(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return byHead(lm, clean, corrupt, metric, "attn.hook_z");
    }

    /**
     * Patches each attention head's pattern ({@code attn.hook_pattern}, [batch, heads, query, key]) at all query
     * positions (TransformerLens' {@code get_act_patch_attn_head_pattern_all_pos}): the head attends as in the
     * clean run, to the corrupted run's values.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return [layers][heads]
     */
    public PatchingResult attnPattern(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        checkedPrompts(clean, corrupt);
        return byHead(lm, clean, corrupt, metric, "attn.hook_pattern");
    }

    /**
     * Patches each attention head's output ({@code attn.hook_z}) at each position separately.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return one result per layer, each [heads][positions]
     */
    public List<PatchingResult> attnHeadsByPosition(LanguageModel lm, long[][] clean, long[][] corrupt,
                                                    LogitMetric metric) {
        int layers = lm.config().numLayers();
        int heads = lm.config().numHeads();
        int seq = checkedPrompts(clean, corrupt);
        List<Cell> cells = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                for (int p = 0; p < seq; p++) {
                    cells.add(new Cell(l, p, h));
                }
            }
        }
        Measured m = measure(lm, clean, corrupt, metric, "attn.hook_z", cells);
        List<PatchingResult> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            List<String> rows = labels("blocks." + l + ".attn.hook_z head", heads);
            out.add(new PatchingResult(m.table(heads, seq, l * heads * seq), rows, labels("position", seq),
                    m.clean(), m.corrupt()));
        }
        return out;
    }

    private PatchingResult byHead(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric,
                                  String hook) {
        int layers = lm.config().numLayers();
        int heads = lm.config().numHeads();
        List<Cell> cells = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                cells.add(new Cell(l, Cell.ALL, h));
            }
        }
        Measured m = measure(lm, clean, corrupt, metric, hook, cells);
        return new PatchingResult(m.table(layers, heads, 0), rowLabels(layers, hook), labels("head", heads),
                m.clean(), m.corrupt());
    }

    private PatchingResult byPosition(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric,
                                      String hook) {
        int layers = lm.config().numLayers();
        int seq = checkedPrompts(clean, corrupt);
        List<Cell> cells = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (int p = 0; p < seq; p++) {
                cells.add(new Cell(l, p, Cell.ALL));
            }
        }
        Measured m = measure(lm, clean, corrupt, metric, hook, cells);
        return new PatchingResult(m.table(layers, seq, 0), rowLabels(layers, hook), labels("position", seq), m.clean(),
                m.corrupt());
    }

    /** One patched copy: the layer, and the position and head it patches ({@link #ALL} for every one). */
    private record Cell(int layer, int position, int head) {
        static final int ALL = -1;

        boolean covers(int l, int p, int h) {
            return layer == l && (position == ALL || position == p) && (head == ALL || head == h);
        }
    }

    /** The metric of every cell, in order, and the two baselines. */
    private record Measured(float[] values, float clean, float corrupt) {
        float[][] table(int rows, int columns, int offset) {
            float[][] t = new float[rows][];
            for (int r = 0; r < rows; r++) {
                t[r] = Arrays.copyOfRange(values, offset + r * columns, offset + (r + 1) * columns);
            }
            return t;
        }
    }

    private Measured measure(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric, String hook,
                             List<Cell> cells) {
        Objects.requireNonNull(metric, "metric");
        oneRow("clean", clean);
        oneRow("corrupt", corrupt);
        InferenceEngine engine = lm.inference();
        int layers = lm.config().numLayers();
        String[] names = new String[layers];
        for (int l = 0; l < layers; l++) {
            names[l] = "blocks." + l + "." + hook;
        }
        boolean startLate = lm.layers().aliases().containsKey("blocks.0.hook_resid_pre");
        Interventions logits = metric.readsLastTokenOnly() ? Interventions.logitsAtLastPosition()
                : Interventions.none();
        int rows = rowsPerForward(lm, corrupt[0].length, metric.readsLastTokenOnly());
        float[] values = new float[cells.size()];
        Interventions corruptCapture = Interventions.capture(names).and(logits);
        if (startLate) {
            corruptCapture = corruptCapture.and(Interventions.capture("blocks.*.hook_resid_pre"));
        }
        try (RunResult cleanRun = engine.run(clean, null, Interventions.capture(names).and(logits));
             RunResult corruptRun = engine.run(corrupt, null, corruptCapture)) {
            float corruptMetric = metric.apply(corruptRun.logits(), null);
            List<Integer> toRun = new ArrayList<>();
            UnchangedCells unchanged = clean[0].length == corrupt[0].length && !hook.endsWith("hook_pattern")
                    ? UnchangedCells.of(cleanRun.cache(), corruptRun.cache(), names) : null;
            for (int i = 0; i < cells.size(); i++) {
                Cell c = cells.get(i);
                if (unchanged != null && unchanged.all(c.layer(), c.position(), c.head())) {
                    values[i] = corruptMetric;
                } else {
                    toRun.add(i);
                }
            }
            int done = cells.size() - toRun.size();
            for (int start = 0; start < toRun.size(); start += rows) {
                List<Cell> chunk = toRun.subList(start, Math.min(toRun.size(), start + rows)).stream()
                        .map(cells::get).toList();
                int first = chunk.stream().mapToInt(Cell::layer).min().orElseThrow();
                Interventions patches = startLate ? Interventions.startAt(first, corruptRun.cache()).and(logits)
                        : logits;
                for (int l = first; l < layers; l++) {
                    int layer = l;
                    if (chunk.stream().anyMatch(c -> c.layer() == layer)) {
                        patches = patches.and(Interventions.patchWhereRightAligned(names[l], cleanRun.cache(),
                                (row, position, head) -> chunk.get(row).covers(layer, position, head)));
                    }
                }
                long[][] copies = new long[chunk.size()][];
                Arrays.fill(copies, corrupt[0]);
                try (RunResult patched = engine.run(copies, null, patches)) {
                    float[] rowValues = metric.perRow(patched.logits(), null);
                    for (int row = 0; row < rowValues.length; row++) {
                        values[toRun.get(start + row)] = rowValues[row];
                    }
                }
                done += chunk.size();
                progress.accept(done);
            }
            return new Measured(values, metric.apply(cleanRun.logits(), null), corruptMetric);
        }
    }

    /**
     * Patched copies per forward: {@link #withMaxBatch maxBatch}, fewer when an estimate of one copy's forward
     * (every block's intermediate tensors, which live until the forward ends, and the logits) would take the
     * batch past the {@link #withMemoryBudget memory budget}.
     */
    private int rowsPerForward(LanguageModel lm, int seq, boolean lastLogitsOnly) {
        ModelConfig c = lm.config();
        long perBlock = (long) seq * (FLOATS_PER_TOKEN_AND_WIDTH * c.hiddenSize() + 3L * c.numHeads() * seq);
        long logits = (long) (lastLogitsOnly ? 1 : seq) * c.vocabSize();
        long bytesPerRow = Float.BYTES * (c.numLayers() * perBlock + logits);
        return (int) Math.max(1, Math.min(maxBatch, memoryBudget / bytesPerRow));
    }

    /** The prompts' length, after checking that each is one row and both are equally long. */
    static int checkedPrompts(long[][] clean, long[][] corrupt) {
        return checkedPrompts(clean, corrupt, "this patching needs prompts of equal length (only attnHeads, a "
                + "head's output at all positions, aligns prompts of different lengths)");
    }

    /**
     * The prompts' length, after checking that each is one row and both are equally long; {@code why} ends the
     * message for prompts of different lengths.
     */
    static int checkedPrompts(long[][] clean, long[][] corrupt, String why) {
        oneRow("clean", clean);
        oneRow("corrupt", corrupt);
        if (clean[0].length != corrupt[0].length) {
            throw new IllegalArgumentException("the clean prompt has " + clean[0].length + " tokens but the corrupted "
                    + "one has " + corrupt[0].length + "; " + why);
        }
        return clean[0].length;
    }

    private static void oneRow(String what, long[][] ids) {
        if (ids == null || ids.length != 1 || ids[0] == null || ids[0].length == 0) {
            throw new IllegalArgumentException("the " + what + " prompt must be one non-empty row of token ids "
                    + "([1][seq]), got " + (ids == null ? "null" : ids.length + " row(s)"));
        }
    }

    /** Row labels {@code blocks.<l>.<hook>}, one per layer. */
    static List<String> rowLabels(int layers, String hook) {
        return IntStream.range(0, layers).mapToObj(l -> "blocks." + l + "." + hook).collect(Collectors.toList());
    }

    /** Labels {@code <prefix> 0} to {@code <prefix> n-1}. */
    static List<String> labels(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> prefix + " " + i).collect(Collectors.toList());
    }
}
