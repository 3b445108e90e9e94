package io.microw.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.io.HfConfig;
import io.microw.nn.Activation;
import io.microw.nn.AttentionCore;
import io.microw.nn.Dropout;
import io.microw.nn.Embedding;
import io.microw.nn.internal.ForwardContext;
import io.microw.nn.HookPoint;
import io.microw.nn.internal.KvCache;
import io.microw.nn.LayerNorm;
import io.microw.nn.Linear;
import io.microw.nn.Module;
import io.microw.nn.ModuleList;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * GPT-2 ({@code GPT2LMHeadModel}) with Hugging Face's module tree: {@code transformer.wte}, {@code wpe},
 * {@code drop}, {@code h.<i>} blocks ({@code ln_1}, {@code attn.c_attn}, {@code attn.c_proj}, {@code ln_2},
 * {@code mlp.c_fc}, {@code mlp.act}, {@code mlp.c_proj}), {@code ln_f} and {@code lm_head}, plus hook
 * points for the residual stream and the attention internals.
 */
final class Gpt2 implements ModelFamily {

    @Override
    public Set<String> modelTypes() {
        return Set.of("gpt2");
    }

    @Override
    public ModelConfig parseConfig(HfConfig config) {
        return Gpt2Config.from(config);
    }

    @Override
    public String optionalWeightPrefix() {
        return "transformer.";
    }

    @Override
    public TransformerModel build(ModelConfig config, ParameterSource params, NDManager manager) {
        return new LmHeadModel((Gpt2Config) config, params);
    }

    /** The root: {@code transformer} then {@code lm_head}. */
    public static final class LmHeadModel extends TransformerModel {

        private final Gpt2Config config;
        private final Transformer transformer;
        private final Linear lmHead;
        private final Map<String, String> aliases;

        LmHeadModel(Gpt2Config config, ParameterSource params) {
            this.config = config;
            this.transformer = add(new Transformer("transformer", config, params));
            NDArray head = !config.tieWordEmbeddings() && params.has("lm_head.weight")
                    ? params.get("lm_head.weight", new Shape(config.vocabSize(), config.hiddenSize()), Init.NORMAL)
                    : transformer.wte.table();
            this.lmHead = add(new Linear("lm_head", "Linear", head, null));
            this.aliases = AliasTable.build(this, config.numLayers(),
                    Map.of("hook_embed", "transformer.wte",
                            "hook_pos_embed", "transformer.wpe",
                            "ln_final", "transformer.ln_f",
                            "ln_final.hook_normalized", "transformer.ln_f",
                            "unembed", "lm_head"),
                    Map.ofEntries(
                            Map.entry("hook_resid_pre", "hook_resid_pre"),
                            Map.entry("ln1", "ln_1"),
                            Map.entry("ln1.hook_normalized", "ln_1"),
                            Map.entry("attn", "attn"),
                            Map.entry("attn.hook_q", "attn.hook_q"),
                            Map.entry("attn.hook_k", "attn.hook_k"),
                            Map.entry("attn.hook_v", "attn.hook_v"),
                            Map.entry("attn.hook_pattern", "attn.hook_pattern"),
                            Map.entry("attn.hook_z", "attn.hook_z"),
                            Map.entry("hook_attn_out", "attn"),
                            Map.entry("hook_resid_mid", "hook_resid_mid"),
                            Map.entry("ln2", "ln_2"),
                            Map.entry("ln2.hook_normalized", "ln_2"),
                            Map.entry("mlp", "mlp"),
                            Map.entry("mlp.hook_pre", "mlp.c_fc"),
                            Map.entry("mlp.hook_post", "mlp.act"),
                            Map.entry("hook_mlp_out", "mlp"),
                            Map.entry("hook_resid_post", "hook_resid_post")));
        }

        @Override
        public String typeName() {
            return "GPT2LMHeadModel";
        }

        @Override
        public Gpt2Config config() {
            return config;
        }

        @Override
        public String blockName(int i) {
            return "transformer.h." + i;
        }

        @Override
        public Map<String, String> aliases() {
            return aliases;
        }

        @Override
        public Optional<WeightLayout> weightLayout() {
            List<WeightLayout.NormReaders> norms = new ArrayList<>();
            List<String> writers = new ArrayList<>();
            List<WeightLayout.ValueBias> values = new ArrayList<>();
            int d = config.hiddenSize();
            for (int i = 0; i < config.numLayers(); i++) {
                String b = blockName(i) + ".";
                norms.add(new WeightLayout.NormReaders(b + "ln_1", List.of(b + "attn.c_attn")));
                norms.add(new WeightLayout.NormReaders(b + "ln_2", List.of(b + "mlp.c_fc")));
                writers.add(b + "attn.c_proj");
                writers.add(b + "mlp.c_proj");
                values.add(WeightLayout.ValueBias.grouped(b + "attn.c_attn", b + "attn.c_proj", 2L * d,
                        config.numHeads(), config.numHeads(), config.headDim()));
            }
            norms.add(new WeightLayout.NormReaders("transformer.ln_f", List.of("lm_head")));
            return Optional.of(new WeightLayout(true, norms, List.of("transformer.wte", "transformer.wpe"), writers,
                    values, "lm_head", false));
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray hidden = transformer.call(ctx, inputs).head();
            return new NDList(lmHead.call(ctx, ctx.headPositions(hidden)));
        }
    }

    /** {@code GPT2Model}: embeddings, blocks, final norm. Input: token ids; output: last hidden state. */
    static final class Transformer extends Module {

        final Embedding wte;
        private final Embedding wpe;
        private final Dropout drop;
        private final List<Block> blocks = new ArrayList<>();
        private final LayerNorm lnF;

        Transformer(String name, Gpt2Config c, ParameterSource p) {
            super(name);
            wte = add(new Embedding(child("wte"), p.get(child("wte.weight"), new Shape(c.vocabSize(), c.hiddenSize()), Init.NORMAL)));
            wpe = add(new Embedding(child("wpe"), p.get(child("wpe.weight"), new Shape(c.maxPositions(), c.hiddenSize()), Init.NORMAL)));
            drop = add(new Dropout(child("drop")));
            for (int i = 0; i < c.numLayers(); i++) {
                blocks.add(new Block(child("h." + i), i, c, p));
            }
            add(new ModuleList<>(child("h"), blocks));
            lnF = add(layerNorm(child("ln_f"), c, p));
        }

        @Override
        public String typeName() {
            return "GPT2Model";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray tokens = wte.call(ctx, inputs.head());
            NDArray positions = wpe.call(ctx, ctx.batch().positionIds());
            NDArray hidden = drop.call(ctx, tokens.add(positions));
            for (Block block : blocks) {
                hidden = block.call(ctx, hidden);
            }
            return new NDList(lnF.call(ctx, hidden));
        }
    }

    /** {@code GPT2Block}: pre-norm attention and MLP, each added to the residual stream. */
    static final class Block extends Module {

        private final HookPoint residPre;
        private final LayerNorm ln1;
        private final Attention attn;
        private final HookPoint residMid;
        private final LayerNorm ln2;
        private final Mlp mlp;
        private final HookPoint residPost;

        Block(String name, int index, Gpt2Config c, ParameterSource p) {
            super(name);
            residPre = add(new HookPoint(child("hook_resid_pre")));
            ln1 = add(layerNorm(child("ln_1"), c, p));
            attn = add(new Attention(child("attn"), index, c, p));
            residMid = add(new HookPoint(child("hook_resid_mid")));
            ln2 = add(layerNorm(child("ln_2"), c, p));
            mlp = add(new Mlp(child("mlp"), c, p));
            residPost = add(new HookPoint(child("hook_resid_post")));
        }

        @Override
        public String typeName() {
            return "GPT2Block";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = residPre.call(ctx, inputs.head());
            NDArray attnOut = attn.call(ctx, new NDList(ln1.call(ctx, x))).head();
            x = residMid.call(ctx, x.add(attnOut));
            NDArray mlpOut = mlp.call(ctx, ln2.call(ctx, x));
            return new NDList(residPost.call(ctx, x.add(mlpOut)));
        }
    }

    /**
     * {@code GPT2Attention}: fused q/k/v projection, causal softmax attention, output projection. Outputs the
     * attention output and the pattern [batch, heads, query, key]. Hook points: {@code hook_q}, {@code hook_k},
     * {@code hook_v}, {@code hook_z} [batch, seq, heads, headDim] and {@code hook_pattern}.
     */
    static final class Attention extends Module {

        private final int layerIndex;
        private final int heads;
        private final int headDim;
        private final float scale;
        private final Linear cAttn;
        private final HookPoint hookQ;
        private final HookPoint hookK;
        private final HookPoint hookV;
        private final HookPoint hookPattern;
        private final HookPoint hookZ;
        private final Linear cProj;
        private final Dropout attnDropout;
        private final Dropout residDropout;

        Attention(String name, int layerIndex, Gpt2Config c, ParameterSource p) {
            super(name);
            this.layerIndex = layerIndex;
            this.heads = c.numHeads();
            this.headDim = c.headDim();
            double s = c.scaleAttnWeights() ? 1.0 / Math.sqrt(headDim) : 1.0;
            if (c.scaleAttnByInverseLayerIdx()) {
                s /= layerIndex + 1;
            }
            this.scale = (float) s;
            int d = c.hiddenSize();
            cAttn = add(conv1d(child("c_attn"), d, 3 * d, p));
            hookQ = add(new HookPoint(child("hook_q")));
            hookK = add(new HookPoint(child("hook_k")));
            hookV = add(new HookPoint(child("hook_v")));
            hookPattern = add(new HookPoint(child("hook_pattern")));
            hookZ = add(new HookPoint(child("hook_z")));
            cProj = add(conv1d(child("c_proj"), d, d, p));
            attnDropout = add(new Dropout(child("attn_dropout")));
            residDropout = add(new Dropout(child("resid_dropout")));
        }

        @Override
        public String typeName() {
            return "GPT2Attention";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = inputs.head();
            long batch = x.getShape().get(0);
            long seq = x.getShape().get(1);
            NDList qkv = cAttn.call(ctx, x).split(3, 2);
            NDArray q = hookQ.call(ctx, qkv.get(0).reshape(batch, seq, heads, headDim));
            NDArray k = hookK.call(ctx, qkv.get(1).reshape(batch, seq, heads, headDim));
            NDArray v = hookV.call(ctx, qkv.get(2).reshape(batch, seq, heads, headDim));
            NDArray qh = AttentionCore.swapSeqAndHeads(q);
            NDArray kh = AttentionCore.swapSeqAndHeads(k);
            NDArray vh = AttentionCore.swapSeqAndHeads(v);
            KvCache cache = ctx.kvCache();
            if (cache != null) {
                NDList all = cache.update(layerIndex, kh, vh);
                kh = all.get(0);
                vh = all.get(1);
            }
            NDArray pattern = hookPattern.call(ctx, AttentionCore.pattern(qh, kh, ctx.attentionBias(), scale, 0f));
            pattern = attnDropout.call(ctx, pattern);
            NDArray z = hookZ.call(ctx, AttentionCore.swapSeqAndHeads(pattern.matMul(vh)));
            NDArray out = cProj.call(ctx, z.reshape(batch, seq, (long) heads * headDim));
            return new NDList(residDropout.call(ctx, out), pattern);
        }
    }

    /** {@code GPT2MLP}: c_fc, activation, c_proj. */
    static final class Mlp extends Module {

        private final Linear cFc;
        private final Activation act;
        private final Linear cProj;
        private final Dropout dropout;

        Mlp(String name, Gpt2Config c, ParameterSource p) {
            super(name);
            cFc = add(conv1d(child("c_fc"), c.hiddenSize(), c.innerSize(), p));
            cProj = add(conv1d(child("c_proj"), c.innerSize(), c.hiddenSize(), p));
            act = add(new Activation(child("act"), c.activation()));
            dropout = add(new Dropout(child("dropout")));
        }

        @Override
        public String typeName() {
            return "GPT2MLP";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray h = act.call(ctx, cFc.call(ctx, inputs.head()));
            return new NDList(dropout.call(ctx, cProj.call(ctx, h)));
        }
    }

    private static LayerNorm layerNorm(String name, Gpt2Config c, ParameterSource p) {
        Shape shape = new Shape(c.hiddenSize());
        return new LayerNorm(name, p.get(name + ".weight", shape, Init.ONES), p.get(name + ".bias", shape, Init.ZEROS),
                (float) c.layerNormEpsilon());
    }

    /** HF's Conv1D stores its weight [in, out]; microw's Linear takes [out, in], so it is transposed once here. */
    private static Linear conv1d(String name, int in, int out, ParameterSource p) {
        NDArray weight = p.getTransposed(name + ".weight", new Shape(in, out), Init.NORMAL);
        NDArray bias = p.get(name + ".bias", new Shape(out), Init.ZEROS);
        return new Linear(name, "Conv1D", weight, bias);
    }
}
