package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.microw.models.ModelConfig;
import io.microw.models.TransformerModel;
import io.microw.nn.Autograd;
import io.microw.nn.ForwardBatch;
import io.microw.nn.internal.ForwardContext;
import io.microw.nn.internal.ForwardStopped;
import io.microw.nn.internal.HookRunner;
import io.microw.tokenizer.Encodings;
import io.microw.tokenizer.PaddingSide;
import io.microw.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs the model with its hooks: on texts ({@link #executeInference}), on token ids ({@link #forward}), or
 * token by token ({@link #generate}). Every forward gets its own manager, freed when it ends; results own
 * their tensors. One forward runs at a time.
 */
public final class InferenceEngine {

    private final TransformerModel model;
    private final Layers layers;
    private final Tokenizer tokenizer;
    private final NDManager modelManager;
    private final LoadOptions loadOptions;
    private final AtomicLong batchCounter = new AtomicLong();

    InferenceEngine(TransformerModel model, Layers layers, Tokenizer tokenizer, NDManager modelManager,
                    LoadOptions loadOptions) {
        this.model = model;
        this.layers = layers;
        this.tokenizer = tokenizer;
        this.modelManager = modelManager;
        this.loadOptions = loadOptions;
    }

    private ModelConfig config() {
        return model.config();
    }

    /**
     * Tokenizes the texts (right padding, truncation to the context, a BOS token first when {@link #prependBos}
     * says so) and runs the model with all hooks.
     *
     * @param texts the texts, at least one
     * @return the logits and encodings; close it to free them
     */
    public InferenceResult executeInference(List<String> texts) {
        return executeInference(texts, InferenceOptions.defaults());
    }

    /**
     * Tokenizes the texts as the options say ({@link #tokenize}) and runs the model.
     *
     * @param texts   the texts, at least one
     * @param options padding, length, truncation, hooks and early stop
     * @return the output and encodings; close it to free them
     */
    public InferenceResult executeInference(List<String> texts, InferenceOptions options) {
        Encodings encodings = tokenize(texts, options);
        return run(encodings.inputIds(), encodings.attentionMask(), null, encodings, options, Map.of());
    }

    /**
     * Runs the model on token ids [batch, seq]; a {@code null} mask means no padding.
     *
     * @param inputIds      token ids [batch][seq]
     * @param attentionMask 1 for real tokens, 0 for padding, [batch][seq]; or {@code null}
     * @return the logits; close it to free them
     */
    public InferenceResult forward(long[][] inputIds, long[][] attentionMask) {
        return forward(inputIds, attentionMask, null);
    }

    /**
     * Runs the model on token ids with explicit position ids ({@code null}: from the mask).
     *
     * @param inputIds      token ids [batch][seq]
     * @param attentionMask 1 for real tokens, 0 for padding, [batch][seq]; or {@code null}
     * @param positionIds   positions [batch][seq], or {@code null}
     * @return the logits; close it to free them
     */
    public InferenceResult forward(long[][] inputIds, long[][] attentionMask, long[][] positionIds) {
        return forward(inputIds, attentionMask, positionIds, InferenceOptions.defaults());
    }

    /**
     * Runs the model on token ids with the given options (padding and truncation options do not apply).
     *
     * @param inputIds      token ids [batch][seq]
     * @param attentionMask 1 for real tokens, 0 for padding, [batch][seq]; or {@code null}
     * @param positionIds   positions [batch][seq], or {@code null} to derive them from the mask
     * @param options       hooks and early stop
     * @return the output; close it to free it
     */
    public InferenceResult forward(long[][] inputIds, long[][] attentionMask, long[][] positionIds,
                                   InferenceOptions options) {
        return run(inputIds, attentionMask, positionIds, null, options, Map.of());
    }

    /**
     * Runs the model on token ids with per-call interventions: captures into the result's cache and edits that
     * apply to this forward only (registered hooks run too, before them). Every name, cache, position and head is
     * checked before the forward.
     *
     * @param inputIds      token ids [batch][seq]
     * @param attentionMask 1 for real tokens, 0 for padding, [batch][seq]; or {@code null} for no padding
     * @param interventions what to capture and change
     * @return the logits and the cache; close it to free them
     */
    public RunResult run(long[][] inputIds, long[][] attentionMask, Interventions interventions) {
        return runWith(inputIds, attentionMask, null, interventions, Map.of());
    }

    /**
     * Tokenizes the texts (right padding, truncation to the context, a BOS token first when {@link #prependBos}
     * says so) and runs them with per-call interventions.
     *
     * @param texts         the texts, at least one
     * @param interventions what to capture and change
     * @return the logits, encodings and cache; close it to free them
     */
    public RunResult run(List<String> texts, Interventions interventions) {
        Encodings encodings = tokenize(texts, InferenceOptions.defaults());
        return runWith(encodings.inputIds(), encodings.attentionMask(), encodings, interventions, Map.of());
    }

    /**
     * Runs the model and captures the layers the patterns select (TransformerLens' {@code run_with_cache}).
     *
     * @param inputIds      token ids [batch][seq]
     * @param attentionMask 1 for real tokens, 0 for padding, [batch][seq]; or {@code null} for no padding
     * @param namePatterns  layer names, aliases or glob patterns
     * @return the logits and the cache; close it to free them
     */
    public RunResult runWithCache(long[][] inputIds, long[][] attentionMask, String... namePatterns) {
        return run(inputIds, attentionMask, Interventions.capture(namePatterns));
    }

    /**
     * Runs with per-call interventions and, after them on each layer, the given extra per-call hooks (what
     * {@link Gradients} adds).
     */
    synchronized RunResult runWith(long[][] ids, long[][] mask, Encodings encodings, Interventions interventions,
                                   Map<String, List<HookRegistration>> extra) {
        BatchInputs.validate(ids, mask, null, config());
        ActivationCache cache = new ActivationCache(layers, modelManager.newSubManager(), ids.length, ids[0].length);
        try {
            Map<String, List<HookRegistration>> perCall = interventions.bind(layers, ids.length, ids[0].length, cache);
            extra.forEach((layer, hooks) -> perCall.computeIfAbsent(layer, k -> new ArrayList<>()).addAll(hooks));
            InferenceResult result = run(ids, mask, null, encodings, InferenceOptions.defaults(), perCall);
            return new RunResult(result, cache);
        } catch (RuntimeException | Error e) {
            cache.close();
            throw e;
        }
    }

    /**
     * The {@code prepend_bos} that texts run with {@code options} get (TransformerLens' setting): the options' own,
     * else the model's {@link LoadOptions#prependBos()}, else the {@link io.microw.hooks.Hook#prependBos()} of the
     * enabled registered hooks (an attached SAE's training setting; only when the options run hooks, and a request
     * for a BOS token only when the tokenizer has one).
     *
     * @param options the call's options
     * @return true when every text starts with the BOS token, false when none does, empty when texts keep the
     *         tokenizer's own special tokens
     * @throws IllegalStateException when enabled hooks ask for different settings and nothing else chooses
     */
    public Optional<Boolean> prependBos(InferenceOptions options) {
        boolean hasBos = tokenizer != null && tokenizer.bosTokenId().isPresent();
        return BosSetting.resolve(options, loadOptions, layers.allHooks(), hasBos);
    }

    /**
     * The encodings {@link #executeInference(List, InferenceOptions)} runs: tokenized, truncated and padded as the
     * options say, with a BOS token first in every row when {@link #prependBos} says so (marked special).
     *
     * @param texts   the texts, at least one
     * @param options padding, length, truncation and BOS
     * @return the encodings
     */
    public Encodings tokenize(List<String> texts, InferenceOptions options) {
        if (tokenizer == null) {
            throw new IllegalStateException("this model has no tokenizer (no tokenizer.json was found); "
                    + "pass token ids to forward() or generate() instead of texts");
        }
        if (texts == null || texts.isEmpty()) {
            throw new IllegalArgumentException("no texts given: the list is empty");
        }
        int max = options.maxLength();
        int limit = max == 0 ? config().maxPositions() : Math.min(max, config().maxPositions());
        Optional<Boolean> prependBos = prependBos(options);
        return prependBos.isEmpty()
                ? tokenizer.encodeBatch(texts, limit, options.truncation(), options.paddingSide())
                : tokenizer.encodeBatch(texts, limit, options.truncation(), options.paddingSide(), prependBos.get());
    }

    private synchronized InferenceResult run(long[][] ids, long[][] mask, long[][] positions, Encodings encodings,
                                             InferenceOptions options, Map<String, List<HookRegistration>> perCall) {
        BatchInputs.validate(ids, mask, positions, config());
        long[][] fullMask = mask != null ? mask : BatchInputs.ones(ids);
        long[][] pos = positions != null ? positions : BatchInputs.positionsFromMask(fullMask);
        String stopAfter = stopLayer(options.stopAfterLayer());
        NDManager resultManager = modelManager.newSubManager();
        // a forward that autograd records keeps its tensors with the result until the backward pass has run: the
        // backward reads some of them, and PyTorch does not copy arrays made from Java memory
        NDManager work = resultManager.newSubManager();
        try {
            ForwardBatch batch = new ForwardBatch(BatchInputs.toArray(work, ids), BatchInputs.toArray(work, fullMask),
                    BatchInputs.toArray(work, pos), encodings == null ? List.of() : encodings.texts(),
                    encodings == null ? null : encodings.specialTokensMask(),
                    batchCounter.getAndIncrement(), -1);
            HookRunner hooks = options.withHooks() ? layers.runner(options.withControllers(), perCall)
                    : HookRunner.NONE;
            ForwardContext ctx = new ForwardContext(work, batch, hooks, null,
                    stopAfter);
            NDArray output;
            String stopped = null;
            try {
                output = model.call(ctx, new NDList(batch.inputIds())).head();
            } catch (ForwardStopped s) {
                output = s.outputs().head();
                stopped = s.layer();
            }
            if (output.getManager() != work) {
                output = output.duplicate();
            }
            output.attach(resultManager);
            if (!Autograd.recording()) {
                work.close();
            }
            return new InferenceResult(resultManager, output, encodings, stopped);
        } catch (RuntimeException | Error e) {
            resultManager.close();
            throw e;
        }
    }

    /**
     * The shape of a layer's output for a one-token input: runs the model up to that layer without any hook (so
     * registered detectors see nothing). Used to check a width before attaching an SAE or a steering vector. The
     * token is the config's BOS token, or 0 when there is none or it lies outside the vocabulary (as in a model cut
     * down for tests).
     *
     * @param layer a layer name or alias
     * @return the shape of its (first) output for a batch of one token
     */
    public long[] layerOutputShape(String layer) {
        long token = config().bosTokenId().orElse(0);
        if (token >= config().vocabSize()) {
            token = 0;
        }
        InferenceOptions options = InferenceOptions.defaults().withHooks(false).withStopAfterLayer(layer);
        try (InferenceResult r = forward(new long[][] {{token}}, new long[][] {{1}}, null, options)) {
            return r.output().getShape().getShape();
        }
    }

    /**
     * The canonical stop layer, or {@code null} for none. Stopping after the root is a full run; a container that
     * never runs (such as {@code transformer.h}) would never stop the forward, so it is refused.
     */
    private String stopLayer(String nameOrAlias) {
        if (nameOrAlias == null) {
            return null;
        }
        String canonical = layers.resolve(nameOrAlias);
        if (canonical.isEmpty()) {
            return null;
        }
        if (!layers.module(canonical).isCallable()) {
            throw new IllegalArgumentException("cannot stop after layer '" + nameOrAlias + "': " + canonical
                    + " is a container that never runs; stop after one of its children, e.g. '"
                    + layers.module(canonical).children().get(0).name() + "'");
        }
        return canonical;
    }

    /**
     * Generates from texts: left padding, KV cache, hooks at every step; a BOS token first when
     * {@link #prependBos} says so for the default options.
     *
     * @param prompts the prompts, at least one
     * @param config  decoding settings
     * @return the token ids and texts of prompts and completions
     */
    public GenerationResult generate(List<String> prompts, GenerationConfig config) {
        Encodings encodings = tokenize(prompts, InferenceOptions.defaults().withPaddingSide(PaddingSide.LEFT));
        long[][] rows = new long[encodings.batchSize()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = realTokens(encodings.inputIds()[i], encodings.attentionMask()[i]);
        }
        return generate(rows, encodings.texts(), config);
    }

    /**
     * Generates from token ids (one unpadded prompt per row; rows may differ in length).
     *
     * @param promptIds the prompts' token ids, one row per prompt
     * @param config    decoding settings
     * @return the token ids (and texts, with a tokenizer) of prompts and completions
     */
    public GenerationResult generate(long[][] promptIds, GenerationConfig config) {
        return generate(promptIds, List.of(), config);
    }

    private synchronized GenerationResult generate(long[][] prompts, List<String> texts, GenerationConfig config) {
        if (!model.isDecoder()) {
            throw new UnsupportedOperationException(config().architecture() + " is an encoder: it has no language-"
                    + "model head and cannot generate; use executeInference or forward for its hidden states");
        }
        if (prompts == null || prompts.length == 0) {
            throw new IllegalArgumentException("no prompts given: the list is empty");
        }
        int longest = 0;
        for (int i = 0; i < prompts.length; i++) {
            if (prompts[i] == null || prompts[i].length == 0) {
                throw new IllegalArgumentException("prompt " + i + " is empty");
            }
            longest = Math.max(longest, prompts[i].length);
        }
        if ((long) longest + config.maxNewTokens() > config().maxPositions()) {
            throw new IllegalArgumentException("prompt of " + longest + " tokens plus " + config.maxNewTokens()
                    + " new tokens exceeds the model's context of " + config().maxPositions() + " positions");
        }
        if (!config.stopStrings().isEmpty() && tokenizer == null) {
            throw new IllegalArgumentException("stop strings need a tokenizer to read the generated text; this model "
                    + "has none");
        }
        long pad = tokenizer != null ? tokenizer.padTokenIdOrDefault()
                : config().padTokenId().orElse(config().eosTokenIds().isEmpty() ? 0 : config().eosTokenIds().get(0));
        HookRunner hooks = layers.runner(true);
        DecodingLoop loop = new DecodingLoop(model, modelManager, tokenizer, hooks, batchCounter, pad, eosIds());
        return result(prompts, loop.run(prompts, texts, config));
    }

    private List<Long> eosIds() {
        List<Long> eos = new ArrayList<>(config().eosTokenIds());
        if (tokenizer != null) {
            tokenizer.eosTokenId().ifPresent(id -> {
                if (!eos.contains(id)) {
                    eos.add(id);
                }
            });
        }
        return eos;
    }

    private GenerationResult result(long[][] prompts, List<List<Long>> generated) {
        int b = prompts.length;
        long[][] sequences = new long[b][];
        int[] promptLengths = new int[b];
        List<String> texts = new ArrayList<>();
        List<String> completions = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            List<Long> g = generated.get(i);
            promptLengths[i] = prompts[i].length;
            sequences[i] = Arrays.copyOf(prompts[i], prompts[i].length + g.size());
            for (int j = 0; j < g.size(); j++) {
                sequences[i][prompts[i].length + j] = g.get(j);
            }
            if (tokenizer != null) {
                texts.add(tokenizer.decode(sequences[i], true));
                completions.add(tokenizer.decode(Arrays.copyOfRange(sequences[i], prompts[i].length,
                        sequences[i].length), true));
            }
        }
        return new GenerationResult(sequences, promptLengths, List.copyOf(texts), List.copyOf(completions));
    }

    private static long[] realTokens(long[] ids, long[] mask) {
        return java.util.stream.IntStream.range(0, ids.length).filter(j -> mask[j] != 0).mapToLong(j -> ids[j]).toArray();
    }
}
