package io.microw.server;

import io.microw.concepts.LatentContext;
import io.microw.concepts.TopTextSource;

import java.util.List;
import java.util.Map;

/** Top texts given by hand, to export as a file a test then imports: the contexts of some latents, none for the rest. */
record FixedTopTexts(int latents, Map<Integer, List<LatentContext>> contexts) implements TopTextSource {

    @Override
    public List<LatentContext> topTexts(int latent) {
        return contexts.getOrDefault(latent, List.of());
    }
}
