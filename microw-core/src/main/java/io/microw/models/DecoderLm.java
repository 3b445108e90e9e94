package io.microw.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.microw.nn.Linear;

import java.util.Map;

/**
 * The root of a causal language model whose blocks are named {@code <blockPrefix><i>}: it is named after the
 * config's HF class, keeps the config and the TransformerLens aliases, and builds {@code lm_head}.
 */
abstract class DecoderLm<C extends ModelConfig> extends TransformerModel {

    private final C config;
    private final String blockPrefix;
    private Map<String, String> aliases = Map.of();

    DecoderLm(C config, String blockPrefix) {
        this.config = config;
        this.blockPrefix = blockPrefix;
    }

    @Override
    public final String typeName() {
        return config.architecture();
    }

    @Override
    public final C config() {
        return config;
    }

    @Override
    public final String blockName(int i) {
        return blockPrefix + i;
    }

    @Override
    public final Map<String, String> aliases() {
        return aliases;
    }

    /** Sets the aliases once the module tree is built (see {@link AliasTable#build}). */
    protected final void setAliases(Map<String, String> global, Map<String, String> perBlock) {
        aliases = AliasTable.build(this, config.numLayers(), global, perBlock);
    }

    /**
     * Adds {@code lm_head}: the embedding table when the config ties them, else the first of {@code storedNames}
     * the checkpoint has (a missing head is an error naming the first).
     */
    protected final Linear addLmHead(ParameterSource params, NDArray embeddingTable, String... storedNames) {
        NDArray weight = embeddingTable;
        if (!config.tieWordEmbeddings()) {
            String name = storedNames[0];
            for (String candidate : storedNames) {
                if (params.has(candidate)) {
                    name = candidate;
                    break;
                }
            }
            weight = params.get(name, new Shape(config.vocabSize(), config.hiddenSize()), Init.NORMAL);
        }
        return add(new Linear("lm_head", "Linear", weight, null));
    }
}
