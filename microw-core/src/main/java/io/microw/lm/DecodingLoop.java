package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.microw.models.TransformerModel;
import io.microw.nn.ForwardBatch;
import io.microw.nn.internal.EngineThreads;
import io.microw.nn.internal.ForwardContext;
import io.microw.nn.internal.HookRunner;
import io.microw.nn.internal.KvCache;
import io.microw.nn.internal.PackedWeights;
import io.microw.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The token-by-token loop of {@link InferenceEngine#generate} for a batch of prompts: left padding, one forward per
 * step with the KV cache, the next token of each row, the stops. Every step's tensors live in a manager of their own,
 * the cache and the packed weights ({@link PackedWeights}) in ones for the whole loop, all freed when it returns.
 */
final class DecodingLoop {

    /** The most rows × hidden² of a decoding step run on the calling thread alone ({@link #stepThreads}). */
    static final long SMALL_STEP = 1L << 21;
    /**
     * The fewest new tokens for which a generation packs its weights: packing brown-gpt2's costs about what a
     * decoding step does and saves ~1.3 ms of each ~4 ms step, so short generations would lose by it.
     */
    static final int PACK_FROM_NEW_TOKENS = 16;

    private final TransformerModel model;
    private final NDManager parent;
    private final Tokenizer tokenizer;
    private final HookRunner hooks;
    private final AtomicLong batchCounter;
    private final long pad;
    private final List<Long> eos;

    /**
     * @param model        the decoder
     * @param parent       the manager the loop's own managers are opened under
     * @param tokenizer    the model's tokenizer, or {@code null} (stop strings then cannot be used)
     * @param hooks        the hooks every forward runs
     * @param batchCounter numbers the forwards (hooks see the number)
     * @param pad          the id that fills the left padding and the rows that stopped
     * @param eos          the end-of-sequence ids
     */
    DecodingLoop(TransformerModel model, NDManager parent, Tokenizer tokenizer, HookRunner hooks,
                 AtomicLong batchCounter, long pad, List<Long> eos) {
        this.model = model;
        this.parent = parent;
        this.tokenizer = tokenizer;
        this.hooks = hooks;
        this.batchCounter = batchCounter;
        this.pad = pad;
        this.eos = eos;
    }

    /**
     * Generates for a group of prompts.
     *
     * @param prompts one unpadded, validated prompt per row
     * @param texts   the prompts' texts (for hooks), or empty
     * @param config  decoding settings
     * @return the new tokens of each row
     */
    List<List<Long>> run(long[][] prompts, List<String> texts, GenerationConfig config) {
        int b = prompts.length;
        int longest = Arrays.stream(prompts).mapToInt(p -> p.length).max().orElseThrow();
        long[][] ids = new long[b][longest];
        long[][] mask = new long[b][longest];
        for (int i = 0; i < b; i++) {
            int offset = longest - prompts[i].length;
            Arrays.fill(ids[i], pad);
            System.arraycopy(prompts[i], 0, ids[i], offset, prompts[i].length);
            Arrays.fill(mask[i], offset, longest, 1);
        }
        BatchInputs.validate(ids, mask, null, model.config());
        List<List<Long>> generated = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            generated.add(new ArrayList<>());
        }
        boolean[] done = new boolean[b];
        TokenSampler sampler = new TokenSampler(config);
        long[][] stepIds = ids;
        long[][] stepPositions = BatchInputs.positionsFromMask(mask);
        // greedy decoding without a penalty only needs each row's argmax: the engine finds it, the logits stay there
        boolean argmaxOnEngine = !config.doSample() && config.repetitionPenalty() == 1.0;
        try (NDManager genManager = parent.newSubManager();
             PackedWeights packed = packs(b, config) ? PackedWeights.forRows(genManager, b).orElse(null) : null) {
            KvCache cache = new KvCache(genManager, longest + config.maxNewTokens());
            for (int step = 0; step < config.maxNewTokens(); step++) {
                long[][] nextIds = new long[b][1];
                long[][] nextPositions = new long[b][1];
                try (NDManager work = genManager.newSubManager();
                     EngineThreads.Scope threads = stepThreads(b, stepIds[0].length)) {
                    NDArray last = lastLogits(work, cache, packed, stepIds, mask, stepPositions, texts, step);
                    long[] argmax = argmaxOnEngine ? last.argMax(1).toLongArray() : null;
                    float[][] rows = argmaxOnEngine ? null : rows(last);
                    for (int i = 0; i < b; i++) {
                        long token = pad;
                        if (!done[i]) {
                            if (argmax != null) {
                                token = argmax[i];
                            } else {
                                RepetitionPenalty.apply(rows[i], prompts[i], generated.get(i),
                                        config.repetitionPenalty());
                                token = sampler.next(rows[i]);
                            }
                            generated.get(i).add(token);
                            done[i] = config.stopAtEos() && eos.contains(token)
                                    || reachedStopString(generated.get(i), config);
                        }
                        nextIds[i][0] = token;
                        nextPositions[i][0] = stepPositions[i][stepPositions[i].length - 1] + 1;
                    }
                }
                if (allTrue(done)) {
                    break;
                }
                mask = BatchInputs.appendOnes(mask);
                stepIds = nextIds;
                stepPositions = nextPositions;
            }
        }
        return generated;
    }

    /**
     * Whether the token just generated completes a stop string. Rows stop at the first one, so only a string ending
     * in the last token can be new: decoding the last (longest stop string + 8) tokens finds it without decoding the
     * whole continuation at every step (every token decodes to a character or more; the 8 cover those that do not).
     */
    private boolean reachedStopString(List<Long> generated, GenerationConfig config) {
        if (config.stopStrings().isEmpty()) {
            return false;
        }
        int longest = config.stopStrings().stream().mapToInt(String::length).max().orElse(0);
        int from = Math.max(0, generated.size() - longest - 8);
        long[] tail = generated.subList(from, generated.size()).stream().mapToLong(Long::longValue).toArray();
        String text = tokenizer.decode(tail, true);
        return config.stopStrings().stream().anyMatch(text::contains);
    }

    /**
     * libtorch's threads for one decoding step: a step whose matrix products are tiny (rows × hidden² at most {@link
     * #SMALL_STEP}, e.g. brown-gpt2's 8 rows × 256²) runs on this thread alone, where waking a second thread costs
     * more than it saves (see {@link EngineThreads}); larger steps keep every thread.
     */
    private EngineThreads.Scope stepThreads(int batch, int seq) {
        return isSmall(batch, seq) ? EngineThreads.singleThreaded() : () -> { };
    }

    /** Whether a generation of {@code batch} prompts packs its weights: small decoding steps, enough of them. */
    private boolean packs(int batch, GenerationConfig config) {
        return isSmall(batch, 1) && config.maxNewTokens() >= PACK_FROM_NEW_TOKENS;
    }

    /**
     * Whether a step of {@code batch} rows × {@code seq} positions is small: rows × hidden² at most {@link
     * #SMALL_STEP}. Such steps run on one thread, and a long enough generation whose decoding steps are small packs
     * its weights for them ({@link #packs}).
     */
    private boolean isSmall(int batch, int seq) {
        long hidden = model.config().hiddenSize();
        return (long) batch * seq * hidden * hidden <= SMALL_STEP;
    }

    /** Runs one decoding step's forward in {@code work} and returns the logits of its last position [batch, vocab]. */
    private NDArray lastLogits(NDManager work, KvCache cache, PackedWeights packed, long[][] ids, long[][] mask,
                               long[][] positions, List<String> texts, int step) {
        ForwardBatch batch = new ForwardBatch(BatchInputs.toArray(work, ids), BatchInputs.toArray(work, mask),
                BatchInputs.toArray(work, positions), texts, null, batchCounter.getAndIncrement(), step);
        ForwardContext ctx = new ForwardContext(work, batch, hooks, cache, null, packed);
        NDArray logits = model.call(ctx, new NDList(batch.inputIds())).head();
        cache.commit();
        long seq = logits.getShape().get(1);
        return logits.get(new NDIndex(":, {}, :", seq - 1));
    }

    /** Logits [batch, vocab] as one float32 row per batch row. */
    private static float[][] rows(NDArray logits) {
        int rows = (int) logits.getShape().get(0);
        int vocab = (int) logits.getShape().get(1);
        float[] flat = logits.toType(DataType.FLOAT32, false).toFloatArray();
        float[][] out = new float[rows][];
        for (int i = 0; i < rows; i++) {
            out[i] = Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
        }
        return out;
    }

    private static boolean allTrue(boolean[] flags) {
        for (boolean f : flags) {
            if (!f) {
                return false;
            }
        }
        return true;
    }
}
