package io.microw.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.io.HfConfig;
import io.microw.nn.Activation;
import io.microw.nn.Dropout;
import io.microw.nn.Embedding;
import io.microw.nn.internal.ForwardContext;
import io.microw.nn.HookPoint;
import io.microw.nn.LayerNorm;
import io.microw.nn.Linear;
import io.microw.nn.Module;
import io.microw.nn.ModuleList;
import io.microw.nn.RotaryEmbedding;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * GPT-NeoX and Pythia ({@code GPTNeoXForCausalLM}) with Hugging Face's module tree: {@code gpt_neox.embed_in},
 * {@code emb_dropout}, {@code layers.<i>} ({@code input_layernorm}, {@code post_attention_layernorm},
 * {@code post_attention_dropout}, {@code post_mlp_dropout}, {@code attention.query_key_value},
 * {@code attention.dense}, {@code mlp.dense_h_to_4h}, {@code mlp.dense_4h_to_h}, {@code mlp.act}),
 * {@code final_layer_norm}, {@code rotary_emb} and {@code lm_head} (stored as {@code embed_out} in checkpoints).
 * Rotary embedding covers the first {@code partial_rotary_factor} of each head. With the parallel residual
 * (the default) attention and MLP both read the block's input and the block has no {@code hook_resid_mid}.
 */
final class GptNeoX implements ModelFamily {

    @Override
    public Set<String> modelTypes() {
        return Set.of("gpt_neox");
    }

    @Override
    public ModelConfig parseConfig(HfConfig config) {
        return GptNeoXConfig.from(config);
    }

    @Override
    public String optionalWeightPrefix() {
        return "gpt_neox.";
    }

    @Override
    public TransformerModel build(ModelConfig config, ParameterSource params, NDManager manager) {
        return new CausalLm((GptNeoXConfig) config, params);
    }

    /** The root: {@code gpt_neox} then {@code lm_head}. */
    static final class CausalLm extends DecoderLm<GptNeoXConfig> {

        private final NeoXModel gptNeox;
        private final Linear lmHead;

        CausalLm(GptNeoXConfig config, ParameterSource params) {
            super(config, "gpt_neox.layers.");
            this.gptNeox = add(new NeoXModel("gpt_neox", config, params));
            // transformers 5 names the module lm_head but saves its weight as embed_out, as older versions did
            this.lmHead = addLmHead(params, gptNeox.embedIn.table(), "lm_head.weight", "embed_out.weight");
            Map<String, String> perBlock = BlockAliases.preNorm("input_layernorm", "attention",
                    "post_attention_layernorm", "mlp", !config.useParallelResidual());
            perBlock.put("mlp.hook_pre", "mlp.dense_h_to_4h");
            perBlock.put("mlp.hook_post", "mlp.act");
            setAliases(Map.of("hook_embed", "gpt_neox.embed_in",
                    "ln_final", "gpt_neox.final_layer_norm",
                    "ln_final.hook_normalized", "gpt_neox.final_layer_norm",
                    "unembed", "lm_head"), perBlock);
        }

        @Override
        public Optional<WeightLayout> weightLayout() {
            GptNeoXConfig c = config();
            List<WeightLayout.NormReaders> norms = new ArrayList<>();
            List<String> writers = new ArrayList<>();
            List<WeightLayout.ValueBias> values = new ArrayList<>();
            int hd = c.headDim();
            for (int i = 0; i < c.numLayers(); i++) {
                String b = blockName(i) + ".";
                norms.add(new WeightLayout.NormReaders(b + "input_layernorm", List.of(b + "attention.query_key_value")));
                norms.add(new WeightLayout.NormReaders(b + "post_attention_layernorm", List.of(b + "mlp.dense_h_to_4h")));
                writers.add(b + "attention.dense");
                writers.add(b + "mlp.dense_4h_to_h");
                if (c.attentionBias()) {
                    // query_key_value's rows are [head][q, k, v][channel]
                    long[] rows = new long[c.numHeads() * hd];
                    for (int j = 0; j < rows.length; j++) {
                        rows[j] = (long) (j / hd) * 3 * hd + 2L * hd + j % hd;
                    }
                    values.add(new WeightLayout.ValueBias(b + "attention.query_key_value", rows, b + "attention.dense"));
                }
            }
            norms.add(new WeightLayout.NormReaders("gpt_neox.final_layer_norm", List.of("lm_head")));
            return Optional.of(new WeightLayout(true, norms, List.of("gpt_neox.embed_in"), writers, values, "lm_head",
                    false));
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            return new NDList(lmHead.call(ctx, ctx.headPositions(gptNeox.call(ctx, inputs).head())));
        }
    }

    /** {@code GPTNeoXModel}: embeddings, blocks, final norm. Input: token ids; output: last hidden state. */
    static final class NeoXModel extends Module {

        final Embedding embedIn;
        private final Dropout embDropout;
        private final List<Block> blocks = new ArrayList<>();
        private final LayerNorm finalLayerNorm;
        private final RotaryEmbedding rotaryEmb;

        NeoXModel(String name, GptNeoXConfig c, ParameterSource p) {
            super(name);
            embedIn = add(new Embedding(child("embed_in"),
                    p.get(child("embed_in.weight"), new Shape(c.vocabSize(), c.hiddenSize()), Init.NORMAL)));
            embDropout = add(new Dropout(child("emb_dropout")));
            for (int i = 0; i < c.numLayers(); i++) {
                blocks.add(new Block(child("layers." + i), i, c, p));
            }
            add(new ModuleList<>(child("layers"), blocks));
            finalLayerNorm = add(layerNorm(child("final_layer_norm"), c, p));
            rotaryEmb = add(new RotaryEmbedding(child("rotary_emb"), c.rope()));
        }

        @Override
        public String typeName() {
            return "GPTNeoXModel";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray hidden = embDropout.call(ctx, embedIn.call(ctx, inputs.head()));
            NDList cosSin = rotaryEmb.call(ctx, new NDList(ctx.batch().positionIds(), hidden));
            for (Block block : blocks) {
                hidden = block.call(ctx, new NDList(hidden, cosSin.get(0), cosSin.get(1))).head();
            }
            return new NDList(finalLayerNorm.call(ctx, hidden));
        }
    }

    /**
     * {@code GPTNeoXLayer}. Parallel residual: x + attn(ln1(x)) + mlp(ln2(x)); sequential: h = x + attn(ln1(x)),
     * then h + mlp(ln2(h)) with {@code hook_resid_mid} on h. Inputs: hidden, cos, sin.
     */
    static final class Block extends Module {

        private final boolean parallel;
        private final HookPoint residPre;
        private final LayerNorm inputLayernorm;
        private final LayerNorm postAttentionLayernorm;
        private final Dropout postAttentionDropout;
        private final Dropout postMlpDropout;
        private final Attention attention;
        private final HookPoint residMid;
        private final Mlp mlp;
        private final HookPoint residPost;

        Block(String name, int index, GptNeoXConfig c, ParameterSource p) {
            super(name);
            parallel = c.useParallelResidual();
            residPre = add(new HookPoint(child("hook_resid_pre")));
            inputLayernorm = add(layerNorm(child("input_layernorm"), c, p));
            postAttentionLayernorm = add(layerNorm(child("post_attention_layernorm"), c, p));
            postAttentionDropout = add(new Dropout(child("post_attention_dropout")));
            postMlpDropout = add(new Dropout(child("post_mlp_dropout")));
            attention = add(new Attention(child("attention"), index, c, p));
            residMid = parallel ? null : add(new HookPoint(child("hook_resid_mid")));
            mlp = add(new Mlp(child("mlp"), c, p));
            residPost = add(new HookPoint(child("hook_resid_post")));
        }

        @Override
        public String typeName() {
            return "GPTNeoXLayer";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = residPre.call(ctx, inputs.head());
            NDList attnIn = new NDList(inputLayernorm.call(ctx, x), inputs.get(1), inputs.get(2));
            NDArray attnOut = postAttentionDropout.call(ctx, attention.call(ctx, attnIn).head());
            NDArray out;
            if (parallel) {
                NDArray mlpOut = postMlpDropout.call(ctx, mlp.call(ctx, postAttentionLayernorm.call(ctx, x)));
                out = mlpOut.add(attnOut).addi(x);
            } else {
                NDArray mid = residMid.call(ctx, attnOut.add(x));
                NDArray mlpOut = postMlpDropout.call(ctx, mlp.call(ctx, postAttentionLayernorm.call(ctx, mid)));
                out = mlpOut.add(mid);
            }
            return new NDList(residPost.call(ctx, out));
        }
    }

    /**
     * {@code GPTNeoXAttention}: fused query_key_value laid out per head as [heads, (q, k, v), headDim], partial
     * rotary embedding, causal softmax attention, dense. Inputs: hidden, cos, sin. Outputs the attention output
     * and the pattern.
     */
    static final class Attention extends RotaryAttention {

        private final Linear queryKeyValue;
        private final Linear dense;

        Attention(String name, int index, GptNeoXConfig c, ParameterSource p) {
            super(name, index, c.numHeads(), c.numHeads(), c.headDim(), (float) Math.pow(c.headDim(), -0.5), 0f, 0);
            int d = c.hiddenSize();
            queryKeyValue = add(linear(child("query_key_value"), d, 3 * d, c.attentionBias(), p));
            addHookPoints();
            dense = add(linear(child("dense"), d, d, c.attentionBias(), p));
        }

        @Override
        public String typeName() {
            return "GPTNeoXAttention";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = inputs.head();
            long batch = x.getShape().get(0);
            long seq = x.getShape().get(1);
            long hd = headDim();
            NDArray qkv = queryKeyValue.call(ctx, x).reshape(batch, seq, heads(), 3 * hd);
            NDArray q = qkv.get(":, :, :, :{}", hd);
            NDArray k = qkv.get(":, :, :, {}:{}", hd, 2 * hd);
            NDArray v = qkv.get(":, :, :, {}:", 2 * hd);
            NDList zAndPattern = attend(ctx, q, k, v, inputs.get(1), inputs.get(2));
            return new NDList(dense.call(ctx, zAndPattern.get(0)), zAndPattern.get(1));
        }
    }

    /** {@code GPTNeoXMLP}: dense_h_to_4h, act, dense_4h_to_h. */
    static final class Mlp extends Module {

        private final Linear denseHTo4h;
        private final Linear dense4hToH;
        private final Activation act;

        Mlp(String name, GptNeoXConfig c, ParameterSource p) {
            super(name);
            denseHTo4h = add(linear(child("dense_h_to_4h"), c.hiddenSize(), c.intermediateSize(), true, p));
            dense4hToH = add(linear(child("dense_4h_to_h"), c.intermediateSize(), c.hiddenSize(), true, p));
            act = add(new Activation(child("act"), c.activation()));
        }

        @Override
        public String typeName() {
            return "GPTNeoXMLP";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            return new NDList(dense4hToH.call(ctx, act.call(ctx, denseHTo4h.call(ctx, inputs.head()))));
        }
    }

    private static LayerNorm layerNorm(String name, GptNeoXConfig c, ParameterSource p) {
        Shape shape = new Shape(c.hiddenSize());
        return new LayerNorm(name, p.get(name + ".weight", shape, Init.ONES), p.get(name + ".bias", shape, Init.ZEROS),
                (float) c.layerNormEps());
    }

    private static Linear linear(String name, int in, int out, boolean bias, ParameterSource p) {
        return new Linear(name, "Linear", p.get(name + ".weight", new Shape(out, in), Init.NORMAL),
                bias ? p.get(name + ".bias", new Shape(out), Init.ZEROS) : null);
    }
}
