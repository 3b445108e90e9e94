package io.microw.concepts;

import java.util.List;

/**
 * One place where a latent fired: the text (its running id in the tracker and its decoded tokens), the token
 * position (0 = the text's first real token), the token, the activation, and a window of tokens around it
 * ({@code window.get(position - windowStart)} is the token itself) with the latent's code on each of them.
 */
public record LatentContext(long textId, String text, int position, String token, float activation,
                            List<String> window, int windowStart, List<Float> windowActivations) {
}
