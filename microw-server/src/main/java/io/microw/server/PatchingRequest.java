package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.analysis.PatchSite;
import io.microw.analysis.PatchingResult;
import io.microw.analysis.PatchingSweeps;
import io.microw.analysis.PathPatching;
import io.microw.frontend.PatchTarget;
import io.microw.frontend.PatchingJobSpec;
import io.microw.frontend.PromptPair;
import io.microw.lm.LogitMetric;
import io.microw.models.ModelConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * A patching request ({@code POST /api/models/{id}/patching}) checked against a loaded model: what to patch (an
 * activation patching site, or {@value #PATH} for path patching from every sender head into receiver heads), the two
 * prompts' token ids, the answer and wrong tokens; its size; and its answer. The prompts have equal lengths except
 * for {@code heads}, which aligns them on their last token. The route answers a small request at once and queues a
 * large one (or one that asks with {@code "async": true}) as a {@code patching} job, which checks the recorded fields
 * again against the model when it runs and stores the same answer.
 *
 * @param site the activation patching site, or null for path patching
 * @param path the receivers and channel of path patching, or null for a site
 * @param clean the clean prompt's ids
 * @param corrupt the corrupted prompt's ids
 * @param answer the answer token
 * @param wrong the wrong token
 */
record PatchingRequest(PatchSite site, PathTarget path, long[] clean, long[] corrupt, long answer, long wrong)
        implements CircuitSweep {

    /** The {@code what} of path patching ({@link PathPatching#senders}). */
    static final String PATH = PatchTarget.PATH;

    /** The most receivers a path patching request names. */
    static final int MAX_RECEIVERS = 1024;

    /**
     * Above this many multiply-adds in its patched forwards ({@link #work}) a request runs as a job: a few seconds of
     * two CPU cores (a 16-token residual sweep of GPT-2 small is 4e11; a 7-token one of brown-gpt2 is 8e8).
     */
    static final double JOB_ABOVE_WORK = 1e11;

    /**
     * Where path patching ends: the receiving heads and which of their inputs.
     *
     * @param receivers the receiving heads, at least one
     * @param channel   their query, key or value input
     */
    record PathTarget(List<PathPatching.Head> receivers, PathPatching.Channel channel) {
    }

    /** Every {@code what} a request takes: the sites' ids ({@link PatchSite#ids()}), then {@value #PATH}. */
    static List<String> whats() {
        return PatchTarget.ids();
    }

    /** Every {@code channel} a path patching request takes: {@code q}, {@code k}, {@code v}. */
    static List<String> channels() {
        return PathPatching.Channel.ids();
    }

    /**
     * The fields of a request body that a patching job records, a {@link PatchingJobSpec} ({@code what}, by default
     * {@value PatchingJobSpec#DEFAULT_WHAT}, {@code clean}, {@code corrupt}, {@code answer}, {@code wrong}; for
     * {@value #PATH} also {@code receivers}, an array of {@code {"layer", "head"}}, and {@code channel}, by default
     * {@code q}); 400 for an unknown {@code what} or {@code channel}, receivers or a channel without {@value #PATH},
     * or a missing or malformed field. The tokens and heads are checked by {@link #of}, against the model.
     */
    static ObjectNode fields(ObjectNode body) {
        String what = Requests.text(body, "what", false);
        if (what != null && !whats().contains(what)) {
            throw ApiException.badRequest("unknown 'what' \"" + what + "\": one of " + whats());
        }
        String channel = Requests.text(body, "channel", false);
        if (channel != null && !channels().contains(channel)) {
            throw ApiException.badRequest("unknown 'channel' \"" + channel + "\": one of " + channels());
        }
        PatchTarget target = what == null ? null : PatchTarget.fromId(what);
        boolean path = target != null && target.isPath();
        PatchingJobSpec spec;
        try {
            spec = new PatchingJobSpec(target, path || body.hasNonNull("receivers") ? receivers(body) : List.of(),
                    channel == null ? null : PathPatching.Channel.fromId(channel), prompts(body));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        ObjectNode fields = Json.object();
        spec.writeTo(fields);
        return fields;
    }

    /**
     * The fields every circuits sweep takes, checked: {@code clean} and {@code corrupt} (1 to
     * {@link Endpoints#MAX_CHARS} characters), {@code answer} and {@code wrong} (strings; {@link #of} checks that
     * each is one token).
     */
    static PromptPair prompts(ObjectNode body) {
        return new PromptPair(CircuitsEndpoints.prompt(body, "clean"), CircuitsEndpoints.prompt(body, "corrupt"),
                Requests.text(body, "answer", true), Requests.text(body, "wrong", true));
    }

    /** The receivers of a path patching body: 1 to {@link #MAX_RECEIVERS} objects {@code {"layer", "head"}}. */
    private static List<PathPatching.Head> receivers(ObjectNode body) {
        JsonNode given = body.get("receivers");
        String shape = "'receivers' must be an array of 1 to " + MAX_RECEIVERS + " heads {\"layer\": L, \"head\": H}";
        if (given == null || !given.isArray() || given.isEmpty() || given.size() > MAX_RECEIVERS) {
            throw ApiException.badRequest(shape + ", got " + (given == null ? "none" : given.toString()));
        }
        List<PathPatching.Head> out = new ArrayList<>();
        for (JsonNode h : given) {
            if (!h.isObject() || !h.hasNonNull("layer") || !h.hasNonNull("head")) {
                throw ApiException.badRequest(shape + ", got " + h);
            }
            out.add(new PathPatching.Head(Requests.integer(h, "layer", 0, 0, Integer.MAX_VALUE),
                    Requests.integer(h, "head", 0, 0, Integer.MAX_VALUE)));
        }
        return out;
    }

    /**
     * The request that {@link #fields} describes, on model {@code l}: 400 when a prompt is longer than the model's
     * context, when the prompts have different token counts (naming both) for any {@code what} but {@code heads},
     * when {@code answer} or {@code wrong} is not exactly one token (naming its tokens), or when a receiver is not a
     * head of the model.
     */
    static PatchingRequest of(ObjectNode fields, ModelRegistry.Loaded l) {
        Endpoints.requireTokenizer(l.lm);
        long[] clean = CircuitsEndpoints.ids(l, fields.path("clean").asText(), "clean");
        long[] corrupt = CircuitsEndpoints.ids(l, fields.path("corrupt").asText(), "corrupt");
        PatchingJobSpec spec = PatchingJobSpec.readFrom(fields);
        String what = spec.what().id();
        PatchSite site = spec.what().site();
        if (clean.length != corrupt.length && (site == null || !site.alignsLengths())) {
            throw ApiException.badRequest("'clean' has " + clean.length + " tokens but 'corrupt' has "
                    + corrupt.length + ": \"" + what + "\" needs prompts of equal length (change words that are one "
                    + "token each; only \"" + PatchSite.HEADS.id() + "\" aligns prompts of different lengths)");
        }
        return new PatchingRequest(site, site == null ? pathTarget(spec, l.lm.config()) : null, clean, corrupt,
                CircuitsEndpoints.oneToken(l.lm, fields, "answer", true).getAsLong(),
                CircuitsEndpoints.oneToken(l.lm, fields, "wrong", true).getAsLong());
    }

    /** The receivers and channel that {@link #fields} recorded; 400 naming a receiver the model does not have. */
    private static PathTarget pathTarget(PatchingJobSpec spec, ModelConfig c) {
        for (PathPatching.Head head : spec.receivers()) {
            if (head.layer() >= c.numLayers() || head.head() >= c.numHeads()) {
                throw ApiException.badRequest("receiver " + head + " is out of range: the model has " + c.numLayers()
                        + " blocks (0.." + (c.numLayers() - 1) + ") of " + c.numHeads() + " heads (0.."
                        + (c.numHeads() - 1) + ")");
            }
        }
        return new PathTarget(spec.receivers(), spec.channel());
    }

    /** The request's {@code what}: the site's id, or {@value #PATH}. */
    @Override
    public String what() {
        return site == null ? PATH : site.id();
    }

    /** The cells the sweep measures: layers × positions, or layers × heads (by head, or by sender head). */
    @Override
    public int cells(ModelConfig c) {
        return c.numLayers() * (site != null && site.byPosition() ? clean.length : c.numHeads());
    }

    /**
     * About how many multiply-adds the patched forwards take: each cell runs the corrupted prompt through the blocks
     * (about 12·d² weights per layer) and the unembedding (d·vocabulary), twice for path patching.
     */
    double work(ModelConfig c) {
        double d = c.hiddenSize();
        double perToken = 12 * d * d * c.numLayers() + d * c.vocabSize();
        return (double) cells(c) * corrupt.length * perToken * (site == null ? 2 : 1);
    }

    /** Whether the request is large enough to run as a job when it does not say ({@link #JOB_ABOVE_WORK}). */
    @Override
    public boolean large(ModelConfig c) {
        return work(c) > JOB_ABOVE_WORK;
    }

    /**
     * Runs the sweep ({@link #sweep}) and answers {@code model}, {@code what}, {@code rows}, {@code columns},
     * {@code values}, {@code clean_metric}, {@code corrupt_metric} and {@code tokens}, and for path patching
     * {@code receivers} and {@code channel}.
     *
     * @param progress called with the cells measured so far, after each forward
     */
    @Override
    public ObjectNode answer(ModelRegistry.Loaded l, IntConsumer progress) {
        PatchingResult r = sweep(l, progress);
        ObjectNode out = Json.object();
        out.put("model", l.id);
        out.put("what", what());
        if (path != null) {
            ArrayNode receivers = out.putArray("receivers");
            path.receivers().forEach(h -> receivers.addObject().put("layer", h.layer()).put("head", h.head()));
            out.put("channel", path.channel().name().toLowerCase(Locale.ROOT));
        }
        putTable(out, r);
        putTokens(out, l, clean, corrupt, answer, wrong);
        return out;
    }

    /**
     * Runs the sweep on {@code l} (the caller holds a lease) under the model's lock, which it lets waiting requests
     * take between its forwards.
     *
     * @param progress called with the cells measured so far, after each forward
     */
    PatchingResult sweep(ModelRegistry.Loaded l, IntConsumer progress) {
        PatchingSweeps sweeps = PatchingSweeps.defaults().withProgress(done -> {
            l.yieldLock();
            progress.accept(done);
        });
        long[][] c = {clean};
        long[][] d = {corrupt};
        LogitMetric metric = metric();
        return CircuitsEndpoints.locked(l, () -> site != null ? site.run(sweeps, l.lm, c, d, metric)
                : PathPatching.senders(sweeps, l.lm, c, d, metric, path.channel(), path.receivers()));
    }

    /** What the sweep measures: logit[answer] − logit[wrong] at the last token. */
    LogitMetric metric() {
        return LogitMetric.logitDiff(answer, wrong);
    }

    /** Puts a sweep's {@code rows}, {@code columns}, {@code values}, {@code clean_metric}, {@code corrupt_metric}. */
    static void putTable(ObjectNode out, PatchingResult r) {
        out.set("rows", Json.MAPPER.valueToTree(r.rowLabels()));
        out.set("columns", Json.MAPPER.valueToTree(r.columnLabels()));
        ArrayNode values = out.putArray("values");
        for (float[] row : r.values()) {
            ArrayNode a = values.addArray();
            for (float v : row) {
                a.add(v);
            }
        }
        out.put("clean_metric", r.cleanMetric());
        out.put("corrupt_metric", r.corruptMetric());
    }

    /** Puts {@code tokens}: the clean and corrupted prompts' tokens, and the answer and wrong tokens. */
    static void putTokens(ObjectNode out, ModelRegistry.Loaded l, long[] clean, long[] corrupt, long answer,
                          long wrong) {
        ObjectNode tokens = out.putObject("tokens");
        tokens.set("clean", Endpoints.tokens(l.lm, clean));
        tokens.set("corrupt", Endpoints.tokens(l.lm, corrupt));
        tokens.set("answer", Endpoints.tokens(l.lm, new long[] {answer}).get(0));
        tokens.set("wrong", Endpoints.tokens(l.lm, new long[] {wrong}).get(0));
    }
}
