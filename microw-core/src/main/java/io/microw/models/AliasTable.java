package io.microw.models;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds a family's TransformerLens alias table from two small maps: names outside the blocks
 * ({@code hook_embed}) and names inside block i ({@code hook_resid_post}, {@code attn.hook_pattern}), each
 * given relative to the family's own block name.
 */
final class AliasTable {

    private AliasTable() {
    }

    /**
     * Builds a model's alias table from its global aliases and the aliases every block repeats.
     *
     * @param model     the model, whose {@link TransformerModel#blockName(int)} names each block
     * @param numLayers the number of blocks
     * @param global    alias to canonical name, outside the blocks
     * @param perBlock  alias suffix after {@code blocks.i.} to canonical suffix after the block's name
     *                  ("" means the block itself)
     * @return alias to canonical name: {@code global}, then {@code blocks.i} and {@code blocks.i.<suffix>} for every block
     */
    public static Map<String, String> build(TransformerModel model, int numLayers, Map<String, String> global,
                                            Map<String, String> perBlock) {
        Map<String, String> aliases = new LinkedHashMap<>(global);
        for (int i = 0; i < numLayers; i++) {
            String block = model.blockName(i);
            aliases.put("blocks." + i, block);
            for (Map.Entry<String, String> e : perBlock.entrySet()) {
                String target = e.getValue().isEmpty() ? block : block + "." + e.getValue();
                aliases.put("blocks." + i + "." + e.getKey(), target);
            }
        }
        return aliases;
    }
}
