package io.microw.cli;

import io.microw.analysis.AttributionSweeps;
import io.microw.analysis.PatchSite;
import io.microw.analysis.PatchingResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * What {@code microw attribute --method atp --what} names: the activation patching sites ({@link PatchSite}, by the
 * same names as {@code microw patch --what}) that attribution patching estimates, each with its
 * {@link AttributionSweeps} sweep.
 */
enum AttributionSite {
    /** Each block's input at each position. */
    RESID_PRE(PatchSite.RESID_PRE),
    /** Each block's attention output at each position. */
    ATTN_OUT(PatchSite.ATTN_OUT),
    /** Each block's MLP output at each position. */
    MLP_OUT(PatchSite.MLP_OUT),
    /** Each attention head at all positions. */
    HEADS(PatchSite.HEADS);

    private final PatchSite site;

    AttributionSite(PatchSite site) {
        this.site = site;
    }

    /** The activation patching site this estimates, whose sweep {@code --compare} runs. */
    PatchSite site() {
        return site;
    }

    /** The name, as {@code --what} takes it (the {@link PatchSite}'s). */
    String id() {
        return site.id();
    }

    /** Runs this site's attribution patching sweep. */
    PatchingResult estimate(AttributionSweeps sweeps, LanguageModel lm, long[][] clean, long[][] corrupt,
                            LogitMetric metric) {
        return switch (this) {
            case RESID_PRE -> sweeps.residPre(lm, clean, corrupt, metric);
            case ATTN_OUT -> sweeps.attnOut(lm, clean, corrupt, metric);
            case MLP_OUT -> sweeps.mlpOut(lm, clean, corrupt, metric);
            case HEADS -> sweeps.attnHeads(lm, clean, corrupt, metric);
        };
    }

    /** Every name {@code --what} takes, in declaration order. */
    static List<String> ids() {
        return Arrays.stream(values()).map(AttributionSite::id).toList();
    }

    /** The names, as picocli's {@code completionCandidates}. */
    static final class Ids implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return ids().iterator();
        }
    }

    /**
     * Reads {@code --what}; an unknown value is refused naming the accepted ones, and a patching site that attribution
     * patching does not estimate is pointed to {@code microw patch}.
     */
    static final class Converter implements ITypeConverter<AttributionSite> {
        @Override
        public AttributionSite convert(String value) {
            for (AttributionSite s : values()) {
                if (s.id().equals(value)) {
                    return s;
                }
            }
            String accepted = "'" + value + "' is not one of " + String.join(", ", ids());
            if (PatchSite.ids().contains(value)) {
                throw new TypeConversionException(accepted + " (attribution patching has no estimate of " + value
                        + "; microw patch --what " + value + " patches it exactly)");
            }
            throw new TypeConversionException(accepted);
        }
    }
}
