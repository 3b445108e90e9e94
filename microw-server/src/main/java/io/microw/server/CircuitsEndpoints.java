package io.microw.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.microw.analysis.LogitLens;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;

import java.util.Arrays;
import java.util.OptionalLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * POST /api/models/{id}/patching, /attribution and /lens: activation patching (clean into corrupted, one cell at a
 * time), its attribution patching estimate, and the logit lens, computed with
 * {@link io.microw.analysis.ActivationPatching}, {@link io.microw.analysis.AttributionPatching} and {@link LogitLens}
 * under the model's lease and lock. The lens, one forward, answers in the request; so does a small sweep, and a large
 * one ({@link CircuitSweep#large}) runs as a job (202), whose events report its progress and whose result is the same
 * answer.
 *
 * @param models the loaded models
 * @param jobs where a large patching sweep is queued
 */
record CircuitsEndpoints(ModelRegistry models, JobEndpoints jobs) {

    /** The most top tokens the lens reports per layer. */
    static final int MAX_LENS_K = 50;

    /**
     * POST /api/models/{id}/patching: the metric of the corrupted prompt with each cell patched from the clean one,
     * in the request; or, when the request is large or says {@code "async": true} (and not {@code false}), 202 with a
     * {@code patching} job that computes it. Every field is checked before a job is made.
     */
    void patching(Context ctx) {
        sweep(ctx, JobRunner.PATCHING, PatchingRequest::fields, PatchingRequest::of);
    }

    /**
     * POST /api/models/{id}/attribution: attribution patching's estimate of the patching sweep, and with
     * {@code "compare": true} the exact sweep and their correlation ({@link AttributionRequest}); in the request, or
     * as an {@code attribution} job as for {@link #patching}.
     */
    void attribution(Context ctx) {
        sweep(ctx, JobRunner.ATTRIBUTION, AttributionRequest::fields, AttributionRequest::of);
    }

    /**
     * Checks a sweep's body ({@code fields}) and, against the model, its request ({@code check}); answers it in the
     * request, or queues it as a job of {@code kind} (202) when it is large or says {@code "async": true}.
     */
    private void sweep(Context ctx, String kind, Function<ObjectNode, ObjectNode> fieldsOf,
                       BiFunction<ObjectNode, ModelRegistry.Loaded, CircuitSweep> check) {
        ObjectNode body = Requests.body(ctx);
        Boolean async = Requests.bool(body, "async");
        ObjectNode fields = fieldsOf.apply(body);
        try (ModelRegistry.Lease lease = models.lease(ctx.pathParam("id"))) {
            ModelRegistry.Loaded l = lease.model();
            CircuitSweep request = check.apply(fields, l);
            if (async == null ? request.large(l.lm.config()) : async) {
                fields.put("model", l.id);
                jobs.accepted(ctx, kind, fields);
            } else {
                Endpoints.json(ctx, 200, request.answer(l, done -> { }));
            }
        }
    }

    /** POST /api/models/{id}/lens: per layer, the top next tokens read through the final norm, and the metric. */
    void lens(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        String prompt = prompt(body, "prompt");
        int k = Requests.integer(body, "k", 5, 1, MAX_LENS_K);
        boolean hasAnswer = body.hasNonNull("answer");
        if (hasAnswer != body.hasNonNull("wrong")) {
            throw ApiException.badRequest("give both 'answer' and 'wrong' (for the logit difference) or neither");
        }
        try (ModelRegistry.Lease lease = models.lease(ctx.pathParam("id"))) {
            ModelRegistry.Loaded l = lease.model();
            Endpoints.requireTokenizer(l.lm);
            long[] ids = ids(l, prompt, "prompt");
            OptionalLong answer = oneToken(l.lm, body, "answer", false);
            OptionalLong wrong = oneToken(l.lm, body, "wrong", false);
            LogitMetric metric = hasAnswer ? LogitMetric.logitDiff(answer.getAsLong(), wrong.getAsLong())
                    : (logits, mask) -> 0f;
            LogitLens.Result r = locked(l, () -> LogitLens.of(l.lm, new long[][] {ids}, k, metric));
            ObjectNode out = Json.object();
            out.put("model", l.id);
            out.put("prompt", prompt);
            out.set("tokens", Endpoints.tokens(l.lm, ids));
            if (hasAnswer) {
                out.set("answer", Endpoints.tokens(l.lm, new long[] {answer.getAsLong()}).get(0));
                out.set("wrong", Endpoints.tokens(l.lm, new long[] {wrong.getAsLong()}).get(0));
            }
            ArrayNode layers = out.putArray("layers");
            for (int i = 0; i < r.labels().size(); i++) {
                ObjectNode layer = layers.addObject();
                layer.put("layer", r.labels().get(i));
                layer.set("top", Endpoints.tokens(l.lm, Arrays.stream(r.topTokens()[i][0]).asLongStream().toArray()));
                if (hasAnswer) {
                    layer.put("metric", r.metric()[i]);
                } else {
                    layer.putNull("metric");
                }
            }
            Endpoints.json(ctx, 200, out);
        }
    }

    /** Runs {@code work} under the model's lock (409 when an unload has begun). The caller holds a lease. */
    static <T> T locked(ModelRegistry.Loaded l, Supplier<T> work) {
        l.lockOpen();
        try {
            return work.get();
        } finally {
            l.lock.unlock();
        }
    }

    /** A required, non-empty prompt of at most {@link Endpoints#MAX_CHARS} characters. */
    static String prompt(ObjectNode body, String field) {
        String text = Requests.text(body, field, true);
        if (text.isEmpty() || text.length() > Endpoints.MAX_CHARS) {
            throw ApiException.badRequest("'" + field + "' must have 1 to " + Endpoints.MAX_CHARS + " characters, got "
                    + text.length());
        }
        return text;
    }

    /** The prompt's token ids; 400 naming the field when it has more tokens than the model's context. */
    static long[] ids(ModelRegistry.Loaded l, String text, String field) {
        long[] ids = l.lm.tokenizer().encode(text);
        int context = l.lm.config().maxPositions();
        if (ids.length > context) {
            throw ApiException.badRequest("'" + field + "' has " + ids.length + " tokens, more than the context of "
                    + "model '" + l.id + "' (" + context + " tokens); shorten it");
        }
        return ids;
    }

    /**
     * The one token a field's text encodes to (a beginning-of-sequence token the tokenizer adds is not counted);
     * 400 naming the text and its tokens otherwise. Empty when the field is absent and not required.
     */
    static OptionalLong oneToken(LanguageModel lm, ObjectNode body, String field, boolean required) {
        String text = Requests.text(body, field, required);
        if (text == null) {
            return OptionalLong.empty();
        }
        long[] ids = lm.tokenizer().encode(text);
        OptionalLong bos = lm.tokenizer().bosTokenId();
        if (ids.length > 1 && bos.isPresent() && ids[0] == bos.getAsLong()) {
            ids = Arrays.copyOfRange(ids, 1, ids.length);
        }
        if (ids.length != 1) {
            StringBuilder shown = new StringBuilder();
            for (long id : ids) {
                shown.append(shown.length() == 0 ? "" : ", ").append('"').append(lm.tokenizer().tokenText(id))
                        .append('"');
            }
            throw ApiException.badRequest("'" + field + "' must be exactly one token, but \"" + text + "\" is "
                    + ids.length + " tokens [" + shown + "]");
        }
        return OptionalLong.of(ids[0]);
    }
}
