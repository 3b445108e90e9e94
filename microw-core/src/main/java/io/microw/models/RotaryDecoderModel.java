package io.microw.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.microw.nn.internal.ForwardContext;
import io.microw.nn.Module;
import io.microw.nn.ModuleList;
import io.microw.nn.RotaryEmbedding;

import java.util.List;

/**
 * The body of a rotary decoder ({@code LlamaModel}, {@code GemmaModel} and their kin): {@code embed_tokens},
 * the decoder {@code layers}, the final {@code norm} and {@code rotary_emb}, in Hugging Face's order. The rotary
 * module runs once per forward on the batch's position ids; every layer gets (hidden, cos, sin) and returns
 * the new hidden state. Input: token ids; output: the normalised last hidden state.
 */
final class RotaryDecoderModel extends Module {

    private final String typeName;
    private final Module embedTokens;
    private final List<? extends Module> layers;
    private final Module norm;
    private final RotaryEmbedding rotaryEmb;

    /** The children's names must be {@code <name>.embed_tokens}, {@code <name>.layers.<i>}, {@code <name>.norm}, ... */
    RotaryDecoderModel(String name, String typeName, Module embedTokens, List<? extends Module> layers, Module norm,
                       RotaryEmbedding rotaryEmb) {
        super(name);
        this.typeName = typeName;
        this.embedTokens = add(embedTokens);
        this.layers = layers;
        add(new ModuleList<>(child("layers"), layers));
        this.norm = add(norm);
        this.rotaryEmb = add(rotaryEmb);
    }

    @Override
    public String typeName() {
        return typeName;
    }

    @Override
    protected NDList forward(ForwardContext ctx, NDList inputs) {
        NDArray hidden = embedTokens.call(ctx, inputs.head());
        NDList cosSin = rotaryEmb.call(ctx, new NDList(ctx.batch().positionIds(), hidden));
        for (Module layer : layers) {
            hidden = layer.call(ctx, new NDList(hidden, cosSin.get(0), cosSin.get(1))).head();
        }
        return new NDList(norm.call(ctx, hidden));
    }
}
