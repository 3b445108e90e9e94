package io.microw.concepts;

import java.util.List;

/**
 * Per latent, the contexts that made it fire most: what {@link TopTextsExport} writes. A {@link TopTextTracker}
 * is one; a distributed top-text job's result can be another.
 */
public interface TopTextSource {

    /**
     * How many latents there are.
     *
     * @return the number of latents
     */
    int latents();

    /**
     * A latent's contexts, highest activation first.
     *
     * @param latent the latent, in {@code [0, latents())}
     * @return its contexts (empty when it never fired)
     */
    List<LatentContext> topTexts(int latent);
}
