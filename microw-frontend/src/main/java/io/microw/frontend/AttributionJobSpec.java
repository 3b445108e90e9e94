package io.microw.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.analysis.AttributionSweeps;
import io.microw.analysis.PatchSite;
import io.microw.analysis.PatchingResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What an attribution patching job estimates, whichever front end asked for it ({@code microw attribute --method
 * atp}, or {@code POST /api/models/{id}/attribution}): the patching sweep to estimate, whether to run the exact sweep
 * too and compare, the prompts and the answer and wrong tokens; with the defaults here and nowhere else.
 *
 * @param what    the patching site whose sweep is estimated, one of {@link #SITES}
 * @param compare whether the exact sweep runs too
 * @param prompts the prompts and the answer and wrong tokens
 */
public record AttributionJobSpec(PatchSite what, boolean compare, PromptPair prompts) {

    /** The sites attribution patching estimates, in the order the patching sites list them. */
    public static final List<PatchSite> SITES = List.of(PatchSite.RESID_PRE, PatchSite.ATTN_OUT, PatchSite.MLP_OUT,
            PatchSite.HEADS);

    /** The site estimated when none is named: the same as patching's, {@value PatchingJobSpec#DEFAULT_WHAT}. */
    public static final String DEFAULT_WHAT = PatchingJobSpec.DEFAULT_WHAT;

    /** Fills the default site and checks that attribution patching estimates it. */
    public AttributionJobSpec {
        what = what == null ? site(DEFAULT_WHAT) : what;
        if (!SITES.contains(what)) {
            throw unknown(what.id());
        }
        Objects.requireNonNull(prompts, "prompts");
    }

    /**
     * A job estimating {@value #DEFAULT_WHAT}, without the exact comparison.
     *
     * @param prompts the prompts and tokens
     * @return the spec
     */
    public static AttributionJobSpec of(PromptPair prompts) {
        return new AttributionJobSpec(null, false, prompts);
    }

    /**
     * The ids of {@link #SITES}.
     *
     * @return the names {@code what} takes
     */
    public static List<String> ids() {
        return SITES.stream().map(PatchSite::id).toList();
    }

    /**
     * The site named {@code id}; one attribution patching does not estimate is an {@link IllegalArgumentException}
     * naming the accepted ones (and, for another patching site, that exact patching measures it).
     *
     * @param id a site's id
     * @return the site
     */
    public static PatchSite site(String id) {
        return SITES.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow(() -> unknown(id));
    }

    private static IllegalArgumentException unknown(String id) {
        String accepted = "'" + id + "' is not one of " + SITES.stream().map(PatchSite::id)
                .collect(Collectors.joining(", "));
        return new IllegalArgumentException(PatchSite.ids().contains(id) ? accepted + " (attribution patching has no "
                + "estimate of " + id + "; exact patching of " + id + " measures it)" : accepted);
    }

    /**
     * Runs the estimate of a site's sweep.
     *
     * @param what    one of {@link #SITES}
     * @param sweeps  attribution patching, configured
     * @param lm      the model
     * @param clean   the clean prompts' ids
     * @param corrupt the corrupted prompts' ids
     * @param metric  the metric
     * @return the estimated table
     */
    public static PatchingResult estimate(PatchSite what, AttributionSweeps sweeps, LanguageModel lm, long[][] clean,
                                          long[][] corrupt, LogitMetric metric) {
        return switch (what) {
            case RESID_PRE -> sweeps.residPre(lm, clean, corrupt, metric);
            case ATTN_OUT -> sweeps.attnOut(lm, clean, corrupt, metric);
            case MLP_OUT -> sweeps.mlpOut(lm, clean, corrupt, metric);
            case HEADS -> sweeps.attnHeads(lm, clean, corrupt, metric);
            default -> throw new IllegalStateException("attribution patching does not estimate " + what);
        };
    }

    /**
     * Writes the spec into a job's parameters: {@code what}, {@code clean}, {@code corrupt}, {@code answer}, {@code
     * wrong}, {@code compare}.
     *
     * @param params the job's parameters
     */
    public void writeTo(ObjectNode params) {
        params.put("what", what.id());
        prompts.writeTo(params);
        params.put("compare", compare);
    }

    /**
     * The spec {@link #writeTo} wrote; an absent {@code what} or {@code compare} takes its default.
     *
     * @param params a job's parameters
     * @return the spec
     */
    public static AttributionJobSpec readFrom(JsonNode params) {
        return new AttributionJobSpec(params.hasNonNull("what") ? site(params.get("what").asText()) : null,
                params.path("compare").asBoolean(false), PromptPair.readFrom(params));
    }
}
