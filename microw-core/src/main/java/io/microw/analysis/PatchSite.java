package io.microw.analysis;

import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;

import java.util.Arrays;
import java.util.List;

/**
 * The places an activation patching sweep patches, by the names front ends use ({@code resid-pre}, ..., {@code
 * heads}), each with the {@link PatchingSweeps} sweep that patches it.
 */
public enum PatchSite {
    /** Each block's input at each position ({@link PatchingSweeps#residPre}). */
    RESID_PRE("resid-pre", true),
    /** Each block's stream between attention and MLP at each position ({@link PatchingSweeps#residMid}). */
    RESID_MID("resid-mid", true),
    /** Each block's output at each position ({@link PatchingSweeps#residPost}). */
    RESID_POST("resid-post", true),
    /** Each block's attention output at each position ({@link PatchingSweeps#attnOut}). */
    ATTN_OUT("attn-out", true),
    /** Each block's MLP output at each position ({@link PatchingSweeps#mlpOut}). */
    MLP_OUT("mlp-out", true),
    /** Each attention head at all positions ({@link PatchingSweeps#attnHeads}). */
    HEADS("heads", false),
    /** Each attention head's pattern at all query positions ({@link PatchingSweeps#attnPattern}). */
    ATTN_PATTERN("attn-pattern", false);

    private final String id;
    private final boolean byPosition;

    PatchSite(String id, boolean byPosition) {
        this.id = id;
        this.byPosition = byPosition;
    }

    /**
     * The site's name, as {@code microw patch --what} and the server's {@code "what"} take it.
     *
     * @return e.g. {@code resid-pre}
     */
    public String id() {
        return id;
    }

    /**
     * Whether the sweep's columns are positions (else heads).
     *
     * @return true for positions
     */
    public boolean byPosition() {
        return byPosition;
    }

    /**
     * Whether the sweep takes clean and corrupted prompts of different lengths (aligned on their last token); the
     * others refuse them.
     *
     * @return true for {@link #HEADS}
     */
    public boolean alignsLengths() {
        return this == HEADS;
    }

    /**
     * Runs this site's sweep.
     *
     * @param sweeps  the sweeps' settings
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return the table
     */
    public PatchingResult run(PatchingSweeps sweeps, LanguageModel lm, long[][] clean, long[][] corrupt,
                              LogitMetric metric) {
        return switch (this) {
            case RESID_PRE -> sweeps.residPre(lm, clean, corrupt, metric);
            case RESID_MID -> sweeps.residMid(lm, clean, corrupt, metric);
            case RESID_POST -> sweeps.residPost(lm, clean, corrupt, metric);
            case ATTN_OUT -> sweeps.attnOut(lm, clean, corrupt, metric);
            case MLP_OUT -> sweeps.mlpOut(lm, clean, corrupt, metric);
            case HEADS -> sweeps.attnHeads(lm, clean, corrupt, metric);
            case ATTN_PATTERN -> sweeps.attnPattern(lm, clean, corrupt, metric);
        };
    }

    /**
     * Every site's name, in declaration order.
     *
     * @return the names
     */
    public static List<String> ids() {
        return Arrays.stream(values()).map(PatchSite::id).toList();
    }

    /**
     * The site with this name.
     *
     * @param id a name from {@link #ids()}
     * @return the site
     * @throws IllegalArgumentException naming the accepted names when there is none
     */
    public static PatchSite fromId(String id) {
        for (PatchSite s : values()) {
            if (s.id.equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown patching site \"" + id + "\": one of " + ids());
    }
}
