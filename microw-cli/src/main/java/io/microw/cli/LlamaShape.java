package io.microw.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The shape of a Llama checkpoint (untied head, no biases), with the Hugging Face tensor names and the
 * {@code config.json} of that shape: TinyLlama's for the benchmarks, smaller ones for tests.
 *
 * @param hidden       hidden size
 * @param layers       decoder layers
 * @param intermediate MLP width
 * @param heads        query heads
 * @param kvHeads      key-value heads
 * @param vocab        vocabulary size
 */
record LlamaShape(int hidden, int layers, int intermediate, int heads, int kvHeads, int vocab) {

    /** TinyLlama 1.1B's shape: hidden 2048, 22 layers, MLP 5632, 32 query / 4 key-value heads, vocab 32000. */
    static final LlamaShape TINYLLAMA = new LlamaShape(2048, 22, 5632, 32, 4, 32000);

    /** Checks that the heads divide the sizes. */
    LlamaShape {
        if (hidden < 1 || layers < 1 || intermediate < 1 || heads < 1 || kvHeads < 1 || vocab < 1) {
            throw new IllegalArgumentException("every size must be at least 1, got " + this);
        }
        if (hidden % heads != 0 || heads % kvHeads != 0 || (hidden / heads) % 2 != 0) {
            throw new IllegalArgumentException("heads must divide the hidden size into an even head size and "
                    + "key-value heads must divide the heads, got " + this);
        }
    }

    /**
     * A tensor of the checkpoint.
     *
     * @param name  its Hugging Face name
     * @param shape its shape
     * @param norm  whether it is a norm's scale (ones), not a matrix (random)
     */
    record Tensor(String name, long[] shape, boolean norm) {

        /** Elements. */
        long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** Every tensor, in file order. */
    List<Tensor> tensors() {
        int kv = hidden / heads * kvHeads;
        List<Tensor> t = new ArrayList<>();
        t.add(new Tensor("model.embed_tokens.weight", new long[] {vocab, hidden}, false));
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            t.add(new Tensor(p + "input_layernorm.weight", new long[] {hidden}, true));
            t.add(new Tensor(p + "self_attn.q_proj.weight", new long[] {hidden, hidden}, false));
            t.add(new Tensor(p + "self_attn.k_proj.weight", new long[] {kv, hidden}, false));
            t.add(new Tensor(p + "self_attn.v_proj.weight", new long[] {kv, hidden}, false));
            t.add(new Tensor(p + "self_attn.o_proj.weight", new long[] {hidden, hidden}, false));
            t.add(new Tensor(p + "post_attention_layernorm.weight", new long[] {hidden}, true));
            t.add(new Tensor(p + "mlp.gate_proj.weight", new long[] {intermediate, hidden}, false));
            t.add(new Tensor(p + "mlp.up_proj.weight", new long[] {intermediate, hidden}, false));
            t.add(new Tensor(p + "mlp.down_proj.weight", new long[] {hidden, intermediate}, false));
        }
        t.add(new Tensor("model.norm.weight", new long[] {hidden}, true));
        t.add(new Tensor("lm_head.weight", new long[] {vocab, hidden}, false));
        return t;
    }

    /** Parameters in all. */
    long parameters() {
        return tensors().stream().mapToLong(Tensor::numel).sum();
    }

    /** The {@code config.json} of this shape (rope θ 10000, RMSNorm eps 1e-5, 2048 positions, untied head). */
    String configJson() {
        return String.format(Locale.ROOT, "{\"model_type\": \"llama\", "
                + "\"num_hidden_layers\": %d, \"hidden_size\": %d, \"num_attention_heads\": %d, "
                + "\"num_key_value_heads\": %d, \"intermediate_size\": %d, \"vocab_size\": %d, "
                + "\"max_position_embeddings\": 2048, \"rms_norm_eps\": 1e-5, \"rope_theta\": 10000.0, "
                + "\"tie_word_embeddings\": false}", layers, hidden, heads, kvHeads, intermediate, vocab);
    }
}
