package io.microw.models;

import ai.djl.ndarray.NDList;
import io.microw.nn.internal.ForwardContext;
import io.microw.nn.Module;

import java.util.Map;
import java.util.Optional;

/**
 * The root module of a model: it runs on a batch of token ids (positions and mask come from the
 * forward's batch) and returns logits [batch, seq, vocab]. Each architecture family supplies one,
 * with its block names and its TransformerLens alias table.
 */
public abstract class TransformerModel extends Module {

    /**
     * A root module; its name is "".
     */
    protected TransformerModel() {
        super("");
    }

    /**
     * The config this model was built from.
     *
     * @return the config
     */
    public abstract ModelConfig config();

    /**
     * Canonical name of block {@code i} ({@code transformer.h.3}); {@code layer_3} resolves to it.
     *
     * @param i the block index, from 0
     * @return the block's canonical name
     */
    public abstract String blockName(int i);

    /**
     * TransformerLens-style aliases of this architecture, alias to canonical name.
     *
     * @return the aliases
     */
    public abstract Map<String, String> aliases();

    /**
     * Whether this is a causal decoder whose output is logits (true) or a bidirectional encoder whose output is
     * its last hidden state (false; it cannot generate).
     *
     * @return true for a decoder, false for an encoder
     */
    public boolean isDecoder() {
        return true;
    }

    /**
     * Where TransformerLens' weight processing finds this model's weights; empty where TransformerLens defines none
     * (an encoder).
     *
     * @return the layout, or empty
     */
    public Optional<WeightLayout> weightLayout() {
        return Optional.empty();
    }

    /** Runs the model; inputs hold the int64 token ids [batch, seq]. */
    @Override
    protected abstract NDList forward(ForwardContext ctx, NDList inputs);
}
