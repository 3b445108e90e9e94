package io.microw.lm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.MicrowException;
import io.microw.hooks.FunctionController;
import io.microw.hooks.Hook;
import io.microw.hooks.HookException;
import io.microw.hooks.HookType;
import io.microw.hooks.LayerActivationDetector;
import io.microw.io.ConfigException;
import io.microw.io.SafetensorsException;
import io.microw.io.SafetensorsFile;
import io.microw.io.SafetensorsWriter;
import io.microw.io.TensorInfo;
import io.microw.models.ModelLoadException;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bad input to loading, the hook registry and forwards, on the tiny GPT-2 fixture (vocab 1000, context 64,
 * no tokenizer): each is a clear exception naming the offending value, and the model stays usable.
 */
class BadInputTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long[][] GOOD_IDS = {{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}};

    private static Fixture fixture;
    private static LanguageModel lm;
    private static float[] goodLogits;

    @TempDir
    Path temp;

    @BeforeAll
    static void load() {
        fixture = Fixture.open("gpt2");
        lm = LanguageModel.load(fixture.modelDir());
        goodLogits = logits(lm);
    }

    @AfterAll
    static void close() {
        lm.close();
        fixture.close();
    }

    private static float[] logits(LanguageModel model) {
        try (InferenceResult r = model.inference().forward(GOOD_IDS, null)) {
            return r.logits().toFloatArray();
        }
    }

    /** After every failure: no hook left over, and a good forward gives the same logits as before. */
    @AfterEach
    void modelStillWorks() {
        List<Hook> left = lm.layers().allHooks();
        left.forEach(h -> lm.layers().unregisterHook(h.id()));
        assertThat(left).as("hooks left registered").isEmpty();
        assertThat(logits(lm)).containsExactly(goodLogits);
    }

    // ------------------------------------------------------------------ damaged model directories

    /** A copy of the fixture model directory. */
    private Path copyModel() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("model"));
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(fixture.modelDir().resolve(f), dir.resolve(f));
        }
        return dir;
    }

    private static void editConfig(Path dir, Consumer<ObjectNode> edit) throws IOException {
        Path config = dir.resolve("config.json");
        ObjectNode json = (ObjectNode) JSON.readTree(config.toFile());
        edit.accept(json);
        JSON.writeValue(config.toFile(), json);
    }

    /** Rewrites the safetensors header of {@code dir/model.safetensors} keeping the data bytes. */
    private static void editHeader(Path dir, Consumer<ObjectNode> edit) throws IOException {
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        edit.accept(header);
        byte[] json = JSON.writeValueAsBytes(header);
        byte[] padded = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        byte[] data = Arrays.copyOfRange(bytes, 8 + (int) headerLength, bytes.length);
        ByteBuffer out = ByteBuffer.allocate(8 + padded.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded.length).put(padded).put(data);
        Files.write(file, out.array());
    }

    private static void setOffsets(ObjectNode header, String tensor, long begin, long end) {
        ArrayNode offsets = ((ObjectNode) header.get(tensor)).putArray("data_offsets");
        offsets.add(begin).add(end);
    }

    private static long headerLength(Path file) throws IOException {
        byte[] prefix = Arrays.copyOf(Files.readAllBytes(file), 8);
        return ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void truncatedSafetensors() throws IOException {
        Path dir = copyModel();
        Path file = dir.resolve("model.safetensors");
        long keep = 8 + headerLength(file) + 1000;
        Files.write(file, Arrays.copyOf(Files.readAllBytes(file), (int) keep));
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("transformer.h.0.attn.c_attn.weight")
                .hasMessageContaining("[768, 49920]")
                .hasMessageContaining("(1000 bytes)");
    }

    @Test
    void truncatedInsideTheHeader() throws IOException {
        Path dir = copyModel();
        Path file = dir.resolve("model.safetensors");
        long header = headerLength(file);
        Files.write(file, Arrays.copyOf(Files.readAllBytes(file), 100));
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("header length " + header)
                .hasMessageContaining("(92 bytes)");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        Path dir = copyModel();
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1_000_000_000_000L);
        Files.write(file, bytes);
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("header length 1000000000000");
    }

    @Test
    void headerLengthCuttingTheJson() throws IOException {
        Path dir = copyModel();
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        long real = headerLength(file);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, real - 40);
        Files.write(file, bytes);
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void offsetsPastTheEnd() throws IOException {
        Path dir = copyModel();
        editHeader(dir, h -> setOffsets(h, "transformer.wte.weight", 416768 + 64, 672768 + 64));
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("transformer.wte.weight")
                .hasMessageContaining("[416832, 672832]")
                .hasMessageContaining("672768 bytes");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path dir = copyModel();
        // wpe.weight moved 128 bytes back over ln_f.weight [400128, 400384].
        editHeader(dir, h -> setOffsets(h, "transformer.wpe.weight", 400384 - 128, 416768 - 128));
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("transformer.ln_f.weight")
                .hasMessageContaining("transformer.wpe.weight")
                .hasMessageContaining("400256")
                .hasMessageContaining("overlap");
    }

    @Test
    void unknownDtype() throws IOException {
        Path dir = copyModel();
        editHeader(dir, h -> ((ObjectNode) h.get("transformer.ln_f.bias")).put("dtype", "F8_E4M3"));
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("transformer.ln_f.bias")
                .hasMessageContaining("'F8_E4M3'");
    }

    @Test
    void dtypeThatDoesNotFitTheByteRange() throws IOException {
        Path dir = copyModel();
        editHeader(dir, h -> ((ObjectNode) h.get("transformer.ln_f.bias")).put("dtype", "F16"));
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("transformer.ln_f.bias")
                .hasMessageContaining("F16")
                .hasMessageContaining("256 bytes")
                .hasMessageContaining("needs 128 bytes");
    }

    @Test
    void hiddenSizeThatDisagreesWithTheWeights() throws IOException {
        Path dir = copyModel();
        editConfig(dir, c -> c.put("n_embd", 32));
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("transformer.wte.weight")
                .hasMessageContaining("[1000, 64]")
                .hasMessageContaining("[1000, 32]");
    }

    @Test
    void innerSizeThatDisagreesWithTheWeights() throws IOException {
        Path dir = copyModel();
        editConfig(dir, c -> c.put("n_inner", 128));
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("transformer.h.0.mlp.c_fc.weight")
                .hasMessageContaining("[64, 256]")
                .hasMessageContaining("[64, 128]");
    }

    @Test
    void headCountThatDoesNotDivideTheHiddenSize() throws IOException {
        Path dir = copyModel();
        editConfig(dir, c -> c.put("n_head", 5));
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("n_embd 64")
                .hasMessageContaining("n_head 5");
    }

    @Test
    void missingWeight() throws IOException {
        Path dir = copyModel();
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsFile original = SafetensorsFile.open(fixture.modelDir().resolve("model.safetensors"))) {
            for (String name : original.names()) {
                if (!name.equals("transformer.h.1.attn.c_proj.bias")) {
                    TensorInfo info = original.info(name);
                    writer.putFloats(name, info.shape(), original.readFloats(name));
                }
            }
        }
        writer.write(file);
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'transformer.h.1.attn.c_proj.bias' is missing")
                .hasMessageContaining(file.toString())
                .hasMessageContaining("closest names there: [transformer.h.0.attn.c_proj.bias");
    }

    @Test
    void checkpointWithoutThePrefixStillLoads() throws IOException {
        Path dir = copyModel();
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsFile original = SafetensorsFile.open(fixture.modelDir().resolve("model.safetensors"))) {
            for (String name : original.names()) {
                writer.putFloats(name.replaceFirst("^transformer\\.", ""), original.info(name).shape(),
                        original.readFloats(name));
            }
        }
        writer.write(file);
        try (LanguageModel bare = LanguageModel.load(dir)) {
            assertThat(logits(bare)).containsExactly(goodLogits);
        }
    }

    @Test
    void unknownModelType() throws IOException {
        Path dir = copyModel();
        editConfig(dir, c -> c.put("model_type", "gpt3"));
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'gpt3'")
                .hasMessageContaining("gpt2");
    }

    @Test
    void missingConfigKey() throws IOException {
        Path dir = copyModel();
        editConfig(dir, c -> {
            c.remove("n_layer");
            c.remove("num_hidden_layers");
        });
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("n_layer")
                .hasMessageContaining("num_hidden_layers")
                .hasMessageContaining(dir.resolve("config.json").toString());
    }

    @Test
    void configValueOfTheWrongType() throws IOException {
        Path dir = copyModel();
        editConfig(dir, c -> c.put("vocab_size", "lots"));
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("vocab_size")
                .hasMessageContaining("lots");
    }

    @Test
    void configNotJson() throws IOException {
        Path dir = copyModel();
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\",");
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(dir.resolve("config.json").toString());
    }

    @Test
    void missingWeightsFile() throws IOException {
        Path dir = copyModel();
        Files.delete(dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining(dir.toString());
    }

    @Test
    void missingDirectory() {
        Path dir = temp.resolve("nowhere");
        assertThatThrownBy(() -> LanguageModel.load(dir))
                .isInstanceOf(MicrowException.class)
                .hasMessageContaining(dir.toString());
    }

    // ------------------------------------------------------------------ layers and hooks

    @Test
    void unknownLayerListsCloseMatches() {
        assertThatThrownBy(() -> lm.layers().resolve("transformer.h.0.attn.c_atn"))
                .isInstanceOf(UnknownLayerException.class)
                .hasMessageContaining("'transformer.h.0.attn.c_atn'")
                .hasMessageContaining("transformer.h.0.attn.c_attn");
        assertThatThrownBy(() -> lm.layers().registerHook("transformer.h.0.attn.c_atn",
                new LayerActivationDetector("transformer.h.0.attn.c_atn")))
                .isInstanceOf(UnknownLayerException.class)
                .hasMessageContaining("transformer.h.0.attn.c_attn");
        assertThatThrownBy(() -> lm.layers().resolve("blocks.7.hook_resid_post"))
                .isInstanceOf(UnknownLayerException.class)
                .hasMessageContaining("blocks.7.hook_resid_post")
                .hasMessageContaining("blocks.1.hook_resid_post");
        assertThatThrownBy(() -> lm.layers().resolve(null)).isInstanceOf(UnknownLayerException.class);
    }

    @Test
    void layerIndexOutOfRange() {
        int n = lm.layers().names().size();
        assertThatThrownBy(() -> lm.layers().resolve(String.valueOf(n)))
                .isInstanceOf(UnknownLayerException.class)
                .hasMessageContaining("index " + n)
                .hasMessageContaining("0.." + (n - 1));
        assertThatThrownBy(() -> lm.layers().resolve("-1"))
                .isInstanceOf(UnknownLayerException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> lm.layers().resolve("layer_2"))
                .isInstanceOf(UnknownLayerException.class)
                .hasMessageContaining("layer_2")
                .hasMessageContaining("layer_1");
    }

    @Test
    void sameHookIdTwice() {
        LayerActivationDetector det = new LayerActivationDetector("layer_0");
        lm.layers().registerHook("layer_0", det);
        assertThatThrownBy(() -> lm.layers().registerHook("layer_0", det))
                .isInstanceOf(HookException.class)
                .hasMessageContaining(det.id())
                .hasMessageContaining("transformer.h.0");
        assertThat(lm.layers().allHooks()).containsExactly(det);
        assertThat(lm.layers().unregisterHook(det.id())).isTrue();
        assertThat(lm.layers().unregisterHook(det.id())).isFalse();
    }

    @Test
    void detectorAndControllerOnOneLayer() {
        LayerActivationDetector det = new LayerActivationDetector("transformer.h.1.mlp");
        FunctionController ctl = new FunctionController("transformer.h.1.mlp", x -> x.mul(2));
        lm.layers().registerHook("transformer.h.1.mlp", det);
        assertThatThrownBy(() -> lm.layers().registerHook("transformer.h.1.mlp", ctl))
                .isInstanceOf(HookException.class)
                .hasMessageContaining("transformer.h.1.mlp")
                .hasMessageContaining(det.id());
        assertThat(lm.layers().allHooks()).containsExactly(det);
        lm.layers().unregisterHook(det.id());
        // The other way round, through an alias of the same layer.
        lm.layers().registerHook("blocks.1.hook_mlp_out", ctl);
        assertThatThrownBy(() -> lm.layers().registerHook("transformer.h.1.mlp",
                new LayerActivationDetector("transformer.h.1.mlp")))
                .isInstanceOf(HookException.class)
                .hasMessageContaining(ctl.id());
        assertThat(lm.layers().unregisterHook(ctl.id())).isTrue();
    }

    @Test
    void hookMadeForAnotherLayer() {
        LayerActivationDetector det = new LayerActivationDetector("layer_0");
        assertThatThrownBy(() -> lm.layers().registerHook("layer_1", det))
                .isInstanceOf(HookException.class)
                .hasMessageContaining("layer_0")
                .hasMessageContaining("layer_1")
                .hasMessageContaining("transformer.h.1");
        // An alias of its own layer is fine.
        lm.layers().registerHook("blocks.0", det);
        assertThat(lm.layers().layerOf(det.id())).isEqualTo("transformer.h.0");
        assertThat(lm.layers().unregisterHook(det.id())).isTrue();
    }

    @Test
    void containerLayerIsRefused() {
        assertThatThrownBy(() -> lm.layers().registerHook("transformer.h", new LayerActivationDetector("transformer.h")))
                .isInstanceOf(HookException.class)
                .hasMessageContaining("'transformer.h'")
                .hasMessageContaining("container")
                .hasMessageContaining("transformer.h.0");
    }

    @Test
    void unknownHookId() {
        assertThatThrownBy(() -> lm.layers().disableHook("no-such-hook"))
                .isInstanceOf(HookException.class)
                .hasMessageContaining("'no-such-hook'");
        assertThat(lm.layers().unregisterHook("no-such-hook")).isFalse();
    }

    @Test
    void aliasesResolve() {
        Layers layers = lm.layers();
        assertThat(layers.resolve("blocks.0.hook_resid_post")).isEqualTo("transformer.h.0.hook_resid_post");
        assertThat(layers.resolve("blocks.0.attn.hook_pattern")).isEqualTo("transformer.h.0.attn.hook_pattern");
        assertThat(layers.resolve("blocks.0.hook_mlp_out")).isEqualTo("transformer.h.0.mlp");
        assertThat(layers.resolve("hook_embed")).isEqualTo("transformer.wte");
        assertThat(layers.resolve("hook_pos_embed")).isEqualTo("transformer.wpe");
        assertThat(layers.resolve("ln_final.hook_normalized")).isEqualTo("transformer.ln_f");
        assertThat(layers.resolve("gpt2lmheadmodel_transformer_h_0_attn_c_attn")).isEqualTo("transformer.h.0.attn.c_attn");
        assertThat(layers.resolve("layer_1")).isEqualTo("transformer.h.1");
        assertThat(layers.resolve("root")).isEmpty();
        List<String> names = layers.names();
        assertThat(layers.resolve("0")).isEqualTo(names.get(0)).isEqualTo("transformer");
        assertThat(layers.resolve("1")).isEqualTo("transformer.wte");
        assertThat(layers.resolve(String.valueOf(names.size() - 1))).isEqualTo("lm_head");
        assertThat(layers.resolve(String.valueOf(names.indexOf("transformer.h.1.attn.c_attn"))))
                .isEqualTo("transformer.h.1.attn.c_attn");
        assertThat(layers.resolve("transformer.h.1.mlp.c_fc")).isEqualTo("transformer.h.1.mlp.c_fc");
        assertThat(layers.aliasesOf("transformer.h.1")).contains("layer_1", "blocks.1");
    }

    @Test
    void hooksRegisteredThroughAliasesSeeTheSameTensors() {
        String[][] pairs = {
                {"blocks.0.hook_resid_post", "transformer.h.0.hook_resid_post"},
                {"blocks.0.attn.hook_pattern", "transformer.h.0.attn.hook_pattern"},
                {"blocks.0.hook_mlp_out", "transformer.h.0.mlp"},
                {"hook_embed", "transformer.wte"},
                {"hook_pos_embed", "transformer.wpe"},
                {"ln_final.hook_normalized", "transformer.ln_f"},
                {"gpt2lmheadmodel_transformer_h_0_attn_c_attn", "transformer.h.0.attn.c_attn"},
                {"layer_1", "transformer.h.1"},
                {String.valueOf(lm.layers().names().indexOf("transformer.h.1.ln_2")), "transformer.h.1.ln_2"},
        };
        for (String[] pair : pairs) {
            LayerActivationDetector viaAlias = new LayerActivationDetector(pair[0]);
            LayerActivationDetector viaName = new LayerActivationDetector(pair[1]);
            lm.layers().registerHook(pair[0], viaAlias);
            lm.layers().registerHook(pair[1], viaName);
            try (InferenceResult ignored = lm.inference().forward(GOOD_IDS, null)) {
                assertThat(viaAlias.getCaptured()).as(pair[0]).isNotNull();
                assertThat(viaAlias.getCaptured().toFloatArray()).as(pair[0])
                        .containsExactly(viaName.getCaptured().toFloatArray());
            } finally {
                lm.layers().unregisterHook(viaAlias.id());
                lm.layers().unregisterHook(viaName.id());
                viaAlias.close();
                viaName.close();
            }
        }
        // The pattern hook point holds [batch, heads, query, key] with rows summing to 1.
        LayerActivationDetector pattern = new LayerActivationDetector("blocks.0.attn.hook_pattern");
        lm.layers().registerHook("blocks.0.attn.hook_pattern", pattern);
        try (InferenceResult ignored = lm.inference().forward(GOOD_IDS, null)) {
            assertThat(pattern.getCaptured().getShape().getShape()).containsExactly(2, 4, 5, 5);
            float[] rowSums = pattern.getCaptured().sum(new int[] {3}).toFloatArray();
            assertThat(rowSums).hasSize(2 * 4 * 5);
            for (float v : rowSums) {
                assertThat(v).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
            }
        } finally {
            lm.layers().unregisterHook(pattern.id());
            pattern.close();
        }
    }

    // ------------------------------------------------------------------ forward inputs

    @Test
    void emptyIds() {
        assertThatThrownBy(() -> lm.inference().forward(new long[0][], null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> lm.inference().forward(null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> lm.inference().forward(new long[][] {{}}, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sequence length 0");
    }

    @Test
    void tokenIdOutsideTheVocabulary() {
        assertThatThrownBy(() -> lm.inference().forward(new long[][] {{1, 2, 1000}}, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id 1000")
                .hasMessageContaining("position 2")
                .hasMessageContaining("[0, 1000)");
        assertThatThrownBy(() -> lm.inference().forward(new long[][] {{1, 2}, {-1, 4}}, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id -1")
                .hasMessageContaining("row 1");
    }

    @Test
    void sequenceLongerThanTheContext() {
        long[][] ids = new long[1][65];
        assertThatThrownBy(() -> lm.inference().forward(ids, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("65")
                .hasMessageContaining("64");
        try (InferenceResult r = lm.inference().forward(new long[1][64], null)) {
            assertThat(r.logits().getShape().getShape()).containsExactly(1, 64, 1000);
        }
    }

    @Test
    void raggedIdsAndBadMasks() {
        assertThatThrownBy(() -> lm.inference().forward(new long[][] {{1, 2, 3}, {4, 5}}, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ragged")
                .hasMessageContaining("row 1 has 2");
        assertThatThrownBy(() -> lm.inference().forward(GOOD_IDS, new long[][] {{1, 1, 1, 1, 1}}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("attention mask has 1 rows");
        assertThatThrownBy(() -> lm.inference().forward(GOOD_IDS, new long[][] {{1, 1, 1, 1, 2}, {1, 1, 1, 1, 1}}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 2");
        assertThatThrownBy(() -> lm.inference().forward(GOOD_IDS, null, new long[][] {{0, 1, 2, 3, 64}, {0, 1, 2, 3, 4}}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("position id 64");
    }

    @Test
    void textsNeedATokenizer() {
        assertThat(lm.hasTokenizer()).isFalse();
        assertThatThrownBy(() -> lm.inference().executeInference(List.of("hello")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tokenizer");
        assertThatThrownBy(lm::tokenizer)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(fixture.modelDir().toString());
    }

    @Test
    void badStopLayer() {
        assertThatThrownBy(() -> lm.inference().forward(GOOD_IDS, null, null,
                InferenceOptions.defaults().withStopAfterLayer("layer_9")))
                .isInstanceOf(UnknownLayerException.class)
                .hasMessageContaining("layer_9");
    }

    @Test
    void stopAfterAContainerIsRefused() {
        assertThatThrownBy(() -> lm.inference().forward(GOOD_IDS, null, null,
                InferenceOptions.defaults().withStopAfterLayer("transformer.h")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'transformer.h'")
                .hasMessageContaining("container")
                .hasMessageContaining("transformer.h.0");
    }

    @Test
    void stopAfterTheRootIsAFullRun() {
        try (InferenceResult r = lm.inference().forward(GOOD_IDS, null, null,
                InferenceOptions.defaults().withStopAfterLayer("root"))) {
            assertThat(r.stoppedAfter()).isEmpty();
            assertThat(r.logits().toFloatArray()).containsExactly(goodLogits);
        }
        try (InferenceResult r = lm.inference().forward(GOOD_IDS, null, null,
                InferenceOptions.defaults().withStopAfterLayer("blocks.0.attn.hook_pattern"))) {
            assertThat(r.stoppedAfter()).hasValue("transformer.h.0.attn.hook_pattern");
            assertThat(r.output().getShape().getShape()).containsExactly(2, 4, 5, 5);
            assertThatThrownBy(r::logits).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("transformer.h.0.attn.hook_pattern");
        }
    }

    @Test
    void closedResultsAndModelsFailCleanly() {
        InferenceResult r = lm.inference().forward(GOOD_IDS, null);
        r.close();
        assertThatThrownBy(() -> r.logits().toFloatArray()).isInstanceOf(IllegalStateException.class);
        LanguageModel other = LanguageModel.load(fixture.modelDir());
        other.close();
        assertThatThrownBy(() -> other.inference().forward(GOOD_IDS, null)).isInstanceOf(IllegalStateException.class);
        other.close();
    }

    @Test
    void badGenerationRequests() {
        assertThatThrownBy(() -> lm.inference().generate(new long[0][], GenerationConfig.greedy(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> lm.inference().generate(new long[][] {{1, 2}, {}}, GenerationConfig.greedy(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prompt 1");
        assertThatThrownBy(() -> lm.inference().generate(new long[][] {new long[60]}, GenerationConfig.greedy(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("60")
                .hasMessageContaining("5 new tokens")
                .hasMessageContaining("64");
        assertThatThrownBy(() -> lm.inference().generate(new long[][] {{1, 5000}}, GenerationConfig.greedy(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("5000");
        assertThatThrownBy(() -> GenerationConfig.builder().maxNewTokens(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
        assertThatThrownBy(() -> GenerationConfig.builder().temperature(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0.0");
        assertThatThrownBy(() -> GenerationConfig.builder().topP(1.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 1.5");
        assertThatThrownBy(() -> GenerationConfig.builder().topK(-2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got -2");
        assertThatThrownBy(() -> InferenceOptions.defaults().withMaxLength(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got -1");
        // Generation from ids works on a model without a tokenizer, and fits the context exactly.
        GenerationResult g = lm.inference().generate(new long[][] {new long[59]},
                GenerationConfig.builder().maxNewTokens(5).stopAtEos(false).build());
        assertThat(g.sequences()[0]).hasSize(64);
        assertThat(g.texts()).isEmpty();
    }

    @Test
    void failingForwardLeavesEarlierHooksWorking() {
        LayerActivationDetector det = new LayerActivationDetector("layer_0");
        lm.layers().registerHook("layer_0", det);
        FunctionController bad = new FunctionController("transformer.h.1.attn", HookType.PRE_FORWARD, x -> x.reshape(-1));
        lm.layers().registerHook("transformer.h.1.attn", bad);
        assertThatThrownBy(() -> lm.inference().forward(GOOD_IDS, null))
                .isInstanceOf(HookException.class)
                .hasMessageContaining(bad.id())
                .hasMessageContaining("transformer.h.1.attn");
        lm.layers().unregisterHook(bad.id());
        try (InferenceResult r = lm.inference().forward(new long[][] {{3, 4, 5}}, null)) {
            assertThat(r.logits().getShape().getShape()).containsExactly(1, 3, 1000);
            assertThat(det.getCaptured().getShape().getShape()).containsExactly(1, 3, 64);
        }
        lm.layers().unregisterHook(det.id());
        det.close();
    }
}
