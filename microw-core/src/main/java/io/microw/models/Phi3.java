package io.microw.models;

import java.util.Set;

/**
 * Phi-3 ({@code Phi3ForCausalLM}): Llama's decoder with a fused {@code self_attn.qkv_proj} (queries, keys, values
 * in that order), a fused {@code mlp.gate_up_proj} (gate, then up) with {@code activation_fn}, residual dropouts
 * ({@code resid_attn_dropout}, {@code resid_mlp_dropout}) and partial rotary ({@code partial_rotary_factor}).
 * The module tree, hook points and alias table are {@link Llama}'s, built from a {@link LlamaConfig} whose
 * {@code fused} flag the phi3 model type sets.
 */
final class Phi3 extends LlamaLikeFamily {

    @Override
    public Set<String> modelTypes() {
        return Set.of("phi3");
    }
}
