package io.microw.concepts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.microw.lm.LanguageModel;
import io.microw.nn.Linear;
import io.microw.nn.Module;
import io.microw.sae.Sae;

import java.util.Objects;
import java.util.function.LongFunction;

/**
 * A model's unembedding {@code W_U} (its {@code lm_head} weight, {@code [vocab, d]}) with the text of each token:
 * what a latent's decoder direction does to the logits ({@code W_U · W_dec[latent]}). The weight belongs to its
 * owner (the model); each product is computed in a manager of its own and returned as a heap array.
 */
final class Unembedding {

    private final NDArray weight;
    private final LongFunction<String> tokens;

    Unembedding(NDArray weight, LongFunction<String> tokens) {
        this.weight = Objects.requireNonNull(weight, "weight");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        if (weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException("W_U must be [vocab, d], got " + weight.getShape());
        }
    }

    /**
     * The model's unembedding for an SAE's directions, or {@code null} when there is none to use: no model, no
     * tokenizer, no {@code lm_head}, or one whose width is not the SAE's input width.
     */
    static Unembedding of(LanguageModel lm, Sae sae) {
        if (lm == null || !lm.hasTokenizer() || !lm.layers().names().contains("lm_head")) {
            return null;
        }
        Module m = lm.layers().module("lm_head");
        if (m instanceof Linear l && l.weight().getShape().get(1) == sae.dIn()) {
            return new Unembedding(l.weight(), lm.tokenizer()::tokenText);
        }
        return null;
    }

    /** A latent's decoder row {@code W_dec[latent]}. */
    static float[] decoderRow(Sae sae, int latent) {
        float[] row = new float[sae.dIn()];
        System.arraycopy(sae.parameter("W_dec"), latent * sae.dIn(), row, 0, sae.dIn());
        return row;
    }

    /** {@code W_U · direction}: one logit change per vocabulary token. */
    float[] logits(float[] direction) {
        if (direction.length != weight.getShape().get(1)) {
            throw new IllegalArgumentException("a direction of width " + direction.length + " does not fit W_U "
                    + weight.getShape());
        }
        try (NDManager manager = NDManager.newBaseManager(weight.getDevice())) {
            NDArray logits = weight.matMul(manager.create(direction));
            logits.attach(manager); // made in the weight's manager: move it here so it is freed with this one
            return logits.toFloatArray();
        }
    }

    /** The text of a token. */
    String token(long id) {
        return tokens.apply(id);
    }
}
