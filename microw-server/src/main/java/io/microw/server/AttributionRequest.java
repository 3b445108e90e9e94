package io.microw.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.analysis.AttributionPatching;
import io.microw.analysis.AttributionSweeps;
import io.microw.analysis.PatchSite;
import io.microw.analysis.PatchingResult;
import io.microw.analysis.Pearson;
import io.microw.frontend.AttributionJobSpec;
import io.microw.models.ModelConfig;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * An attribution patching request ({@code POST /api/models/{id}/attribution}) checked against a loaded model: the
 * {@link AttributionPatching} estimate of the exact patching sweep over the same site, prompts and tokens, from one
 * clean forward and one corrupted forward-backward; and, when it says {@code "compare": true}, the exact sweep too and
 * the Pearson correlation of the two tables. Only a comparison can be large ({@link PatchingRequest#large}), so only a
 * comparison runs as an {@code attribution} job unless the request asks with {@code "async": true}.
 *
 * @param exact   the same request as exact patching: its site, prompts, answer and wrong tokens
 * @param compare whether to run the exact sweep as well and correlate the two
 */
record AttributionRequest(PatchingRequest exact, boolean compare) implements CircuitSweep {

    /** Every {@code what} an attribution request takes ({@link AttributionJobSpec#SITES}). */
    static List<String> whats() {
        return AttributionJobSpec.ids();
    }

    /**
     * The fields of a request body that an attribution job records ({@code what}, by default {@code resid-pre},
     * {@code clean}, {@code corrupt}, {@code answer}, {@code wrong}, {@code compare}, by default false); 400 for a
     * {@code what} attribution patching does not estimate or a missing or malformed field.
     */
    static ObjectNode fields(ObjectNode body) {
        String what = Requests.text(body, "what", false);
        PatchSite site;
        try {
            site = what == null ? null : AttributionJobSpec.site(what);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("'what': " + e.getMessage());
        }
        Boolean compare = Requests.bool(body, "compare");
        ObjectNode fields = Json.object();
        new AttributionJobSpec(site, compare != null && compare, PatchingRequest.prompts(body)).writeTo(fields);
        return fields;
    }

    /**
     * The request that {@link #fields} describes, on model {@code l}: 400 as for {@link PatchingRequest#of}, and when
     * the prompts have different token counts (naming both), for every site.
     */
    static AttributionRequest of(ObjectNode fields, ModelRegistry.Loaded l) {
        Endpoints.requireTokenizer(l.lm);
        int clean = CircuitsEndpoints.ids(l, fields.path("clean").asText(), "clean").length;
        int corrupt = CircuitsEndpoints.ids(l, fields.path("corrupt").asText(), "corrupt").length;
        if (clean != corrupt) {
            throw ApiException.badRequest("'clean' has " + clean + " tokens but 'corrupt' has " + corrupt
                    + ": attribution patching needs prompts of equal length, \"" + PatchSite.HEADS.id() + "\" too "
                    + "(change words that are one token each)");
        }
        return new AttributionRequest(PatchingRequest.of(fields, l), AttributionJobSpec.readFrom(fields).compare());
    }

    @Override
    public String what() {
        return exact.what();
    }

    @Override
    public long[] clean() {
        return exact.clean();
    }

    @Override
    public long[] corrupt() {
        return exact.corrupt();
    }

    /** The estimate's cells, and as many again for the exact sweep of a comparison. */
    @Override
    public int cells(ModelConfig c) {
        return exact.cells(c) * (compare ? 2 : 1);
    }

    /** A comparison as large as its exact sweep; the estimate alone, two passes, never is. */
    @Override
    public boolean large(ModelConfig c) {
        return compare && exact.large(c);
    }

    /**
     * Estimates the sweep, then for a comparison runs the exact one, and answers {@code model}, {@code what},
     * {@code method} ({@code "attribution"}), the estimate's {@code rows}, {@code columns}, {@code values} (each the
     * estimated metric of the patched run), {@code clean_metric}, {@code corrupt_metric} and {@code tokens}; for a
     * comparison also {@code exact}, the exact sweep's table, and {@code correlation}, the Pearson correlation of the
     * two tables' cells (null when either is constant).
     *
     * @param progress called with the estimate's cells once it is done, then with those and the exact sweep's
     */
    @Override
    public ObjectNode answer(ModelRegistry.Loaded l, IntConsumer progress) {
        PatchingResult estimate = CircuitsEndpoints.locked(l, () -> estimate(l));
        ModelConfig c = l.lm.config();
        int estimated = exact.cells(c);
        progress.accept(estimated);
        ObjectNode out = Json.object();
        out.put("model", l.id);
        out.put("what", what());
        out.put("method", "attribution");
        PatchingRequest.putTable(out, estimate);
        PatchingRequest.putTokens(out, l, exact.clean(), exact.corrupt(), exact.answer(), exact.wrong());
        if (compare) {
            PatchingResult measured = exact.sweep(l, done -> progress.accept(estimated + done));
            PatchingRequest.putTable(out.putObject("exact"), measured);
            Json.putNumber(out, "correlation", Pearson.of(estimate.values(), measured.values()));
        }
        return out;
    }

    /** The attribution estimate of the site's sweep. The caller holds the model's lock. */
    private PatchingResult estimate(ModelRegistry.Loaded l) {
        AttributionSweeps sweeps = AttributionPatching.defaults();
        long[][] c = {exact.clean()};
        long[][] d = {exact.corrupt()};
        return AttributionJobSpec.estimate(exact.site(), sweeps, l.lm, c, d, exact.metric());
    }
}
