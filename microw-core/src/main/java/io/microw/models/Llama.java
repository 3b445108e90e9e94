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
 * The Llama family ({@code LlamaForCausalLM}, {@code MistralForCausalLM}, {@code Qwen2ForCausalLM},
 * {@code Qwen3ForCausalLM}) with Hugging Face's module tree: {@code model.embed_tokens}, {@code model.layers.<i>}
 * ({@code self_attn.q_proj}, {@code k_proj}, {@code v_proj}, {@code o_proj}, Qwen3's {@code q_norm} and
 * {@code k_norm}, {@code mlp.gate_proj}, {@code up_proj}, {@code down_proj}, {@code act_fn},
 * {@code input_layernorm}, {@code post_attention_layernorm}), {@code model.norm}, {@code model.rotary_emb} and
 * {@code lm_head}, plus hook points for the residual stream and the attention internals. Grouped-query attention,
 * rotary positions with the config's scaling, RMSNorm, a gated MLP, tied or untied head, biases and sliding
 * windows as the config sets them. Phi-3 ({@code Phi3ForCausalLM}) builds the same tree with a fused
 * {@code self_attn.qkv_proj} (queries, keys, values in that order), a fused {@code mlp.gate_up_proj} (gate, then
 * up) with {@code activation_fn} and residual dropouts. Which model type does what is {@link LlamaVariant#TABLE};
 * checkpoints may leave off {@code model.}.
 */
final class Llama implements ModelFamily {

    @Override
    public Set<String> modelTypes() {
        return LlamaVariant.modelTypes();
    }

    @Override
    public ModelConfig parseConfig(HfConfig config) {
        return LlamaConfig.from(config);
    }

    @Override
    public String optionalWeightPrefix() {
        return "model.";
    }

    @Override
    public TransformerModel build(ModelConfig config, ParameterSource params, NDManager manager) {
        return new ForCausalLM((LlamaConfig) config, params);
    }

    /** The root ({@code LlamaForCausalLM} and its kin): {@code model} then {@code lm_head}. */
    static final class ForCausalLM extends DecoderLm<LlamaConfig> {

        private final RotaryDecoderModel model;
        private final Linear lmHead;

        ForCausalLM(LlamaConfig c, ParameterSource p) {
            super(c, "model.layers.");
            Embedding embedTokens = new Embedding("model.embed_tokens",
                    p.get("model.embed_tokens.weight", new Shape(c.vocabSize(), c.hiddenSize()), Init.NORMAL));
            List<DecoderLayer> layers = new ArrayList<>();
            for (int i = 0; i < c.numLayers(); i++) {
                layers.add(new DecoderLayer("model.layers." + i, i, c, p));
            }
            this.model = add(new RotaryDecoderModel("model", c.classPrefix() + "Model", embedTokens, layers,
                    rmsNorm("model.norm", c.hiddenSize(), c, p), new RotaryEmbedding("model.rotary_emb", c.rope())));
            this.lmHead = addLmHead(p, embedTokens.table(), "lm_head.weight");
            Map<String, String> perBlock = BlockAliases.preNorm("input_layernorm", "self_attn",
                    "post_attention_layernorm", "mlp", true);
            if (c.variant().fusedProjections()) {
                perBlock.put("mlp.hook_post", "mlp.activation_fn");
            } else {
                perBlock.put("mlp.hook_pre", "mlp.gate_proj");
                perBlock.put("mlp.hook_pre_linear", "mlp.up_proj");
                perBlock.put("mlp.hook_post", "mlp.act_fn");
            }
            setAliases(Map.of("hook_embed", "model.embed_tokens",
                    "ln_final", "model.norm",
                    "ln_final.hook_normalized", "model.norm",
                    "unembed", "lm_head"), perBlock);
        }

        @Override
        public Optional<WeightLayout> weightLayout() {
            LlamaConfig c = config();
            List<WeightLayout.NormReaders> norms = new ArrayList<>();
            List<WeightLayout.ValueBias> values = new ArrayList<>();
            for (int i = 0; i < c.numLayers(); i++) {
                String b = blockName(i) + ".";
                norms.add(new WeightLayout.NormReaders(b + "input_layernorm", c.variant().fusedProjections()
                        ? List.of(b + "self_attn.qkv_proj")
                        : List.of(b + "self_attn.q_proj", b + "self_attn.k_proj", b + "self_attn.v_proj")));
                norms.add(new WeightLayout.NormReaders(b + "post_attention_layernorm", c.variant().fusedProjections()
                        ? List.of(b + "mlp.gate_up_proj") : List.of(b + "mlp.gate_proj", b + "mlp.up_proj")));
                if (c.qkvBias()) {
                    int kvRows = c.numKvHeads() * c.headDim();
                    values.add(WeightLayout.ValueBias.grouped(b + (c.variant().fusedProjections() ? "self_attn.qkv_proj" : "self_attn.v_proj"),
                            b + "self_attn.o_proj", c.variant().fusedProjections() ? (long) c.numHeads() * c.headDim() + kvRows : 0,
                            c.numHeads(), c.numKvHeads(), c.headDim()));
                }
            }
            norms.add(new WeightLayout.NormReaders("model.norm", List.of("lm_head")));
            return Optional.of(new WeightLayout(false, norms, List.of(), List.of(), values, "lm_head", false));
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            return new NDList(lmHead.call(ctx, ctx.headPositions(model.call(ctx, inputs).head())));
        }
    }

    /**
     * A pre-norm decoder layer: attention then MLP, each added to the residual stream (Phi-3 passes each through
     * a residual dropout first). Inputs: hidden states, cos, sin.
     */
    static final class DecoderLayer extends Typed {

        private final HookPoint residPre;
        private final Attention selfAttn;
        private final HookPoint residMid;
        private final Mlp mlp;
        private final RmsNorm inputLayernorm;
        private final RmsNorm postAttentionLayernorm;
        private final Dropout residAttnDropout;
        private final Dropout residMlpDropout;
        private final HookPoint residPost;

        DecoderLayer(String name, int index, LlamaConfig c, ParameterSource p) {
            super(name, c.classPrefix() + "DecoderLayer");
            residPre = add(new HookPoint(child("hook_resid_pre")));
            selfAttn = add(new Attention(child("self_attn"), index, c, p));
            residMid = add(new HookPoint(child("hook_resid_mid")));
            mlp = add(new Mlp(child("mlp"), c, p));
            inputLayernorm = add(rmsNorm(child("input_layernorm"), c.hiddenSize(), c, p));
            postAttentionLayernorm = add(rmsNorm(child("post_attention_layernorm"), c.hiddenSize(), c, p));
            residAttnDropout = c.variant().fusedProjections() ? add(new Dropout(child("resid_attn_dropout"))) : null;
            residMlpDropout = c.variant().fusedProjections() ? add(new Dropout(child("resid_mlp_dropout"))) : null;
            residPost = add(new HookPoint(child("hook_resid_post")));
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = residPre.call(ctx, inputs.head());
            NDList attnIn = new NDList(inputLayernorm.call(ctx, x), inputs.get(1), inputs.get(2));
            NDArray attnOut = selfAttn.call(ctx, attnIn).head();
            if (residAttnDropout != null) {
                attnOut = residAttnDropout.call(ctx, attnOut);
            }
            x = residMid.call(ctx, x.add(attnOut));
            NDArray mlpOut = mlp.call(ctx, postAttentionLayernorm.call(ctx, x));
            if (residMlpDropout != null) {
                mlpOut = residMlpDropout.call(ctx, mlpOut);
            }
            return new NDList(residPost.call(ctx, x.add(mlpOut)));
        }
    }

    /**
     * Rotary grouped-query attention ({@code LlamaAttention} and its kin). Projections: separate {@code q_proj},
     * {@code k_proj}, {@code v_proj} (Qwen3 then normalises each query and key head with {@code q_norm} and
     * {@code k_norm}), or Phi-3's fused {@code qkv_proj}; the rest (hook points, rotary, KV cache, shared key/value
     * heads, causal or sliding-window softmax) is {@link RotaryAttention}'s; then {@code o_proj}. Inputs: hidden
     * states, cos, sin. Outputs the attention output and the pattern [batch, heads, query, key]. {@code hook_q} and
     * {@code hook_k} see the queries and keys as they enter rotary (after Qwen3's norms).
     */
    static final class Attention extends RotaryAttention {

        private final String typeName;
        private final int qSize;
        private final int kvSize;
        private final Linear qProj;
        private final Linear kProj;
        private final Linear vProj;
        private final Linear qkvProj;
        private final Linear oProj;
        private final RmsNorm qNorm;
        private final RmsNorm kNorm;

        Attention(String name, int layerIndex, LlamaConfig c, ParameterSource p) {
            super(name, layerIndex, c.numHeads(), c.numKvHeads(), c.headDim(), (float) (1.0 / Math.sqrt(c.headDim())),
                    0f, c.layerWindows().get(layerIndex));
            typeName = c.classPrefix() + "Attention";
            int d = c.hiddenSize();
            qSize = c.numHeads() * c.headDim();
            kvSize = c.numKvHeads() * c.headDim();
            if (c.variant().fusedProjections()) {
                // Hugging Face registers Phi-3's o_proj before qkv_proj
                oProj = add(linear(child("o_proj"), qSize, d, c.outputBias(), p));
                qkvProj = add(linear(child("qkv_proj"), d, qSize + 2 * kvSize, c.qkvBias(), p));
                qProj = null;
                kProj = null;
                vProj = null;
                addHookPoints();
            } else {
                qProj = add(linear(child("q_proj"), d, qSize, c.qkvBias(), p));
                kProj = add(linear(child("k_proj"), d, kvSize, c.qkvBias(), p));
                vProj = add(linear(child("v_proj"), d, kvSize, c.qkvBias(), p));
                addHookPoints();
                oProj = add(linear(child("o_proj"), qSize, d, c.outputBias(), p));
                qkvProj = null;
            }
            qNorm = c.variant().qkNorm() ? add(rmsNorm(child("q_norm"), c.headDim(), c, p)) : null;
            kNorm = c.variant().qkNorm() ? add(rmsNorm(child("k_norm"), c.headDim(), c, p)) : null;
        }

        @Override
        public String typeName() {
            return typeName;
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = inputs.head();
            long batch = x.getShape().get(0);
            long seq = x.getShape().get(1);
            NDArray q;
            NDArray k;
            NDArray v;
            if (qkvProj != null) {
                NDList qkv = qkvProj.call(ctx, x).split(new long[] {qSize, qSize + kvSize}, 2);
                q = qkv.get(0);
                k = qkv.get(1);
                v = qkv.get(2);
            } else {
                q = qProj.call(ctx, x);
                k = kProj.call(ctx, x);
                v = vProj.call(ctx, x);
            }
            q = q.reshape(batch, seq, -1, headDim());
            k = k.reshape(batch, seq, -1, headDim());
            v = v.reshape(batch, seq, -1, headDim());
            if (qNorm != null) {
                q = qNorm.call(ctx, q);
                k = kNorm.call(ctx, k);
            }
            NDList zAndPattern = attend(ctx, q, k, v, inputs.get(1), inputs.get(2));
            return new NDList(oProj.call(ctx, zAndPattern.get(0)), zAndPattern.get(1));
        }
    }

    /**
     * The gated MLP: down(act(gate(x)) · up(x)), from {@code gate_proj} and {@code up_proj} with {@code act_fn},
     * or from Phi-3's fused {@code gate_up_proj} (gate first) with {@code activation_fn}.
     */
    static final class Mlp extends Typed {

        private final Linear gateProj;
        private final Linear upProj;
        private final Linear gateUpProj;
        private final Linear downProj;
        private final Activation act;

        Mlp(String name, LlamaConfig c, ParameterSource p) {
            super(name, c.classPrefix() + "MLP");
            int d = c.hiddenSize();
            int inner = c.intermediateSize();
            boolean bias = c.mlpBias();
            if (c.variant().fusedProjections()) {
                gateUpProj = add(linear(child("gate_up_proj"), d, 2 * inner, bias, p));
                gateProj = null;
                upProj = null;
            } else {
                gateProj = add(linear(child("gate_proj"), d, inner, bias, p));
                upProj = add(linear(child("up_proj"), d, inner, bias, p));
                gateUpProj = null;
            }
            downProj = add(linear(child("down_proj"), inner, d, bias, p));
            act = add(new Activation(child(c.variant().fusedProjections() ? "activation_fn" : "act_fn"), c.activation()));
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = inputs.head();
            NDArray gate;
            NDArray up;
            if (gateUpProj != null) {
                NDList parts = gateUpProj.call(ctx, x).split(2, 2);
                gate = parts.get(0);
                up = parts.get(1);
            } else {
                gate = gateProj.call(ctx, x);
                up = upProj.call(ctx, x);
            }
            return new NDList(downProj.call(ctx, act.call(ctx, gate).mul(up)));
        }
    }

    /** A module whose Hugging Face class name depends on the model type ({@code Qwen2MLP}). */
    abstract static class Typed extends Module {

        private final String typeName;

        Typed(String name, String typeName) {
            super(name);
            this.typeName = typeName;
        }

        @Override
        public String typeName() {
            return typeName;
        }
    }

    private static RmsNorm rmsNorm(String name, int size, LlamaConfig c, ParameterSource p) {
        NDArray weight = p.get(name + ".weight", new Shape(size), Init.ONES);
        return new RmsNorm(name, c.classPrefix() + "RMSNorm", weight, (float) c.rmsNormEps(), false);
    }

    private static Linear linear(String name, int in, int out, boolean bias, ParameterSource p) {
        NDArray weight = p.get(name + ".weight", new Shape(out, in), Init.NORMAL);
        return new Linear(name, "Linear", weight, bias ? p.get(name + ".bias", new Shape(out), Init.ZEROS) : null);
    }
}
