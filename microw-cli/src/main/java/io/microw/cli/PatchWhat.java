package io.microw.cli;

import io.microw.analysis.ActivationPatching;
import io.microw.analysis.PatchingResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What {@code microw patch --what} patches, and the {@link ActivationPatching} sweep that does it. */
enum PatchWhat {
    RESID_PRE("resid-pre", true),
    RESID_MID("resid-mid", true),
    RESID_POST("resid-post", true),
    ATTN_OUT("attn-out", true),
    MLP_OUT("mlp-out", true),
    HEADS("heads", false);

    private final String flag;
    private final boolean byPosition;

    PatchWhat(String flag, boolean byPosition) {
        this.flag = flag;
        this.byPosition = byPosition;
    }

    /** The value of {@code --what}. */
    String flag() {
        return flag;
    }

    /** Whether the columns are positions (else heads). */
    boolean byPosition() {
        return byPosition;
    }

    /** Runs this sweep. */
    PatchingResult run(ActivationPatching patching, LanguageModel lm, long[][] clean, long[][] corrupt,
                       LogitMetric metric) {
        return switch (this) {
            case RESID_PRE -> patching.residPre(lm, clean, corrupt, metric);
            case RESID_MID -> patching.residMid(lm, clean, corrupt, metric);
            case RESID_POST -> patching.residPost(lm, clean, corrupt, metric);
            case ATTN_OUT -> patching.attnOut(lm, clean, corrupt, metric);
            case MLP_OUT -> patching.mlpOut(lm, clean, corrupt, metric);
            case HEADS -> patching.attnHeads(lm, clean, corrupt, metric);
        };
    }

    /** The accepted values, for help and errors. */
    static String choices() {
        return Arrays.stream(values()).map(PatchWhat::flag).collect(Collectors.joining(", "));
    }

    /** Reads {@code --what}; an unknown value is refused naming the accepted ones. */
    static final class Converter implements ITypeConverter<PatchWhat> {
        @Override
        public PatchWhat convert(String value) {
            for (PatchWhat w : values()) {
                if (w.flag.equals(value)) {
                    return w;
                }
            }
            throw new TypeConversionException("'" + value + "' is not one of " + choices());
        }
    }
}
