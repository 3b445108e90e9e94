package io.microw.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.microw.io.HfConfig;
import io.microw.nn.Activation;
import io.microw.nn.ActivationFunction;
import io.microw.nn.AttentionCore;
import io.microw.nn.Dropout;
import io.microw.nn.Embedding;
import io.microw.nn.internal.ForwardContext;
import io.microw.nn.HookPoint;
import io.microw.nn.LayerNorm;
import io.microw.nn.Linear;
import io.microw.nn.Module;
import io.microw.nn.ModuleList;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * BERT as Hugging Face's {@code BertModel}: {@code embeddings} (word, position, token type, LayerNorm, dropout),
 * {@code encoder.layer.<i>} post-norm blocks ({@code attention.self.{query,key,value}},
 * {@code attention.output.{dense,LayerNorm}}, {@code intermediate.dense}, {@code output.{dense,LayerNorm}}) and
 * {@code pooler}. It is a bidirectional encoder: the model's output is the last hidden state
 * [batch, seq, hidden]; the pooler still runs (when the checkpoint has one) so its modules can be hooked.
 *
 * <p>The input is token ids only: every token has token type 0 and absolute positions come from the forward's
 * position ids. Checkpoints saved from a task model ({@code bert.embeddings...}) and old ones with
 * {@code LayerNorm.gamma}/{@code beta} load too.
 */
final class Bert implements ModelFamily {

    @Override
    public Set<String> modelTypes() {
        return Set.of("bert");
    }

    @Override
    public ModelConfig parseConfig(HfConfig config) {
        return BertConfig.from(config);
    }

    /**
     * BERT's canonical names have no prefix, while task checkpoints add {@code bert.}; that direction is handled
     * inside {@link #build}, so the generic strip-a-prefix lookup has nothing to do.
     */
    @Override
    public String optionalWeightPrefix() {
        return "";
    }

    @Override
    public TransformerModel build(ModelConfig config, ParameterSource params, NDManager manager) {
        return new BertModel((BertConfig) config, new CheckpointNames(params));
    }

    /** The root, {@code BertModel}: embeddings, encoder, pooler; outputs the last hidden state. */
    public static final class BertModel extends TransformerModel {

        private final BertConfig config;
        private final Embeddings embeddings;
        private final Encoder encoder;
        private final Pooler pooler;
        private final Map<String, String> aliases;

        BertModel(BertConfig config, ParameterSource params) {
            this.config = config;
            this.embeddings = add(new Embeddings("embeddings", config, params));
            this.encoder = add(new Encoder("encoder", config, params));
            this.pooler = params.has("pooler.dense.weight") ? add(new Pooler("pooler", config, params)) : null;
            this.aliases = AliasTable.build(this, config.numLayers(),
                    Map.of("hook_embed", "embeddings.word_embeddings",
                            "hook_pos_embed", "embeddings.position_embeddings",
                            "hook_token_type_embed", "embeddings.token_type_embeddings",
                            "embed", "embeddings",
                            "embed.ln", "embeddings.LayerNorm",
                            "embed.ln.hook_normalized", "embeddings.LayerNorm"),
                    Map.ofEntries(
                            Map.entry("hook_resid_pre", "hook_resid_pre"),
                            Map.entry("attn", "attention"),
                            Map.entry("attn.hook_q", "attention.self.hook_q"),
                            Map.entry("attn.hook_k", "attention.self.hook_k"),
                            Map.entry("attn.hook_v", "attention.self.hook_v"),
                            Map.entry("attn.hook_pattern", "attention.self.hook_pattern"),
                            Map.entry("attn.hook_z", "attention.self.hook_z"),
                            Map.entry("hook_attn_out", "attention.output.dense"),
                            Map.entry("ln1", "attention.output.LayerNorm"),
                            Map.entry("ln1.hook_normalized", "attention.output.LayerNorm"),
                            Map.entry("hook_resid_mid", "hook_resid_mid"),
                            Map.entry("mlp.hook_pre", "intermediate.dense"),
                            Map.entry("mlp.hook_post", "intermediate.intermediate_act_fn"),
                            Map.entry("hook_mlp_out", "output.dense"),
                            Map.entry("ln2", "output.LayerNorm"),
                            Map.entry("ln2.hook_normalized", "output.LayerNorm"),
                            Map.entry("hook_resid_post", "hook_resid_post")));
        }

        @Override
        public String typeName() {
            return "BertModel";
        }

        @Override
        public BertConfig config() {
            return config;
        }

        @Override
        public String blockName(int i) {
            return "encoder.layer." + i;
        }

        @Override
        public Map<String, String> aliases() {
            return aliases;
        }

        @Override
        public boolean isDecoder() {
            return false;
        }

        /**
         * Whether the checkpoint had a pooler ({@code BertModel(add_pooling_layer=False)} has none).
         *
         * @return true when the model has a pooler
         */
        public boolean hasPooler() {
            return pooler != null;
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray hidden = embeddings.call(ctx, inputs.head());
            hidden = encoder.call(ctx, hidden);
            if (pooler != null) {
                pooler.call(ctx, hidden);
            }
            return new NDList(hidden);
        }
    }

    /** {@code BertEmbeddings}: word + token type (all 0) + absolute position embeddings, LayerNorm, dropout. */
    static final class Embeddings extends Module {

        private final Embedding words;
        private final Embedding positions;
        private final Embedding tokenTypes;
        private final LayerNorm layerNorm;
        private final Dropout dropout;

        Embeddings(String name, BertConfig c, ParameterSource p) {
            super(name);
            words = add(new Embedding(child("word_embeddings"),
                    p.get(child("word_embeddings.weight"), new Shape(c.vocabSize(), c.hiddenSize()), Init.NORMAL)));
            positions = add(new Embedding(child("position_embeddings"),
                    p.get(child("position_embeddings.weight"), new Shape(c.maxPositions(), c.hiddenSize()),
                            Init.NORMAL)));
            tokenTypes = add(new Embedding(child("token_type_embeddings"),
                    p.get(child("token_type_embeddings.weight"), new Shape(c.typeVocabSize(), c.hiddenSize()),
                            Init.NORMAL)));
            layerNorm = add(layerNorm(child("LayerNorm"), c, p));
            dropout = add(new Dropout(child("dropout")));
        }

        @Override
        public String typeName() {
            return "BertEmbeddings";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray ids = inputs.head();
            NDArray tokenTypeIds = ctx.manager().zeros(ids.getShape(), DataType.INT64);
            NDArray x = words.call(ctx, ids).add(tokenTypes.call(ctx, tokenTypeIds));
            x = x.addi(positions.call(ctx, ctx.batch().positionIds()));
            return new NDList(dropout.call(ctx, layerNorm.call(ctx, x)));
        }
    }

    /** {@code BertEncoder}: the stack of layers. */
    static final class Encoder extends Module {

        private final List<Layer> layers = new ArrayList<>();

        Encoder(String name, BertConfig c, ParameterSource p) {
            super(name);
            for (int i = 0; i < c.numLayers(); i++) {
                layers.add(new Layer(child("layer." + i), c, p));
            }
            add(new ModuleList<>(child("layer"), layers));
        }

        @Override
        public String typeName() {
            return "BertEncoder";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray hidden = inputs.head();
            for (Layer layer : layers) {
                hidden = layer.call(ctx, hidden);
            }
            return new NDList(hidden);
        }
    }

    /**
     * {@code BertLayer}, post-norm: x = LN(x + attn(x)); x = LN(x + mlp(x)). Hook points: {@code hook_resid_pre}
     * (the layer's input), {@code hook_resid_mid} (after the attention's LayerNorm), {@code hook_resid_post}
     * (the layer's output).
     */
    static final class Layer extends Module {

        private final HookPoint residPre;
        private final Attention attention;
        private final HookPoint residMid;
        private final Intermediate intermediate;
        private final Output output;
        private final HookPoint residPost;

        Layer(String name, BertConfig c, ParameterSource p) {
            super(name);
            residPre = add(new HookPoint(child("hook_resid_pre")));
            attention = add(new Attention(child("attention"), c, p));
            residMid = add(new HookPoint(child("hook_resid_mid")));
            intermediate = add(new Intermediate(child("intermediate"), c, p));
            output = add(new Output(child("output"), c.intermediateSize(), c, p));
            residPost = add(new HookPoint(child("hook_resid_post")));
        }

        @Override
        public String typeName() {
            return "BertLayer";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = residPre.call(ctx, inputs.head());
            x = residMid.call(ctx, attention.call(ctx, new NDList(x)).head());
            NDArray h = intermediate.call(ctx, x);
            NDArray out = output.call(ctx, new NDList(h, x)).head();
            return new NDList(residPost.call(ctx, out));
        }
    }

    /** {@code BertAttention}: self-attention then its output block; outputs the result and the pattern. */
    static final class Attention extends Module {

        private final SelfAttention self;
        private final Output output;

        Attention(String name, BertConfig c, ParameterSource p) {
            super(name);
            self = add(new SelfAttention(child("self"), c, p));
            output = add(new Output(child("output"), c.hiddenSize(), c, p));
        }

        @Override
        public String typeName() {
            return "BertAttention";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = inputs.head();
            NDList selfOut = self.call(ctx, new NDList(x));
            NDArray out = output.call(ctx, new NDList(selfOut.get(0), x)).head();
            return new NDList(out, selfOut.get(1));
        }
    }

    /**
     * {@code BertSelfAttention}: q/k/v projections, bidirectional softmax attention over real (unpadded) keys.
     * Outputs the context [batch, seq, hidden] and the pattern [batch, heads, query, key]. Hook points:
     * {@code hook_q}, {@code hook_k}, {@code hook_v}, {@code hook_z} [batch, seq, heads, headDim] and
     * {@code hook_pattern}.
     */
    static final class SelfAttention extends Module {

        private final int heads;
        private final int headDim;
        private final float scale;
        private final Linear query;
        private final Linear key;
        private final Linear value;
        private final HookPoint hookQ;
        private final HookPoint hookK;
        private final HookPoint hookV;
        private final HookPoint hookPattern;
        private final Dropout dropout;
        private final HookPoint hookZ;

        SelfAttention(String name, BertConfig c, ParameterSource p) {
            super(name);
            heads = c.numHeads();
            headDim = c.headDim();
            scale = (float) (1.0 / Math.sqrt(headDim));
            int d = c.hiddenSize();
            query = add(linear(child("query"), d, d, p));
            key = add(linear(child("key"), d, d, p));
            value = add(linear(child("value"), d, d, p));
            hookQ = add(new HookPoint(child("hook_q")));
            hookK = add(new HookPoint(child("hook_k")));
            hookV = add(new HookPoint(child("hook_v")));
            hookPattern = add(new HookPoint(child("hook_pattern")));
            dropout = add(new Dropout(child("dropout")));
            hookZ = add(new HookPoint(child("hook_z")));
        }

        @Override
        public String typeName() {
            return "BertSelfAttention";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = inputs.head();
            long batch = x.getShape().get(0);
            long seq = x.getShape().get(1);
            NDArray q = hookQ.call(ctx, query.call(ctx, x).reshape(batch, seq, heads, headDim));
            NDArray k = hookK.call(ctx, key.call(ctx, x).reshape(batch, seq, heads, headDim));
            NDArray v = hookV.call(ctx, value.call(ctx, x).reshape(batch, seq, heads, headDim));
            NDArray pattern = hookPattern.call(ctx, AttentionCore.pattern(AttentionCore.swapSeqAndHeads(q),
                    AttentionCore.swapSeqAndHeads(k), ctx.paddingBias(), scale, 0f));
            pattern = dropout.call(ctx, pattern);
            NDArray z = hookZ.call(ctx, AttentionCore.swapSeqAndHeads(pattern.matMul(AttentionCore.swapSeqAndHeads(v))));
            return new NDList(z.reshape(batch, seq, (long) heads * headDim), pattern);
        }
    }

    /**
     * {@code BertSelfOutput} and {@code BertOutput}: dense, dropout, then LayerNorm of the sum with the residual.
     * Inputs: the sub-layer's hidden states and the residual.
     */
    static final class Output extends Module {

        private final Linear dense;
        private final LayerNorm layerNorm;
        private final Dropout dropout;
        private final String typeName;

        Output(String name, int in, BertConfig c, ParameterSource p) {
            super(name);
            typeName = name.endsWith("attention.output") ? "BertSelfOutput" : "BertOutput";
            dense = add(linear(child("dense"), in, c.hiddenSize(), p));
            layerNorm = add(layerNorm(child("LayerNorm"), c, p));
            dropout = add(new Dropout(child("dropout")));
        }

        @Override
        public String typeName() {
            return typeName;
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            if (inputs.size() < 2) {
                throw new IllegalArgumentException(name() + " takes two inputs (hidden states, residual), got "
                        + inputs.size());
            }
            NDArray h = dropout.call(ctx, dense.call(ctx, inputs.get(0)));
            return new NDList(layerNorm.call(ctx, h.add(inputs.get(1))));
        }
    }

    /** {@code BertIntermediate}: dense to the intermediate size, then {@code hidden_act}. */
    static final class Intermediate extends Module {

        private final Linear dense;
        private final Activation act;

        Intermediate(String name, BertConfig c, ParameterSource p) {
            super(name);
            dense = add(linear(child("dense"), c.hiddenSize(), c.intermediateSize(), p));
            act = add(new Activation(child("intermediate_act_fn"), c.activation()));
        }

        @Override
        public String typeName() {
            return "BertIntermediate";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            return new NDList(act.call(ctx, dense.call(ctx, inputs.head())));
        }
    }

    /** {@code BertPooler}: the first token's hidden state through dense and tanh; output [batch, hidden]. */
    static final class Pooler extends Module {

        private final Linear dense;
        private final Activation activation;

        Pooler(String name, BertConfig c, ParameterSource p) {
            super(name);
            dense = add(linear(child("dense"), c.hiddenSize(), c.hiddenSize(), p));
            activation = add(new Activation(child("activation"), ActivationFunction.TANH));
        }

        @Override
        public String typeName() {
            return "BertPooler";
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray first = inputs.head().get(new NDIndex(":, 0, :"));
            return new NDList(activation.call(ctx, dense.call(ctx, first)));
        }
    }

    private static LayerNorm layerNorm(String name, BertConfig c, ParameterSource p) {
        Shape shape = new Shape(c.hiddenSize());
        return new LayerNorm(name, p.get(name + ".weight", shape, Init.ONES), p.get(name + ".bias", shape, Init.ZEROS),
                (float) c.layerNormEps());
    }

    private static Linear linear(String name, int in, int out, ParameterSource p) {
        return new Linear(name, "Linear", p.get(name + ".weight", new Shape(out, in), Init.NORMAL),
                p.get(name + ".bias", new Shape(out), Init.ZEROS));
    }

    /**
     * Finds BERT's parameters under the names checkpoints use: {@code embeddings...} as {@code BertModel} saves
     * them, {@code bert.embeddings...} as task models ({@code BertForMaskedLM}, ...) save them, and the old
     * {@code LayerNorm.gamma}/{@code beta} for {@code LayerNorm.weight}/{@code bias}. A parameter found under none
     * is reported under its canonical name.
     */
    static final class CheckpointNames implements ParameterSource {

        static final String TASK_PREFIX = "bert.";

        private final ParameterSource source;

        CheckpointNames(ParameterSource source) {
            this.source = source;
        }

        @Override
        public boolean has(String name) {
            return stored(name) != null;
        }

        @Override
        public NDArray get(String name, Shape shape, Init init) {
            String key = stored(name);
            return source.get(key == null ? name : key, shape, init);
        }

        private String stored(String name) {
            for (String candidate : candidates(name)) {
                if (source.has(candidate)) {
                    return candidate;
                }
            }
            return null;
        }

        private static List<String> candidates(String name) {
            List<String> names = new ArrayList<>(List.of(name, TASK_PREFIX + name));
            String old = name.endsWith(".LayerNorm.weight") ? name.replaceAll("weight$", "gamma")
                    : name.endsWith(".LayerNorm.bias") ? name.replaceAll("bias$", "beta") : null;
            if (old != null) {
                names.add(old);
                names.add(TASK_PREFIX + old);
            }
            return names;
        }
    }
}
