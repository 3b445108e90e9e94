package io.microw.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.analysis.PatchSite;
import io.microw.analysis.PatchingResult;
import io.microw.analysis.PatchingSweeps;
import io.microw.lm.LogitMetric;
import io.microw.models.ModelConfig;

import java.util.function.IntConsumer;

/**
 * An activation patching request ({@code POST /api/models/{id}/patching}) checked against a loaded model: what to
 * patch, the two prompts' token ids (of equal length), the answer and wrong tokens; its size; and its answer. The
 * route answers a small request at once and queues a large one (or one that asks with {@code "async": true}) as a
 * {@code patching} job, which checks the recorded fields again against the model when it runs and stores the same
 * answer.
 *
 * @param what the site's name, as asked
 * @param site the site
 * @param clean the clean prompt's ids
 * @param corrupt the corrupted prompt's ids, as many as {@code clean}
 * @param answer the answer token
 * @param wrong the wrong token
 */
record PatchingRequest(String what, PatchSite site, long[] clean, long[] corrupt, long answer, long wrong) {

    /**
     * Above this many multiply-adds in its patched forwards ({@link #work}) a request runs as a job: a few seconds of
     * two CPU cores (a 16-token residual sweep of GPT-2 small is 4e11; a 7-token one of brown-gpt2 is 8e8).
     */
    static final double JOB_ABOVE_WORK = 1e11;

    /**
     * The fields of a request body that a patching job records ({@code what}, by default {@code resid-pre},
     * {@code clean}, {@code corrupt}, {@code answer}, {@code wrong}); 400 for an unknown {@code what} or a missing or
     * malformed field. The tokens are checked by {@link #of}, against the model.
     */
    static ObjectNode fields(ObjectNode body) {
        String what = Requests.text(body, "what", false);
        what = what == null ? PatchSite.RESID_PRE.id() : what;
        try {
            PatchSite.fromId(what);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("unknown 'what' \"" + what + "\": one of " + PatchSite.ids());
        }
        ObjectNode fields = Json.object();
        fields.put("what", what);
        fields.put("clean", CircuitsEndpoints.prompt(body, "clean"));
        fields.put("corrupt", CircuitsEndpoints.prompt(body, "corrupt"));
        fields.put("answer", Requests.text(body, "answer", true));
        fields.put("wrong", Requests.text(body, "wrong", true));
        return fields;
    }

    /**
     * The request that {@link #fields} describes, on model {@code l}: 400 when a prompt is longer than the model's
     * context, when the prompts have different token counts (naming both) or when {@code answer} or {@code wrong} is
     * not exactly one token (naming its tokens).
     */
    static PatchingRequest of(ObjectNode fields, ModelRegistry.Loaded l) {
        Endpoints.requireTokenizer(l.lm);
        long[] clean = CircuitsEndpoints.ids(l, fields.path("clean").asText(), "clean");
        long[] corrupt = CircuitsEndpoints.ids(l, fields.path("corrupt").asText(), "corrupt");
        if (clean.length != corrupt.length) {
            throw ApiException.badRequest("'clean' has " + clean.length + " tokens but 'corrupt' has "
                    + corrupt.length + ": patching needs prompts of equal length (change words that are one "
                    + "token each)");
        }
        String what = fields.path("what").asText();
        return new PatchingRequest(what, PatchSite.fromId(what), clean, corrupt,
                CircuitsEndpoints.oneToken(l.lm, fields, "answer", true).getAsLong(),
                CircuitsEndpoints.oneToken(l.lm, fields, "wrong", true).getAsLong());
    }

    /** The cells the sweep measures: layers × positions, or layers × heads. */
    int cells(ModelConfig c) {
        return c.numLayers() * (site.byPosition() ? clean.length : c.numHeads());
    }

    /**
     * About how many multiply-adds the patched forwards take: each cell runs the whole prompt through the blocks
     * (about 12·d² weights per layer) and the unembedding (d·vocabulary).
     */
    double work(ModelConfig c) {
        double d = c.hiddenSize();
        double perToken = 12 * d * d * c.numLayers() + d * c.vocabSize();
        return (double) cells(c) * clean.length * perToken;
    }

    /** Whether the request is large enough to run as a job when it does not say ({@link #JOB_ABOVE_WORK}). */
    boolean large(ModelConfig c) {
        return work(c) > JOB_ABOVE_WORK;
    }

    /**
     * Runs the sweep on {@code l} (the caller holds a lease) under the model's lock, which it lets waiting requests
     * take between its forwards, and answers {@code model}, {@code what}, {@code rows}, {@code columns},
     * {@code values}, {@code clean_metric}, {@code corrupt_metric} and {@code tokens}.
     *
     * @param progress called with the cells measured so far, after each forward
     */
    ObjectNode answer(ModelRegistry.Loaded l, IntConsumer progress) {
        PatchingSweeps sweeps = PatchingSweeps.defaults().withProgress(done -> {
            l.yieldLock();
            progress.accept(done);
        });
        PatchingResult r = CircuitsEndpoints.locked(l, () -> site.run(sweeps, l.lm, new long[][] {clean},
                new long[][] {corrupt}, LogitMetric.logitDiff(answer, wrong)));
        ObjectNode out = Json.object();
        out.put("model", l.id);
        out.put("what", what);
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
        ObjectNode tokens = out.putObject("tokens");
        tokens.set("clean", Endpoints.tokens(l.lm, clean));
        tokens.set("corrupt", Endpoints.tokens(l.lm, corrupt));
        tokens.set("answer", Endpoints.tokens(l.lm, new long[] {answer}).get(0));
        tokens.set("wrong", Endpoints.tokens(l.lm, new long[] {wrong}).get(0));
        return out;
    }
}
