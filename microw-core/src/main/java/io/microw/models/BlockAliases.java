package io.microw.models;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The TransformerLens names inside a pre-norm decoder block ({@code blocks.i.ln1}, {@code attn.hook_q},
 * {@code hook_mlp_out}, ...) mapped to a family's names relative to its block, for {@link AliasTable#build}.
 * A family adds its own extras (such as {@code mlp.hook_pre}) to the returned map.
 */
final class BlockAliases {

    private static final List<String> ATTENTION_HOOKS = List.of("hook_q", "hook_k", "hook_v", "hook_pattern", "hook_z");

    private BlockAliases() {
    }

    /**
     * @param ln1         the norm before attention
     * @param attn        the attention module (its output is {@code hook_attn_out})
     * @param ln2         the norm before the MLP
     * @param mlp         the MLP module (its output is {@code hook_mlp_out})
     * @param residMid    whether the block has a {@code hook_resid_mid} (a parallel-residual block has none)
     */
    static Map<String, String> preNorm(String ln1, String attn, String ln2, String mlp, boolean residMid) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("hook_resid_pre", "hook_resid_pre");
        m.put("ln1", ln1);
        m.put("ln1.hook_normalized", ln1);
        m.put("attn", attn);
        for (String hook : ATTENTION_HOOKS) {
            m.put("attn." + hook, attn + "." + hook);
        }
        m.put("hook_attn_out", attn);
        if (residMid) {
            m.put("hook_resid_mid", "hook_resid_mid");
        }
        m.put("ln2", ln2);
        m.put("ln2.hook_normalized", ln2);
        m.put("mlp", mlp);
        m.put("hook_mlp_out", mlp);
        m.put("hook_resid_post", "hook_resid_post");
        return m;
    }
}
