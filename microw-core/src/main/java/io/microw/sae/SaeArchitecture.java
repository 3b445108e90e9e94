package io.microw.sae;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The SAE architectures microw builds, with the names SAELens writes in {@code cfg.json}'s "architecture". */
public enum SaeArchitecture {
    /** ReLU SAE trained with an L1 penalty weighted by decoder row norms (SAELens "standard"). */
    STANDARD("standard"),
    /** Keeps the k largest pre-activations of each row (SAELens "topk"). */
    TOPK("topk"),
    /** Keeps the batch's {@code k * batch} largest pre-activations in training; a JumpReLU at inference. */
    BATCH_TOPK("batchtopk"),
    /** ReLU gated by a learned per-latent threshold (SAELens "jumprelu"). */
    JUMP_RELU("jumprelu"),
    /** Separate gate and magnitude paths sharing the encoder directions (SAELens "gated"). */
    GATED("gated");

    private final String saeLensName;

    SaeArchitecture(String saeLensName) {
        this.saeLensName = saeLensName;
    }

    /**
     * The name in SAELens' cfg.json.
     *
     * @return the SAELens name
     */
    public String saeLensName() {
        return saeLensName;
    }

    /**
     * Parses a cfg.json "architecture" value; the error lists the known names.
     *
     * @param name the cfg.json value
     * @return the architecture
     */
    public static SaeArchitecture fromSaeLensName(String name) {
        for (SaeArchitecture a : values()) {
            if (a.saeLensName.equalsIgnoreCase(name)) {
                return a;
            }
        }
        throw new SaeException("unknown SAE architecture '" + name + "'; expected one of "
                + Arrays.stream(values()).map(SaeArchitecture::saeLensName).collect(Collectors.joining(", ")));
    }
}
