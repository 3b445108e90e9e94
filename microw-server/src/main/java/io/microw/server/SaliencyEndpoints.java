package io.microw.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.microw.analysis.IntegratedGradients;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.NextToken;
import io.microw.lm.RunResult;

import java.util.List;
import java.util.OptionalLong;

/**
 * POST /api/models/{id}/saliency: how much each token of a prompt adds to a metric of the next token, by gradient ×
 * input ({@link IntegratedGradients#saliency}) or integrated gradients ({@link IntegratedGradients#attribute}), under
 * the model's lease and lock. The metric is logit[answer] − logit[wrong] when {@code wrong} is given, else the
 * log-probability of {@code answer}; without {@code answer}, of the token the model finds most likely.
 *
 * @param models the loaded models
 */
record SaliencyEndpoints(ModelRegistry models) {

    /** Gradient × input: one forward-backward. */
    static final String SALIENCY = "saliency";

    /** Integrated gradients from a zero (or one-token) baseline. */
    static final String INTEGRATED_GRADIENTS = "ig";

    /** The most interpolation points integrated gradients take. */
    static final int MAX_STEPS = 256;

    /** Every {@code method} the route takes. */
    static List<String> methods() {
        return List.of(SALIENCY, INTEGRATED_GRADIENTS);
    }

    /**
     * Answers {@code model}, {@code prompt}, {@code method}, {@code metric} ({@code "logit_diff"} or
     * {@code "log_prob"}), {@code answer} (and {@code wrong}) as tokens, {@code tokens}, {@code values} (one per
     * token) and {@code metric_value}; for {@code ig} also {@code steps}, {@code metric_at_baseline} and
     * {@code convergence_delta}. 400 naming the field for an unknown method, steps or a baseline without {@code ig},
     * tokens that are not one token each, {@code answer} equal to {@code wrong} (a metric that is zero whatever the
     * prompt, whose gradient is zero), or a prompt longer than the model's context.
     */
    void saliency(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        String prompt = CircuitsEndpoints.prompt(body, "prompt");
        String method = Requests.text(body, "method", false);
        method = method == null ? SALIENCY : method;
        if (!methods().contains(method)) {
            throw ApiException.badRequest("unknown 'method' \"" + method + "\": one of " + methods()
                    + " (gradient × input, or integrated gradients)");
        }
        boolean ig = method.equals(INTEGRATED_GRADIENTS);
        if (!ig && (body.hasNonNull("steps") || body.hasNonNull("baseline"))) {
            throw ApiException.badRequest("'steps' and 'baseline' are for \"method\": \"" + INTEGRATED_GRADIENTS
                    + "\", not \"" + method + "\"");
        }
        int steps = Requests.integer(body, "steps", IntegratedGradients.DEFAULT_STEPS, 1, MAX_STEPS);
        try (ModelRegistry.Lease lease = models.lease(ctx.pathParam("id"))) {
            ModelRegistry.Loaded l = lease.model();
            Endpoints.requireTokenizer(l.lm);
            long[] ids = CircuitsEndpoints.ids(l, prompt, "prompt");
            OptionalLong given = CircuitsEndpoints.oneToken(l.lm, body, "answer", false);
            OptionalLong wrong = CircuitsEndpoints.oneToken(l.lm, body, "wrong", false);
            OptionalLong baseline = CircuitsEndpoints.oneToken(l.lm, body, "baseline", false);
            if (given.isPresent() && wrong.isPresent() && given.getAsLong() == wrong.getAsLong()) {
                throw ApiException.badRequest("'answer' and 'wrong' are the same token \"" + body.path("answer")
                        .asText() + "\": their logit difference is 0 whatever the prompt, so every value would be 0");
            }
            IntegratedGradients settings = !ig ? null : baseline.isPresent()
                    ? IntegratedGradients.defaults().withSteps(steps).withBaselineToken(baseline.getAsLong())
                    : IntegratedGradients.defaults().withSteps(steps);
            ObjectNode out = Json.object();
            out.put("model", l.id);
            out.put("prompt", prompt);
            out.put("method", method);
            out.put("metric", wrong.isPresent() ? "logit_diff" : "log_prob");
            CircuitsEndpoints.locked(l, () -> {
                long answer = given.isPresent() ? given.getAsLong() : mostLikelyNext(l.lm, ids);
                out.set("answer", Endpoints.tokens(l.lm, new long[] {answer}).get(0));
                wrong.ifPresent(w -> out.set("wrong", Endpoints.tokens(l.lm, new long[] {w}).get(0)));
                out.set("tokens", Endpoints.tokens(l.lm, ids));
                LogitMetric metric = wrong.isPresent() ? LogitMetric.logitDiff(answer, wrong.getAsLong())
                        : LogitMetric.logProb(answer);
                if (settings == null) {
                    putSaliency(out, IntegratedGradients.saliency(l.lm, ids, metric));
                } else {
                    baseline.ifPresent(b -> out.set("baseline", Endpoints.tokens(l.lm, new long[] {b}).get(0)));
                    out.put("steps", steps);
                    putAttributions(out, settings.attribute(l.lm, ids, metric));
                }
                return out;
            });
            Endpoints.json(ctx, 200, out);
        }
    }

    /** Puts gradient × input's {@code values} and {@code metric_value}. */
    private static void putSaliency(ObjectNode out, IntegratedGradients.Saliency s) {
        out.set("values", Json.MAPPER.valueToTree(s.values()));
        out.put("metric_value", s.metric());
    }

    /** Puts integrated gradients' {@code values}, {@code metric_value}, {@code metric_at_baseline} and delta. */
    private static void putAttributions(ObjectNode out, IntegratedGradients.Result r) {
        out.set("values", Json.MAPPER.valueToTree(r.attributions()));
        out.put("metric_value", r.metricAtInput());
        out.put("metric_at_baseline", r.metricAtBaseline());
        out.put("convergence_delta", r.convergenceDelta());
    }

    /** The token the model finds most likely after {@code ids} (as /infer ranks them). Under the model's lock. */
    private static long mostLikelyNext(LanguageModel lm, long[] ids) {
        try (RunResult r = lm.inference().run(new long[][] {ids}, null, Interventions.logitsAtLastPosition())) {
            return NextToken.top(r.logits().toFloatArray(), 1).get(0).id();
        }
    }
}
