package io.microw.models;

import ai.djl.ndarray.NDManager;
import io.microw.io.HfConfig;

/**
 * What the Llama-like families share: a {@link LlamaConfig}, checkpoints that may leave off {@code model.}, and
 * {@link Llama}'s module tree. Each family names its model types.
 */
abstract class LlamaLikeFamily implements ModelFamily {

    @Override
    public final ModelConfig parseConfig(HfConfig config) {
        return LlamaConfig.from(config);
    }

    @Override
    public final String optionalWeightPrefix() {
        return "model.";
    }

    @Override
    public final TransformerModel build(ModelConfig config, ParameterSource params, NDManager manager) {
        return new Llama.ForCausalLM((LlamaConfig) config, params);
    }
}
