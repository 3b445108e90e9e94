package io.microw.concepts;

import java.util.List;

/**
 * Per latent, the contexts that made it fire most: what {@link TopTextsExport} writes. A {@link TopTextTracker}
 * is one; a distributed top-text job's result can be another, and {@link TopTextsFile} reads one back from an export.
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

    /**
     * A latent's weakest firings (texts' best tokens), weakest first; empty when the source kept none.
     *
     * @param latent the latent, in {@code [0, latents())}
     * @return its weakest contexts, or an empty list
     */
    default List<LatentContext> bottomTexts(int latent) {
        return List.of();
    }
}
