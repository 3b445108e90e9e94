package io.microw.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.microw.io.HfConfig;
import io.microw.nn.Activation;
import io.microw.nn.Autograd;
import io.microw.nn.internal.ForwardContext;
import io.microw.nn.HookPoint;
import io.microw.nn.Linear;
import io.microw.nn.Module;
import io.microw.nn.RmsNorm;
import io.microw.nn.RotaryEmbedding;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Gemma ({@code GemmaForCausalLM}) and Gemma 2 ({@code Gemma2ForCausalLM}) with Hugging Face's module tree:
 * {@code model.embed_tokens} (scaled by √hidden_size), {@code model.layers.<i>} ({@code self_attn.q_proj/k_proj/
 * v_proj/o_proj}, {@code mlp.gate_proj/up_proj/down_proj/act_fn}, {@code input_layernorm},
 * {@code post_attention_layernorm} and, in Gemma 2, {@code pre_feedforward_layernorm} and
 * {@code post_feedforward_layernorm}), {@code model.norm}, {@code model.rotary_emb} and {@code lm_head} (tied to
 * the embedding unless the config says otherwise). Norms scale by (1 + w). Gemma 2 soft-caps attention scores and
 * the final logits (after {@code lm_head}, whose hooks see the uncapped logits, as in HF) and uses sliding-window
 * attention on the layers {@code layer_types} marks.
 */
final class Gemma implements ModelFamily {

    @Override
    public Set<String> modelTypes() {
        return GemmaVariant.modelTypes();
    }

    @Override
    public ModelConfig parseConfig(HfConfig config) {
        return GemmaConfig.from(config);
    }

    @Override
    public String optionalWeightPrefix() {
        return "model.";
    }

    @Override
    public TransformerModel build(ModelConfig config, ParameterSource params, NDManager manager) {
        return new CausalLm((GemmaConfig) config, params);
    }

    /** The root: {@code model} then {@code lm_head}; final soft-capping of the logits. */
    static final class CausalLm extends DecoderLm<GemmaConfig> {

        private final RotaryDecoderModel model;
        private final Linear lmHead;
        private final float finalSoftcap;

        CausalLm(GemmaConfig config, ParameterSource params) {
            super(config, "model.layers.");
            String prefix = config.classPrefix();
            ScaledEmbedding embedTokens = new ScaledEmbedding("model.embed_tokens", prefix,
                    params.get("model.embed_tokens.weight", new Shape(config.vocabSize(), config.hiddenSize()),
                            Init.NORMAL), (float) Math.sqrt(config.hiddenSize()));
            List<Block> blocks = new ArrayList<>();
            for (int i = 0; i < config.numLayers(); i++) {
                blocks.add(new Block("model.layers." + i, i, config, params));
            }
            this.model = add(new RotaryDecoderModel("model", prefix + "Model", embedTokens, blocks,
                    rmsNorm("model.norm", config, params), new RotaryEmbedding("model.rotary_emb", config.rope())));
            this.lmHead = addLmHead(params, embedTokens.table(), "lm_head.weight");
            this.finalSoftcap = (float) config.finalLogitSoftcap();
            boolean sandwich = config.sandwichNorms();
            Map<String, String> perBlock = BlockAliases.preNorm("input_layernorm", "self_attn",
                    sandwich ? "pre_feedforward_layernorm" : "post_attention_layernorm", "mlp", true);
            perBlock.put("mlp.hook_pre", "mlp.gate_proj");
            perBlock.put("mlp.hook_pre_linear", "mlp.up_proj");
            if (sandwich) {
                // TransformerLens' Gemma 2 blocks: ln1_post and ln2_post normalise the sublayer outputs
                perBlock.put("ln1_post", "post_attention_layernorm");
                perBlock.put("ln1_post.hook_normalized", "post_attention_layernorm");
                perBlock.put("hook_attn_out", "post_attention_layernorm");
                perBlock.put("ln2_post", "post_feedforward_layernorm");
                perBlock.put("ln2_post.hook_normalized", "post_feedforward_layernorm");
                perBlock.put("hook_mlp_out", "post_feedforward_layernorm");
            }
            setAliases(Map.of("hook_embed", "model.embed_tokens",
                    "ln_final", "model.norm",
                    "ln_final.hook_normalized", "model.norm",
                    "unembed", "lm_head"), perBlock);
        }

        @Override
        public Optional<WeightLayout> weightLayout() {
            GemmaConfig c = config();
            List<WeightLayout.NormReaders> norms = new ArrayList<>();
            List<WeightLayout.ValueBias> values = new ArrayList<>();
            for (int i = 0; i < c.numLayers(); i++) {
                String b = blockName(i) + ".";
                norms.add(new WeightLayout.NormReaders(b + "input_layernorm",
                        List.of(b + "self_attn.q_proj", b + "self_attn.k_proj", b + "self_attn.v_proj")));
                // Gemma 2's post-sublayer norms (TransformerLens' ln1_post, ln2_post) stay as they are
                norms.add(new WeightLayout.NormReaders(b + (c.sandwichNorms() ? "pre_feedforward_layernorm"
                        : "post_attention_layernorm"), List.of(b + "mlp.gate_proj", b + "mlp.up_proj")));
                if (c.attentionBias()) {
                    values.add(WeightLayout.ValueBias.grouped(b + "self_attn.v_proj", b + "self_attn.o_proj", 0,
                            c.numHeads(), c.numKvHeads(), c.headDim()));
                }
            }
            norms.add(new WeightLayout.NormReaders("model.norm", List.of("lm_head")));
            return Optional.of(new WeightLayout(false, norms, List.of(), List.of(), values, "lm_head",
                    finalSoftcap > 0));
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray logits = lmHead.call(ctx, ctx.headPositions(model.call(ctx, inputs).head()));
            return new NDList(finalSoftcap > 0
                    ? Autograd.mul(Autograd.over(logits, finalSoftcap).tanh(), finalSoftcap) : logits);
        }
    }

    /** {@code GemmaTextScaledWordEmbedding}: the embedding rows times √hidden_size (in float32). */
    static final class ScaledEmbedding extends Module {

        private final NDArray table;
        private final float scale;
        private final String prefix;

        ScaledEmbedding(String name, String prefix, NDArray table, float scale) {
            super(name);
            this.prefix = prefix;
            this.table = table;
            this.scale = scale;
        }

        NDArray table() {
            return table;
        }

        @Override
        public String typeName() {
            return prefix + "TextScaledWordEmbedding";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray embedded = ai.djl.nn.core.Embedding.embedding(inputs.head(), table, SparseFormat.DENSE).head();
            return new NDList(Autograd.mul(embedded, scale));
        }
    }

    /**
     * {@code GemmaDecoderLayer}: pre-norm attention and MLP added to the residual stream; in Gemma 2 each sublayer
     * output is normalised again before it is added (sandwich norms). Inputs: hidden, cos, sin.
     */
    static final class Block extends Module {

        private final String prefix;
        private final HookPoint residPre;
        private final Attention selfAttn;
        private final Mlp mlp;
        private final RmsNorm inputLayernorm;
        private final RmsNorm postAttentionLayernorm;
        private final RmsNorm preFeedforwardLayernorm;
        private final RmsNorm postFeedforwardLayernorm;
        private final HookPoint residMid;
        private final HookPoint residPost;

        Block(String name, int index, GemmaConfig c, ParameterSource p) {
            super(name);
            prefix = c.classPrefix();
            residPre = add(new HookPoint(child("hook_resid_pre")));
            selfAttn = add(new Attention(child("self_attn"), index, c, p));
            mlp = add(new Mlp(child("mlp"), c, p));
            inputLayernorm = add(rmsNorm(child("input_layernorm"), c, p));
            postAttentionLayernorm = add(rmsNorm(child("post_attention_layernorm"), c, p));
            preFeedforwardLayernorm = c.sandwichNorms() ? add(rmsNorm(child("pre_feedforward_layernorm"), c, p)) : null;
            postFeedforwardLayernorm = c.sandwichNorms() ? add(rmsNorm(child("post_feedforward_layernorm"), c, p)) : null;
            residMid = add(new HookPoint(child("hook_resid_mid")));
            residPost = add(new HookPoint(child("hook_resid_post")));
        }

        @Override
        public String typeName() {
            return prefix + "DecoderLayer";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = residPre.call(ctx, inputs.head());
            NDList attnIn = new NDList(inputLayernorm.call(ctx, x), inputs.get(1), inputs.get(2));
            NDArray attnOut = selfAttn.call(ctx, attnIn).head();
            boolean sandwich = preFeedforwardLayernorm != null;
            if (sandwich) {
                attnOut = postAttentionLayernorm.call(ctx, attnOut);
            }
            x = residMid.call(ctx, x.add(attnOut));
            NDArray mlpIn = (sandwich ? preFeedforwardLayernorm : postAttentionLayernorm).call(ctx, x);
            NDArray mlpOut = mlp.call(ctx, mlpIn);
            if (sandwich) {
                mlpOut = postFeedforwardLayernorm.call(ctx, mlpOut);
            }
            return new NDList(residPost.call(ctx, x.add(mlpOut)));
        }
    }

    /**
     * {@code GemmaAttention}: q/k/v projections (grouped-query: k and v may have fewer heads), rotary embedding,
     * softmax attention, o_proj. Inputs: hidden, cos, sin. Outputs the attention output and the pattern.
     */
    static final class Attention extends RotaryAttention {

        private final String prefix;
        private final Linear qProj;
        private final Linear kProj;
        private final Linear vProj;
        private final Linear oProj;

        Attention(String name, int index, GemmaConfig c, ParameterSource p) {
            super(name, index, c.numHeads(), c.numKvHeads(), c.headDim(), (float) c.attentionScale(),
                    (float) c.attnLogitSoftcap(), c.slidingLayers().get(index) ? c.slidingWindow() : 0);
            prefix = c.classPrefix();
            int q = c.numHeads() * c.headDim();
            int kv = c.numKvHeads() * c.headDim();
            qProj = add(linear(child("q_proj"), c.hiddenSize(), q, c.attentionBias(), p));
            kProj = add(linear(child("k_proj"), c.hiddenSize(), kv, c.attentionBias(), p));
            vProj = add(linear(child("v_proj"), c.hiddenSize(), kv, c.attentionBias(), p));
            addHookPoints();
            oProj = add(linear(child("o_proj"), q, c.hiddenSize(), c.attentionBias(), p));
        }

        @Override
        public String typeName() {
            return prefix + "Attention";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = inputs.head();
            long batch = x.getShape().get(0);
            long seq = x.getShape().get(1);
            NDArray q = qProj.call(ctx, x).reshape(batch, seq, -1, headDim());
            NDArray k = kProj.call(ctx, x).reshape(batch, seq, -1, headDim());
            NDArray v = vProj.call(ctx, x).reshape(batch, seq, -1, headDim());
            NDList zAndPattern = attend(ctx, q, k, v, inputs.get(1), inputs.get(2));
            return new NDList(oProj.call(ctx, zAndPattern.get(0)), zAndPattern.get(1));
        }
    }

    /** {@code GemmaMLP}: down_proj(act_fn(gate_proj(x)) · up_proj(x)). */
    static final class Mlp extends Module {

        private final String prefix;
        private final Linear gateProj;
        private final Linear upProj;
        private final Linear downProj;
        private final Activation actFn;

        Mlp(String name, GemmaConfig c, ParameterSource p) {
            super(name);
            prefix = c.classPrefix();
            gateProj = add(linear(child("gate_proj"), c.hiddenSize(), c.intermediateSize(), false, p));
            upProj = add(linear(child("up_proj"), c.hiddenSize(), c.intermediateSize(), false, p));
            downProj = add(linear(child("down_proj"), c.intermediateSize(), c.hiddenSize(), false, p));
            actFn = add(new Activation(child("act_fn"), c.activation()));
        }

        @Override
        public String typeName() {
            return prefix + "MLP";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = inputs.head();
            NDArray gated = actFn.call(ctx, gateProj.call(ctx, x)).mul(upProj.call(ctx, x));
            return new NDList(downProj.call(ctx, gated));
        }
    }

    private static RmsNorm rmsNorm(String name, GemmaConfig c, ParameterSource p) {
        // Gemma stores w with the norm scaling by (1 + w): a fresh model's w is 0
        return new RmsNorm(name, c.classPrefix() + "RMSNorm", p.get(name + ".weight", new Shape(c.hiddenSize()), Init.ZEROS),
                (float) c.rmsNormEps(), true);
    }

    private static Linear linear(String name, int in, int out, boolean bias, ParameterSource p) {
        return new Linear(name, "Linear", p.get(name + ".weight", new Shape(out, in), Init.NORMAL),
                bias ? p.get(name + ".bias", new Shape(out), Init.ZEROS) : null);
    }
}
