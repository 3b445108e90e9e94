package io.microw.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

import static io.microw.sae.SaeArchitecturesTest.assertClose;
import static io.microw.sae.SaeArchitecturesTest.naive;
import static io.microw.sae.SaeArchitecturesTest.randomParameters;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * SAELens folders built by hand (cfg.json literals, safetensors bytes written here, not by our writer) load and
 * compute what SAELens' formulas say; our writer's folders read back identically; bad folders fail clearly.
 */
class SaeLensFormatTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path tmp;

    // ------------------------------------------------------------------------------------------------ fixtures

    /** A safetensors file built byte by byte: header JSON text, then little-endian data. */
    static final class RawTensors {
        private final Map<String, Object[]> tensors = new LinkedHashMap<>(); // name -> {dtype, shape, bytes}

        RawTensors f32(String name, long[] shape, float[] values) {
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                b.putFloat(v);
            }
            tensors.put(name, new Object[] {"F32", shape, b.array()});
            return this;
        }

        /** BF16: the upper half of each float32 (the values should be bf16-exact, see {@link #bf16}). */
        RawTensors bf16(String name, long[] shape, float[] values) {
            ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
            }
            tensors.put(name, new Object[] {"BF16", shape, b.array()});
            return this;
        }

        RawTensors i64(String name, long[] shape, long[] values) {
            ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : values) {
                b.putLong(v);
            }
            tensors.put(name, new Object[] {"I64", shape, b.array()});
            return this;
        }

        RawTensors remove(String name) {
            tensors.remove(name);
            return this;
        }

        Path write(Path file) throws IOException {
            StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            long offset = 0;
            for (Map.Entry<String, Object[]> e : tensors.entrySet()) {
                byte[] bytes = (byte[]) e.getValue()[2];
                long[] shape = (long[]) e.getValue()[1];
                StringBuilder dims = new StringBuilder();
                for (int i = 0; i < shape.length; i++) {
                    dims.append(i == 0 ? "" : ",").append(shape[i]);
                }
                header.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"").append(e.getValue()[0])
                        .append("\",\"shape\":[").append(dims).append("],\"data_offsets\":[").append(offset)
                        .append(',').append(offset + bytes.length).append("]}");
                offset += bytes.length;
                data.write(bytes);
            }
            header.append('}');
            byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
            ByteBuffer out = ByteBuffer.allocate(8 + json.length + data.size()).order(ByteOrder.LITTLE_ENDIAN);
            out.putLong(json.length).put(json).put(data.toByteArray());
            return Files.write(file, out.array());
        }
    }

    /** Known weights: small values from a formula, distinct per tensor. */
    static float[] known(int n, int salt) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = ((i * 7 + salt * 3) % 13 - 6) / 8f;
        }
        return a;
    }

    /** Values rounded to bf16 (so writing them as BF16 is exact). */
    static float[] bf16(float[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.intBitsToFloat(Float.floatToRawIntBits(values[i]) & 0xFFFF0000);
        }
        return out;
    }

    static final int D_IN = 3;
    static final int D_SAE = 4;

    /** Known parameters of an architecture with d_in=3, d_sae=4. */
    static Map<String, float[]> knownParameters(SaeArchitecture arch) {
        Map<String, float[]> p = new LinkedHashMap<>();
        p.put("W_enc", known(D_IN * D_SAE, 1));
        if (arch != SaeArchitecture.GATED) {
            p.put("b_enc", new float[] {0.1f, -0.2f, 0.05f, 0.3f});
        }
        p.put("W_dec", known(D_SAE * D_IN, 2));
        p.put("b_dec", new float[] {0.25f, -0.5f, 0.125f});
        if (arch == SaeArchitecture.JUMP_RELU) {
            p.put("threshold", new float[] {0.1f, 0.3f, 0.05f, 0.6f});
        }
        if (arch == SaeArchitecture.GATED) {
            p.put("b_gate", new float[] {0.1f, -0.1f, 0.2f, -0.3f});
            p.put("b_mag", new float[] {0.05f, 0.15f, -0.05f, 0.2f});
            p.put("r_mag", new float[] {0.1f, -0.2f, 0.3f, 0f});
        }
        return p;
    }

    static RawTensors rawTensors(Map<String, float[]> p) {
        RawTensors raw = new RawTensors();
        p.forEach((name, v) -> raw.f32(name, shapeOf(name), v));
        return raw;
    }

    static long[] shapeOf(String name) {
        return switch (name) {
            case "W_enc" -> new long[] {D_IN, D_SAE};
            case "W_dec" -> new long[] {D_SAE, D_IN};
            case "b_dec" -> new long[] {D_IN};
            default -> new long[] {D_SAE};
        };
    }

    Path folder(String name, String cfgJson, RawTensors weights) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("cfg.json"), cfgJson);
        if (weights != null) {
            weights.write(dir.resolve("sae_weights.safetensors"));
        }
        return dir;
    }

    static final float[] X = {0.9f, -0.4f, 1.3f, -1.1f, 0.2f, 0.6f, 0.3f, 0.8f, -0.7f, 1.5f, 1.0f, -0.2f,
        0.0f, 0.5f, -1.0f, 2.0f, -0.3f, 0.1f};

    /** Encode and forward of a loaded SAE on a [2, 3, d_in] input, checked against the plain-Java formulas. */
    static void assertComputesAsSaeLens(Sae sae, SaeConfig expectedCfg, Map<String, float[]> p) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(X, new Shape(2, 3, D_IN));
            float[] expectedCodes = naive(expectedCfg, p, X, D_IN, false, 1f);
            NDArray codes = sae.encode(x);
            assertThat(codes.getShape()).isEqualTo(new Shape(2, 3, D_SAE));
            assertClose(codes.toFloatArray(), expectedCodes, 1e-5);
            assertClose(sae.forward(x).toFloatArray(), naive(expectedCfg, p, expectedCodes, D_SAE, true, 1f), 1e-5);
        }
    }

    static JsonNode json(Path file) throws IOException {
        return MAPPER.readTree(file.toFile());
    }

    // ------------------------------------------------------------------------------------------------ hand-built

    static final String TOPK_CFG = """
            {
              "architecture": "topk",
              "d_in": 3,
              "d_sae": 4,
              "dtype": "float32",
              "device": "cpu",
              "apply_b_dec_to_input": true,
              "normalize_activations": "none",
              "reshape_activations": "none",
              "k": 2,
              "metadata": {
                "model_name": "gpt2",
                "hook_name": "blocks.0.hook_resid_post",
                "hook_head_index": null,
                "prepend_bos": true,
                "context_size": 128,
                "dataset_path": "monology/pile-uncopyrighted",
                "sae_lens_version": "6.5.1",
                "sae_lens_training_version": "6.5.1",
                "custom_key": {"a": [1, 2], "b": "x"}
              }
            }
            """;

    @Test
    void handBuiltTopKSaeLens6FolderLoadsAndComputesTopK() throws IOException {
        Map<String, float[]> p = knownParameters(SaeArchitecture.TOPK);
        Path dir = folder("topk", TOPK_CFG, rawTensors(p));
        try (Sae sae = Sae.load(dir)) {
            assertThat(sae).isInstanceOf(TopKSae.class);
            SaeConfig cfg = sae.config();
            assertThat(cfg.architecture()).isEqualTo(SaeArchitecture.TOPK);
            assertThat(cfg.k()).isEqualTo(2);
            assertThat(cfg.dIn()).isEqualTo(3);
            assertThat(cfg.dSae()).isEqualTo(4);
            assertThat(cfg.applyBDecToInput()).isTrue();
            assertThat(cfg.modelName()).isEqualTo("gpt2");
            assertThat(cfg.hookName()).isEqualTo("blocks.0.hook_resid_post");
            assertThat(cfg.metadata()).containsEntry("context_size", 128).containsEntry("prepend_bos", true)
                    .containsEntry("sae_lens_version", "6.5.1").containsKey("custom_key")
                    .doesNotContainKey("hook_head_index");
            assertThat(cfg.metadata().get("custom_key")).isEqualTo(Map.of("a", List.of(1, 2), "b", "x"));
            assertComputesAsSaeLens(sae, cfg, p);
            for (String name : p.keySet()) {
                assertThat(sae.parameter(name)).as(name).containsExactly(p.get(name));
            }
        }
    }

    @Test
    void handBuiltJumpReluFolderWithBf16WeightsAndNoBDecSubtraction() throws IOException {
        Map<String, float[]> p = knownParameters(SaeArchitecture.JUMP_RELU);
        p.replaceAll((name, v) -> bf16(v));
        RawTensors raw = new RawTensors();
        p.forEach((name, v) -> raw.bf16(name, shapeOf(name), v));
        Path dir = folder("jumprelu", """
                {"architecture": "jumprelu", "d_in": 3, "d_sae": 4, "dtype": "bfloat16", "device": "cuda",
                 "apply_b_dec_to_input": false, "normalize_activations": "none", "reshape_activations": "none",
                 "metadata": {"model_name": "gemma-2-2b", "hook_name": "blocks.12.hook_resid_post",
                              "sae_lens_version": "6.0.0"}}
                """, raw);
        try (Sae sae = SaeLensFormat.read(dir)) {
            assertThat(sae).isInstanceOf(JumpReluSae.class);
            assertThat(sae.config().applyBDecToInput()).isFalse();
            assertThat(sae.config().k()).isZero();
            assertComputesAsSaeLens(sae, sae.config(), p);
        }
    }

    @Test
    void handBuiltPre6FlatStandardFolderLoads() throws IOException {
        Map<String, float[]> p = knownParameters(SaeArchitecture.STANDARD);
        Path dir = folder("standard", """
                {"model_name": "gpt2-small", "hook_point": "blocks.8.hook_resid_pre", "hook_point_layer": 8,
                 "hook_point_head_index": null, "dataset_path": "Skylion007/openwebtext", "is_dataset_tokenized": false,
                 "context_size": 128, "use_cached_activations": false, "d_in": 3, "d_sae": 4,
                 "b_dec_init_method": "geometric_median",
                 "expansion_factor": 32, "activation_fn_str": "relu", "apply_b_dec_to_input": true,
                 "finetuning_scaling_factor": false, "normalize_activations": false, "lr": 0.0004,
                 "l1_coefficient": 8e-05, "dtype": "torch.float32", "device": "cuda", "prepend_bos": true,
                 "sae_lens_training_version": "2.1.3"}
                """, rawTensors(p));
        try (Sae sae = Sae.load(dir)) {
            assertThat(sae).isInstanceOf(ReluSae.class);
            SaeConfig cfg = sae.config();
            assertThat(cfg.architecture()).isEqualTo(SaeArchitecture.STANDARD);
            assertThat(cfg.modelName()).isEqualTo("gpt2-small");
            assertThat(cfg.hookName()).isEqualTo("blocks.8.hook_resid_pre");
            assertThat(cfg.metadata()).containsEntry("hook_layer", 8).containsEntry("context_size", 128)
                    .containsEntry("sae_lens_training_version", "2.1.3")
                    .doesNotContainKeys("lr", "l1_coefficient", "normalize_activations", "hook_point");
            assertComputesAsSaeLens(sae, cfg, p);

            // written back in the current layout, with a 6.x version so SAELens does not re-read it as flat
            Path out = tmp.resolve("standard-out");
            sae.save(out);
            JsonNode written = json(out.resolve("cfg.json"));
            assertThat(written.get("architecture").asText()).isEqualTo("standard");
            assertThat(written.get("metadata").get("hook_name").asText()).isEqualTo("blocks.8.hook_resid_pre");
            assertThat(written.get("metadata").get("sae_lens_version").asText()).isEqualTo("6.0.0");
            assertThat(written.has("hook_point")).isFalse();
        }
    }

    @Test
    void pre6TopKAsStandardWithActivationFnKwargsLoadsAsTopK() throws IOException {
        Map<String, float[]> p = knownParameters(SaeArchitecture.TOPK);
        Path dir = folder("old-topk", """
                {"architecture": "standard", "model_name": "pythia-70m", "hook_name": "blocks.3.hook_resid_post",
                 "d_in": 3, "d_sae": 4, "activation_fn_str": "topk", "activation_fn_kwargs": {"k": 2},
                 "apply_b_dec_to_input": true, "dtype": "float32", "sae_lens_version": "3.20.0"}
                """, rawTensors(p));
        try (Sae sae = Sae.load(dir)) {
            assertThat(sae).isInstanceOf(TopKSae.class);
            assertThat(sae.config().k()).isEqualTo(2);
            assertComputesAsSaeLens(sae, sae.config(), p);
        }
        Path dir2 = folder("old-topk2", """
                {"architecture": "topk", "d_in": 3, "d_sae": 4, "activation_fn": "topk",
                 "activation_fn_kwargs": {"k": 1}}
                """, rawTensors(p));
        try (Sae sae = Sae.load(dir2)) {
            assertThat(sae.config().k()).isEqualTo(1);
        }
    }

    @Test
    void pre6FinetuningScalingFactorIsFoldedIntoTheDecoder() throws IOException {
        Map<String, float[]> p = knownParameters(SaeArchitecture.STANDARD);
        float[] s = {1.5f, 0.5f, 2f, 1f};
        Path dir = folder("finetuned", """
                {"d_in": 3, "d_sae": 4, "finetuning_scaling_factor": true, "activation_fn_str": "relu"}
                """, rawTensors(p).f32("scaling_factor", new long[] {4}, s));
        try (Sae sae = Sae.load(dir); NDManager m = NDManager.newBaseManager()) {
            SaeConfig cfg = sae.config();
            float[] codes = naive(cfg, p, X, D_IN, false, 1f);
            assertClose(sae.encode(m.create(X, new Shape(6, D_IN))).toFloatArray(), codes, 1e-5);
            float[] scaled = codes.clone();
            for (int i = 0; i < scaled.length; i++) {
                scaled[i] *= s[i % D_SAE];
            }
            assertClose(sae.forward(m.create(X, new Shape(6, D_IN))).toFloatArray(),
                    naive(cfg, p, scaled, D_SAE, true, 1f), 1e-5);
        }
        // all ones: simply ignored; not ones while the config says false: refused
        Path ones = folder("ones", "{\"d_in\": 3, \"d_sae\": 4}",
                rawTensors(p).f32("scaling_factor", new long[] {4}, new float[] {1, 1, 1, 1}));
        try (Sae sae = Sae.load(ones)) {
            assertComputesAsSaeLens(sae, sae.config(), p);
        }
        Path bad = folder("disagree", "{\"d_in\": 3, \"d_sae\": 4, \"finetuning_scaling_factor\": false}",
                rawTensors(p).f32("scaling_factor", new long[] {4}, s));
        assertThatThrownBy(() -> Sae.load(bad)).isInstanceOf(SaeException.class)
                .hasMessageContaining("scaling_factor").hasMessageContaining("finetuning_scaling_factor=false");
    }

    @Test
    void rescaleActsByDecoderNormIsFoldedExactly() throws IOException {
        Map<String, float[]> p = knownParameters(SaeArchitecture.TOPK);
        Path dir = folder("rescale", """
                {"architecture": "topk", "d_in": 3, "d_sae": 4, "k": 2, "rescale_acts_by_decoder_norm": true,
                 "metadata": {"sae_lens_version": "6.20.0"}}
                """, rawTensors(p));
        float[] norms = new float[D_SAE];
        for (int j = 0; j < D_SAE; j++) {
            double sum = 0;
            for (int i = 0; i < D_IN; i++) {
                sum += p.get("W_dec")[j * D_IN + i] * p.get("W_dec")[j * D_IN + i];
            }
            norms[j] = (float) Math.sqrt(sum);
        }
        // SAELens: hidden_pre * norm, TopK, then decode (acts / norm) @ W_dec + b_dec
        try (Sae sae = Sae.load(dir); NDManager m = NDManager.newBaseManager()) {
            float[] codes = sae.encode(m.create(X, new Shape(6, D_IN))).toFloatArray();
            float[] out = sae.forward(m.create(X, new Shape(6, D_IN))).toFloatArray();
            for (int r = 0; r < 6; r++) {
                float[] row = Arrays.copyOfRange(X, r * D_IN, (r + 1) * D_IN);
                double[] pre = new double[D_SAE];
                for (int j = 0; j < D_SAE; j++) {
                    double h = p.get("b_enc")[j];
                    for (int i = 0; i < D_IN; i++) {
                        h += (row[i] - p.get("b_dec")[i]) * p.get("W_enc")[i * D_SAE + j];
                    }
                    pre[j] = h * norms[j];
                }
                double[] sorted = pre.clone();
                Arrays.sort(sorted);
                double[] acts = new double[D_SAE];
                for (int j = 0; j < D_SAE; j++) {
                    acts[j] = pre[j] >= sorted[D_SAE - 2] ? Math.max(0, pre[j]) : 0;
                    assertThat((double) codes[r * D_SAE + j]).isCloseTo(acts[j], within(1e-5));
                }
                for (int i = 0; i < D_IN; i++) {
                    double y = p.get("b_dec")[i];
                    for (int j = 0; j < D_SAE; j++) {
                        y += acts[j] / norms[j] * p.get("W_dec")[j * D_IN + i];
                    }
                    assertThat((double) out[r * D_IN + i]).isCloseTo(y, within(1e-5));
                }
            }
        }
    }

    @Test
    void handBuiltGatedFolderLoadsAndComputesGateAndMagnitude() throws IOException {
        Map<String, float[]> p = knownParameters(SaeArchitecture.GATED);
        Path dir = folder("gated", """
                {"architecture": "gated", "d_in": 3, "d_sae": 4, "dtype": "float32", "device": "cpu",
                 "apply_b_dec_to_input": true, "normalize_activations": "none",
                 "metadata": {"model_name": "gelu-1l", "hook_name": "blocks.0.hook_mlp_out",
                              "sae_lens_version": "6.1.0"}}
                """, rawTensors(p));
        try (Sae sae = Sae.load(dir)) {
            assertThat(sae).isInstanceOf(GatedSae.class);
            assertThat(sae.parameterNames()).doesNotContain("b_enc");
            assertComputesAsSaeLens(sae, sae.config(), p);
        }
    }

    // ------------------------------------------------------------------------------------------------ round trips

    @ParameterizedTest
    @MethodSource("io.microw.sae.SaeArchitecturesTest#builtIns")
    void writeThenReadGivesTheSameSae(SaeArchitecture arch) throws IOException {
        SaeConfig cfg = SaeArchitecturesTest.config(arch, 5, 9).withSource("gpt2", "blocks.2.hook_resid_post")
                .withMetadata(Map.of("context_size", 256, "dataset_path", "brown", "history", List.of(1, 2, 3)));
        Map<String, float[]> p = randomParameters(arch, 5, 9, 11);
        Path dir = tmp.resolve("rt-" + arch.saeLensName()).resolve("nested");
        try (Sae sae = Sae.fromParameters(cfg, p); Sae back = Sae.load(saved(sae, dir));
             NDManager m = NDManager.newBaseManager()) {
            SaeArchitecture expectedArch = arch == SaeArchitecture.BATCH_TOPK ? SaeArchitecture.JUMP_RELU : arch;
            assertThat(back.architecture()).isEqualTo(expectedArch);
            SaeConfig c = back.config();
            assertThat(c.dIn()).isEqualTo(5);
            assertThat(c.dSae()).isEqualTo(9);
            assertThat(c.k()).isEqualTo(arch == SaeArchitecture.TOPK ? cfg.k() : 0);
            assertThat(c.applyBDecToInput()).isTrue();
            assertThat(c.modelName()).isEqualTo("gpt2");
            assertThat(c.hookName()).isEqualTo("blocks.2.hook_resid_post");
            assertThat(c.metadata()).containsAllEntriesOf(cfg.metadata())
                    .containsEntry("sae_lens_version", SaeLensFormat.WRITTEN_SAE_LENS_VERSION).hasSize(4);
            assertThat(back.parameterNames()).containsExactlyElementsOf(sae.parameterNames());
            for (String name : sae.parameterNames()) {
                assertThat(back.parameter(name)).as(name).containsExactly(sae.parameter(name));
                assertThat(back.parameterShape(name)).containsExactly(sae.parameterShape(name));
            }
            NDArray x = m.create(SaeArchitecturesTest.gaussian(new Random(3), 4 * 5, 1f), new Shape(4, 5));
            assertThat(back.forward(x).toFloatArray()).containsExactly(sae.forward(x).toFloatArray());

            // a second trip through the writer changes nothing, and overwriting an existing folder works
            byte[] cfgBytes = Files.readAllBytes(dir.resolve("cfg.json"));
            back.save(dir);
            assertThat(Files.readAllBytes(dir.resolve("cfg.json"))).isEqualTo(cfgBytes);
            try (Sae again = Sae.load(dir)) {
                assertThat(again.config()).isEqualTo(back.config());
            }
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(f -> f.getFileName().toString()))
                        .containsExactlyInAnyOrder("cfg.json", "sae_weights.safetensors");
            }
            try (Stream<Path> files = Files.list(dir.getParent())) {
                assertThat(files.map(f -> f.getFileName().toString())).containsExactly("nested");
            }
        }
    }

    static Path saved(Sae sae, Path dir) {
        SaeLensFormat.write(sae, dir);
        return dir;
    }

    @Test
    void writtenConfigHasSaeLens6Keys() throws IOException {
        SaeConfig cfg = SaeConfig.of(SaeArchitecture.TOPK, 4, 8, 3).withSource("m", "h");
        try (Sae sae = Sae.create(cfg, 1)) {
            Path dir = saved(sae, tmp.resolve("keys"));
            JsonNode j = json(dir.resolve("cfg.json"));
            assertThat(j.get("architecture").asText()).isEqualTo("topk");
            assertThat(j.get("d_in").asInt()).isEqualTo(4);
            assertThat(j.get("d_sae").asInt()).isEqualTo(8);
            assertThat(j.get("k").asInt()).isEqualTo(3);
            assertThat(j.get("dtype").asText()).isEqualTo("float32");
            assertThat(j.get("device").asText()).isEqualTo("cpu");
            assertThat(j.get("apply_b_dec_to_input").asBoolean()).isTrue();
            assertThat(j.get("normalize_activations").asText()).isEqualTo("none");
            assertThat(j.get("reshape_activations").asText()).isEqualTo("none");
            assertThat(j.get("metadata").get("model_name").asText()).isEqualTo("m");
            assertThat(j.get("metadata").get("hook_name").asText()).isEqualTo("h");
        }
        try (Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.STANDARD, 4, 8, 0), 1)) {
            JsonNode j = json(saved(sae, tmp.resolve("keys2")).resolve("cfg.json"));
            assertThat(j.has("k")).isFalse();
            assertThat(j.get("metadata").get("model_name").isNull()).isTrue();
        }
    }

    @Test
    void batchTopKIsSavedAsJumpReluWithItsThreshold() throws IOException {
        SaeConfig cfg = SaeConfig.of(SaeArchitecture.BATCH_TOPK, 5, 9, 2);
        Map<String, float[]> p = randomParameters(SaeArchitecture.BATCH_TOPK, 5, 9, 4);
        try (Sae sae = Sae.fromParameters(cfg, p); NDManager m = NDManager.newBaseManager()) {
            Path dir = saved(sae, tmp.resolve("btk"));
            JsonNode j = json(dir.resolve("cfg.json"));
            assertThat(j.get("architecture").asText()).isEqualTo("jumprelu");
            assertThat(j.has("k")).isFalse();
            try (Sae back = Sae.load(dir)) {
                assertThat(back).isInstanceOf(JumpReluSae.class);
                assertThat(back.parameter("threshold")).containsExactly(p.get("threshold"));
                NDArray x = m.create(SaeArchitecturesTest.gaussian(new Random(6), 7 * 5, 1f), new Shape(7, 5));
                assertThat(back.encode(x).toFloatArray()).containsExactly(sae.encode(x).toFloatArray());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("io.microw.sae.SaeArchitecturesTest#builtIns")
    void anInputScaleIsFoldedIntoTheWrittenWeightsWithoutChangingTheSae(SaeArchitecture arch) throws IOException {
        SaeConfig cfg = SaeArchitecturesTest.config(arch, 5, 9);
        Map<String, float[]> p = randomParameters(arch, 5, 9, 21);
        try (Sae sae = Sae.fromParameters(cfg, p); NDManager m = NDManager.newBaseManager()) {
            sae.setInputScale(3.5f);
            NDArray x = m.create(SaeArchitecturesTest.gaussian(new Random(9), 6 * 5, 0.3f), new Shape(6, 5));
            float[] out = sae.forward(x).toFloatArray();
            float[] codes = sae.encode(x).toFloatArray();
            Path dir = saved(sae, tmp.resolve("scaled-" + arch.saeLensName()));
            assertThat(sae.inputScale()).isEqualTo(3.5f);
            assertThat(sae.parameter("W_enc")).containsExactly(p.get("W_enc"));
            assertThat(sae.parameter("b_dec")).containsExactly(p.get("b_dec"));
            assertThat(json(dir.resolve("cfg.json")).get("normalize_activations").asText()).isEqualTo("none");
            try (Sae back = Sae.load(dir)) {
                assertThat(back.inputScale()).isEqualTo(1f);
                assertClose(back.forward(x).toFloatArray(), out, 1e-4);
                assertClose(back.encode(x).toFloatArray(), codes, 1e-4);
            }
        }
    }

    @Test
    void unusualNormalizeAndReshapeValuesRoundTrip() throws IOException {
        Map<String, float[]> p = knownParameters(SaeArchitecture.STANDARD);
        Path dir = folder("hookz", """
                {"architecture": "standard", "d_in": 3, "d_sae": 4, "normalize_activations": "expected_average_only_in",
                 "reshape_activations": "hook_z", "metadata": {"hook_name": "blocks.1.attn.hook_z",
                 "sae_lens_version": "6.2.0", "hook_head_index": 3}}
                """, rawTensors(p));
        try (Sae sae = Sae.load(dir)) {
            assertThat(sae.config().metadata()).containsEntry("normalize_activations", "expected_average_only_in")
                    .containsEntry("reshape_activations", "hook_z").containsEntry("hook_head_index", 3);
            assertComputesAsSaeLens(sae, sae.config(), p);
            JsonNode j = json(saved(sae, tmp.resolve("hookz-out")).resolve("cfg.json"));
            assertThat(j.get("normalize_activations").asText()).isEqualTo("expected_average_only_in");
            assertThat(j.get("reshape_activations").asText()).isEqualTo("hook_z");
            assertThat(j.get("metadata").has("reshape_activations")).isFalse();
            assertThat(j.get("metadata").get("sae_lens_version").asText()).isEqualTo("6.2.0");
            assertThat(j.get("metadata").get("hook_head_index").asInt()).isEqualTo(3);
        }
    }

    // ------------------------------------------------------------------------------------------------ extras

    @Test
    void sparsityIsReadWhenPresent() throws IOException {
        Path dir = folder("sparse", TOPK_CFG, rawTensors(knownParameters(SaeArchitecture.TOPK)));
        assertThat(SaeLensFormat.readSparsity(dir)).isEmpty();
        float[] log10 = {-1.5f, -3f, -7.25f, -0.5f};
        new RawTensors().f32("sparsity", new long[] {4}, log10).write(dir.resolve("sparsity.safetensors"));
        Optional<float[]> read = SaeLensFormat.readSparsity(dir);
        assertThat(read).isPresent();
        assertThat(read.get()).containsExactly(log10);
        try (Sae sae = Sae.load(dir)) {
            assertThat(sae.dSae()).isEqualTo(4);
        }
        float[] other = {-2f, -2f, -2f, -2f};
        SaeLensFormat.writeSparsity(dir, other);
        assertThat(SaeLensFormat.readSparsity(dir).orElseThrow()).containsExactly(other);

        new RawTensors().f32("log_feature_sparsity", new long[] {4}, log10).write(dir.resolve("sparsity.safetensors"));
        assertThatThrownBy(() -> SaeLensFormat.readSparsity(dir)).isInstanceOf(SaeException.class)
                .hasMessageContaining("sparsity.safetensors").hasMessageContaining("no tensor 'sparsity'");
    }

    @Test
    void extraFilesAreIgnoredOnReadAndKeptOnWrite() throws IOException {
        Map<String, float[]> p = knownParameters(SaeArchitecture.TOPK);
        Path dir = folder("extras", TOPK_CFG, rawTensors(p));
        Files.writeString(dir.resolve("history.json"), "{\"loss\": [1, 0.5]}");
        Files.writeString(dir.resolve("README.md"), "not json {");
        Files.createDirectories(dir.resolve("checkpoints/1000"));
        Files.write(dir.resolve("checkpoints/1000/sae_weights.safetensors"), new byte[] {1, 2, 3});
        try (Sae sae = Sae.load(dir)) {
            assertComputesAsSaeLens(sae, sae.config(), p);
            sae.save(dir);
        }
        assertThat(Files.readString(dir.resolve("history.json"))).isEqualTo("{\"loss\": [1, 0.5]}");
        assertThat(dir.resolve("checkpoints/1000/sae_weights.safetensors")).exists();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("cfg.json",
                    "sae_weights.safetensors", "history.json", "README.md", "checkpoints");
        }
        try (Sae sae = Sae.load(dir)) {
            assertComputesAsSaeLens(sae, sae.config(), p);
        }
    }

    // ------------------------------------------------------------------------------------------------ bad input

    Path topkWith(String name, String cfg) throws IOException {
        return folder(name, cfg, rawTensors(knownParameters(SaeArchitecture.TOPK)));
    }

    @Test
    void missingFolderOrFilesAreNamed() throws IOException {
        Path none = tmp.resolve("absent");
        assertThatThrownBy(() -> Sae.load(none)).isInstanceOf(SaeException.class)
                .hasMessageContaining(none.toString()).hasMessageContaining("does not exist");
        Path file = Files.writeString(tmp.resolve("plain.txt"), "x");
        assertThatThrownBy(() -> Sae.load(file)).isInstanceOf(SaeException.class)
                .hasMessageContaining("no known SAE format at " + file + " (a file)");
        assertThatThrownBy(() -> SaeLensFormat.read(file)).isInstanceOf(SaeException.class)
                .hasMessageContaining("is not a directory");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> Sae.load(empty)).isInstanceOf(SaeException.class)
                .hasMessageContaining("no known SAE format at " + empty + " (an empty folder)")
                .hasMessageContaining("SAELens (a folder with cfg.json and sae_weights.safetensors)");
        assertThatThrownBy(() -> SaeLensFormat.read(empty)).isInstanceOf(SaeException.class)
                .hasMessageContaining("no cfg.json in " + empty).hasMessageContaining("found nothing");
        Path noWeights = folder("noweights", TOPK_CFG, null);
        assertThatThrownBy(() -> Sae.load(noWeights)).isInstanceOf(SaeException.class)
                .hasMessageContaining("no sae_weights.safetensors in").hasMessageContaining("found cfg.json");
        try (Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.STANDARD, 2, 3, 0), 1)) {
            assertThatThrownBy(() -> sae.save(file)).isInstanceOf(SaeException.class)
                    .hasMessageContaining("not a directory");
        }
    }

    @Test
    void malformedJsonAndWrongKeysAreNamed() throws IOException {
        Path broken = topkWith("broken", "{\"architecture\": \"topk\", \"d_in\": 3,");
        assertThatThrownBy(() -> Sae.load(broken)).isInstanceOf(SaeException.class)
                .hasMessageContaining("cfg.json is not valid JSON").hasMessageContaining("line");
        Path array = topkWith("array", "[1, 2]");
        assertThatThrownBy(() -> Sae.load(array)).isInstanceOf(SaeException.class)
                .hasMessageContaining("must hold a JSON object, got array");
        Path unknown = topkWith("unknown", "{\"architecture\": \"transcoder\", \"d_in\": 3, \"d_sae\": 4}");
        assertThatThrownBy(() -> Sae.load(unknown)).isInstanceOf(SaeException.class)
                .hasMessageContaining("cfg.json").hasMessageContaining("'transcoder'")
                .hasMessageContaining("standard, topk, batchtopk, jumprelu, gated");
        Path noDIn = topkWith("nodin", "{\"architecture\": \"topk\", \"d_sae\": 4, \"k\": 2}");
        assertThatThrownBy(() -> Sae.load(noDIn)).isInstanceOf(SaeException.class)
                .hasMessageContaining("required key 'd_in' is missing");
        Path noDSae = topkWith("nodsae", "{\"architecture\": \"topk\", \"d_in\": 3, \"k\": 2}");
        assertThatThrownBy(() -> Sae.load(noDSae)).isInstanceOf(SaeException.class)
                .hasMessageContaining("required key 'd_sae' is missing");
        Path textDSae = topkWith("textdsae", "{\"d_in\": 3, \"d_sae\": \"four\"}");
        assertThatThrownBy(() -> Sae.load(textDSae)).isInstanceOf(SaeException.class)
                .hasMessageContaining("key 'd_sae' is \"four\"").hasMessageContaining("positive integer");
        Path negative = topkWith("negative", "{\"d_in\": -3, \"d_sae\": 4}");
        assertThatThrownBy(() -> Sae.load(negative)).isInstanceOf(SaeException.class)
                .hasMessageContaining("key 'd_in' is -3");
        Path noK = topkWith("nok", "{\"architecture\": \"topk\", \"d_in\": 3, \"d_sae\": 4}");
        assertThatThrownBy(() -> Sae.load(noK)).isInstanceOf(SaeException.class)
                .hasMessageContaining("needs key 'k'").hasMessageContaining("missing");
        for (String k : List.of("0", "-1", "4", "9", "2.5", "\"2\"")) {
            Path badK = topkWith("k" + k.replaceAll("\\W", "_"),
                    "{\"architecture\": \"topk\", \"d_in\": 3, \"d_sae\": 4, \"k\": " + k + "}");
            assertThatThrownBy(() -> Sae.load(badK)).as("k=" + k).isInstanceOf(SaeException.class)
                    .hasMessageContaining("key 'k' is " + k).hasMessageContaining("1..3");
        }
        Path oldK = topkWith("oldk", "{\"d_in\": 3, \"d_sae\": 4, \"activation_fn_str\": \"topk\","
                + " \"activation_fn_kwargs\": {\"k\": 7}}");
        assertThatThrownBy(() -> Sae.load(oldK)).isInstanceOf(SaeException.class)
                .hasMessageContaining("'activation_fn_kwargs.k' is 7");
        Path activation = topkWith("tanh", "{\"d_in\": 3, \"d_sae\": 4, \"activation_fn_str\": \"tanh-relu\"}");
        assertThatThrownBy(() -> Sae.load(activation)).isInstanceOf(SaeException.class)
                .hasMessageContaining("'tanh-relu'");
        Path layerNorm = topkWith("ln", "{\"d_in\": 3, \"d_sae\": 4, \"normalize_activations\": \"layer_norm\"}");
        assertThatThrownBy(() -> Sae.load(layerNorm)).isInstanceOf(SaeException.class)
                .hasMessageContaining("\"layer_norm\"");
        Path flag = topkWith("flag", "{\"d_in\": 3, \"d_sae\": 4, \"apply_b_dec_to_input\": \"yes\"}");
        assertThatThrownBy(() -> Sae.load(flag)).isInstanceOf(SaeException.class)
                .hasMessageContaining("'apply_b_dec_to_input' is \"yes\"").hasMessageContaining("true or false");
        Path meta = topkWith("meta", "{\"d_in\": 3, \"d_sae\": 4, \"metadata\": [1]}");
        assertThatThrownBy(() -> Sae.load(meta)).isInstanceOf(SaeException.class)
                .hasMessageContaining("'metadata' must be a JSON object");
    }

    @Test
    void missingOrMisshapenOrNonFiniteTensorsAreNamed() throws IOException {
        Map<String, float[]> p = knownParameters(SaeArchitecture.TOPK);
        Path noDec = folder("nodec", TOPK_CFG, rawTensors(p).remove("W_dec"));
        assertThatThrownBy(() -> Sae.load(noDec)).isInstanceOf(SaeException.class)
                .hasMessageContaining("sae_weights.safetensors")
                .hasMessageContaining("tensor 'W_dec' [4, 3] is missing")
                .hasMessageContaining("W_enc");
        Path noThreshold = folder("nothreshold", "{\"architecture\": \"jumprelu\", \"d_in\": 3, \"d_sae\": 4}",
                rawTensors(p));
        assertThatThrownBy(() -> Sae.load(noThreshold)).isInstanceOf(SaeException.class)
                .hasMessageContaining("tensor 'threshold' [4] is missing");
        Path wrongShape = folder("wrongshape", TOPK_CFG,
                rawTensors(p).f32("W_enc", new long[] {4, 3}, p.get("W_enc")));
        assertThatThrownBy(() -> Sae.load(wrongShape)).isInstanceOf(SaeException.class)
                .hasMessageContaining("tensor 'W_enc' has shape [4, 3]").hasMessageContaining("implies [3, 4]");
        Path dInMismatch = folder("dinmismatch", TOPK_CFG.replace("\"d_in\": 3", "\"d_in\": 5"), rawTensors(p));
        assertThatThrownBy(() -> Sae.load(dInMismatch)).isInstanceOf(SaeException.class)
                .hasMessageContaining("d_in=5").hasMessageContaining("has shape [3, 4]")
                .hasMessageContaining("implies [5, 4]");
        float[] nanBias = p.get("b_enc").clone();
        nanBias[1] = Float.NaN;
        Path nan = folder("nan", TOPK_CFG, rawTensors(p).f32("b_enc", new long[] {4}, nanBias));
        assertThatThrownBy(() -> Sae.load(nan)).isInstanceOf(SaeException.class)
                .hasMessageContaining("tensor 'b_enc' has a non-finite value NaN at flat index 1");
        float[] infDec = p.get("W_dec").clone();
        infDec[5] = Float.NEGATIVE_INFINITY;
        Path inf = folder("inf", TOPK_CFG, rawTensors(p).f32("W_dec", new long[] {4, 3}, infDec));
        assertThatThrownBy(() -> Sae.load(inf)).isInstanceOf(SaeException.class)
                .hasMessageContaining("'W_dec' has a non-finite value -Infinity at flat index 5");
        Path ints = folder("ints", TOPK_CFG, rawTensors(p).i64("b_dec", new long[] {3}, new long[] {1, 2, 3}));
        assertThatThrownBy(() -> Sae.load(ints)).isInstanceOf(SaeException.class)
                .hasMessageContaining("'b_dec' has dtype I64");
        Path garbage = folder("garbage", TOPK_CFG, null);
        Files.write(garbage.resolve("sae_weights.safetensors"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> Sae.load(garbage)).isInstanceOf(SaeException.class)
                .hasMessageContaining("cannot read SAE weights").hasMessageContaining("sae_weights.safetensors");
    }
}
