package io.microw.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.io.SafetensorsFile;
import io.microw.io.SafetensorsWriter;
import io.microw.io.TensorFileBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static io.microw.sae.SaeArchitecturesTest.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Published SAE layouts: the Gemma Scope and dictionary_learning fixtures written by numpy and PyTorch match their
 * expected codes and reconstructions; Llama Scope, sparsify and the other dictionary_learning classes, built here
 * per their published layouts, match values computed below from each project's own definitions; bad files fail
 * with the file, key and expectation named.
 */
class PublishedSaeFormatsTest {

    private static final int D = 4;
    private static final int F = 6;
    private static final int ROWS = 3;

    @TempDir
    Path tmp;

    // ------------------------------------------------------------------------------------------------ helpers

    static Path resource(String path) throws URISyntaxException {
        return Path.of(PublishedSaeFormatsTest.class.getResource("/sae-formats/" + path).toURI());
    }

    /** Copies a fixture folder into the temp dir, so tests may edit it. */
    private Path copy(Path from, String name) throws IOException {
        Path to = Files.createDirectories(tmp.resolve(name));
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    /** codes and reconstruction of {@code x} [rows, d_in] by {@code sae}. */
    private static float[][] run(Sae sae, float[] x, int rows) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray in = m.create(x, new Shape(rows, sae.dIn()));
            NDArray codes = sae.encode(in);
            return new float[][] {codes.toFloatArray(), sae.decode(codes).toFloatArray()};
        }
    }

    static void assertMatchesExpected(Sae sae, Path expectedFile) {
        try (SafetensorsFile expected = SafetensorsFile.open(expectedFile)) {
            float[][] out = run(sae, expected.readFloats("x"), 5);
            assertClose(out[0], expected.readFloats("codes"), 1e-5);
            assertClose(out[1], expected.readFloats("reconstruction"), 1e-5);
        }
    }

    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    /** {@code y = W v + b} for an nn.Linear weight W [out, in] (row-major), in doubles; b may be null. */
    private static double[] linear(double[] v, float[] w, float[] b, int out) {
        int in = v.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = b == null ? 0 : b[o];
            for (int i = 0; i < in; i++) {
                s += (double) w[o * in + i] * v[i];
            }
            y[o] = s;
        }
        return y;
    }

    private static double[] row(float[] x, int r, int d) {
        double[] v = new double[d];
        for (int i = 0; i < d; i++) {
            v[i] = x[r * d + i];
        }
        return v;
    }

    private static double[] minus(double[] v, float[] b) {
        double[] out = v.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] -= b[i];
        }
        return out;
    }

    private static double[] relu(double[] v) {
        return Arrays.stream(v).map(a -> Math.max(a, 0)).toArray();
    }

    /** Keeps the k largest entries, zeroes the rest. */
    private static double[] topK(double[] v, int k) {
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        double cut = sorted[v.length - k];
        return Arrays.stream(v).map(a -> a >= cut ? a : 0).toArray();
    }

    private static void put(float[] dst, int r, double[] v) {
        for (int i = 0; i < v.length; i++) {
            dst[r * v.length + i] = (float) v[i];
        }
    }

    private static int nonZero(float[] a) {
        int n = 0;
        for (float v : a) {
            n += v != 0 ? 1 : 0;
        }
        return n;
    }

    // ------------------------------------------------------------------------------------------------ fixtures

    @Test
    void gemmaScopeParamsNpzMatchesItsExpectedCodesAndReconstruction() throws Exception {
        Path folder = resource("gemma-scope/layer_3/width_64/average_l0_7");
        assertThat(SaeFormats.detect(folder)).isInstanceOf(GemmaScopeFormat.class);
        for (Path p : new Path[] {folder, folder.resolve("params.npz")}) {
            try (Sae sae = Sae.load(p)) {
                assertThat(sae).isInstanceOf(JumpReluSae.class);
                assertThat(sae.config().applyBDecToInput()).isFalse();
                assertThat(sae.dIn()).isEqualTo(16);
                assertThat(sae.dSae()).isEqualTo(64);
                assertMatchesExpected(sae, resource("gemma-scope/expected.safetensors"));
            }
        }
    }

    @Test
    void dictionaryLearningAePtMatchesItsExpectedCodesAndReconstruction() throws Exception {
        Path folder = resource("dictionary-learning/resid_post_layer_2/trainer_0");
        assertThat(SaeFormats.detect(folder)).isInstanceOf(DictionaryLearningFormat.class);
        try (Sae sae = Sae.load(folder)) {
            assertThat(sae).isInstanceOf(ReluSae.class);
            assertThat(sae.config().applyBDecToInput()).isTrue();
            assertThat(sae.config().hookName()).isEqualTo("blocks.2.hook_resid_post");
            assertThat(sae.config().modelName()).isEqualTo("brown-gpt2");
            assertMatchesExpected(sae, resource("dictionary-learning/expected.safetensors"));
        }
    }

    // ------------------------------------------------------------------------------------------------ built here

    /** Writes a dictionary_learning trainer folder: ae.pt from the pickle, config.json naming the class. */
    private Path dictionaryLearning(String name, String dictClass, TensorFileBytes.StateDictPickle p)
            throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        p.write(dir.resolve("ae.pt"));
        Files.writeString(dir.resolve("config.json"), "{\"trainer\": {\"dict_class\": \"" + dictClass
                + "\", \"activation_dim\": " + D + ", \"dict_size\": " + F + ", \"layer\": 1, \"lm_name\": \"org/m\"}}");
        return dir;
    }

    @Test
    void dictionaryLearningTopKAndBatchTopKFollowTheirEncode() throws IOException {
        Random r = new Random(1);
        float[] encW = gaussian(r, F * D);
        float[] encB = gaussian(r, F);
        float[] decW = gaussian(r, D * F);
        float[] bDec = gaussian(r, D);
        float[] x = gaussian(r, ROWS * D);
        float threshold = 0.4f;
        for (String cls : new String[] {"AutoEncoderTopK", "BatchTopKSAE"}) {
            Path dir = dictionaryLearning(cls, cls, new TensorFileBytes.StateDictPickle()
                    .tensor("encoder.weight", new long[] {F, D}, encW).tensor("encoder.bias", new long[] {F}, encB)
                    .tensor("decoder.weight", new long[] {D, F}, decW).tensor("b_dec", new long[] {D}, bDec)
                    .longScalar("k", 2).tensor("threshold", new long[0], threshold));
            float[] codes = new float[ROWS * F];
            float[] recon = new float[ROWS * D];
            for (int i = 0; i < ROWS; i++) {
                double[] post = relu(linear(minus(row(x, i, D), bDec), encW, encB, F));
                double[] f = cls.equals("AutoEncoderTopK") ? topK(post, 2)
                        : Arrays.stream(post).map(a -> a > threshold ? a : 0).toArray();
                put(codes, i, f);
                double[] y = linear(f, decW, bDec, D);
                put(recon, i, y);
            }
            try (Sae sae = Sae.load(dir)) {
                assertThat(sae.architecture()).isEqualTo(cls.equals("AutoEncoderTopK") ? SaeArchitecture.TOPK
                        : SaeArchitecture.BATCH_TOPK);
                assertThat(sae.config().k()).isEqualTo(2);
                assertThat(sae.config().modelName()).isEqualTo("m");
                float[][] out = run(sae, x, ROWS);
                assertClose(out[0], codes, 1e-5);
                assertClose(out[1], recon, 1e-5);
            }
            assertThat(nonZero(codes)).isBetween(1, ROWS * F - 1);
        }
    }

    @Test
    void dictionaryLearningJumpReluAndGatedFollowTheirEncode() throws IOException {
        Random r = new Random(2);
        float[] wEnc = gaussian(r, D * F); // JumpReluAutoEncoder: W_enc [D, F]
        float[] bEnc = gaussian(r, F);
        float[] wDec = gaussian(r, F * D);
        float[] bDec = gaussian(r, D);
        float[] thr = new float[F];
        Arrays.fill(thr, 0.5f);
        float[] x = gaussian(r, ROWS * D);
        Path jump = dictionaryLearning("jump", "JumpReluAutoEncoder", new TensorFileBytes.StateDictPickle()
                .tensor("W_enc", new long[] {D, F}, wEnc).tensor("b_enc", new long[] {F}, bEnc)
                .tensor("W_dec", new long[] {F, D}, wDec).tensor("b_dec", new long[] {D}, bDec)
                .tensor("threshold", new long[] {F}, thr));
        float[] wEncT = new float[F * D]; // as nn.Linear [F, D], for linear()
        float[] wDecT = new float[D * F];
        for (int i = 0; i < D; i++) {
            for (int j = 0; j < F; j++) {
                wEncT[j * D + i] = wEnc[i * F + j];
                wDecT[i * F + j] = wDec[j * D + i];
            }
        }
        float[] codes = new float[ROWS * F];
        float[] recon = new float[ROWS * D];
        for (int i = 0; i < ROWS; i++) {
            double[] pre = linear(row(x, i, D), wEncT, bEnc, F); // no b_dec subtracted (apply_b_dec_to_input False)
            double[] f = relu(Arrays.stream(pre).map(a -> a > 0.5 ? a : 0).toArray());
            put(codes, i, f);
            put(recon, i, linear(f, wDecT, bDec, D));
        }
        try (Sae sae = Sae.load(jump)) {
            assertThat(sae).isInstanceOf(JumpReluSae.class);
            float[][] out = run(sae, x, ROWS);
            assertClose(out[0], codes, 1e-5);
            assertClose(out[1], recon, 1e-5);
        }
        assertThat(nonZero(codes)).isBetween(1, ROWS * F - 1);

        float[] encW = gaussian(r, F * D);
        float[] decW = gaussian(r, D * F);
        float[] gateB = gaussian(r, F);
        float[] magB = gaussian(r, F);
        float[] rMag = gaussian(r, F);
        Path gated = dictionaryLearning("gated", "GatedAutoEncoder", new TensorFileBytes.StateDictPickle()
                .tensor("decoder_bias", new long[] {D}, bDec).tensor("encoder.weight", new long[] {F, D}, encW)
                .tensor("r_mag", new long[] {F}, rMag).tensor("gate_bias", new long[] {F}, gateB)
                .tensor("mag_bias", new long[] {F}, magB).tensor("decoder.weight", new long[] {D, F}, decW));
        for (int i = 0; i < ROWS; i++) {
            double[] xEnc = linear(minus(row(x, i, D), bDec), encW, null, F);
            double[] f = new double[F];
            for (int j = 0; j < F; j++) {
                double gate = xEnc[j] + gateB[j] > 0 ? 1 : 0;
                f[j] = gate * Math.max(Math.exp(rMag[j]) * xEnc[j] + magB[j], 0);
            }
            put(codes, i, f);
            put(recon, i, linear(f, decW, bDec, D));
        }
        try (Sae sae = Sae.load(gated)) {
            assertThat(sae).isInstanceOf(GatedSae.class);
            float[][] out = run(sae, x, ROWS);
            assertClose(out[0], codes, 1e-5);
            assertClose(out[1], recon, 1e-5);
        }
    }

    /** A sparsify layer folder as {@code SparseCoder.save_to_disk} writes it, with k 2 and d_in {@code dIn}. */
    private static void sparsifyLayer(Path dir, int dIn, float[] encW, float[] encB, float[] wDec, float[] bDec)
            throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cfg.json"), "{\"activation\": \"topk\", \"expansion_factor\": 32,"
                + " \"normalize_decoder\": true, \"num_latents\": " + F + ", \"k\": 2, \"multi_topk\": false,"
                + " \"skip_connection\": false, \"transcode\": false, \"d_in\": " + dIn + "}");
        new SafetensorsWriter().putFloats("encoder.weight", new long[] {F, D}, encW)
                .putFloats("encoder.bias", new long[] {F}, encB).putFloats("W_dec", new long[] {F, D}, wDec)
                .putFloats("b_dec", new long[] {D}, bDec).write(dir.resolve("sae.safetensors"));
    }

    @Test
    void sparsifyLayerFoldersAreTopKWithTheirOwnEncode() throws IOException {
        Random r = new Random(3);
        float[] encW = gaussian(r, F * D);
        float[] encB = gaussian(r, F);
        float[] wDec = gaussian(r, F * D);
        float[] bDec = gaussian(r, D);
        float[] x = gaussian(r, ROWS * D);
        Path run = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(run.resolve("config.json"), "{\"model\": \"EleutherAI/pythia-70m\"}");
        for (String layer : new String[] {"layers.1", "layers.2"}) {
            sparsifyLayer(run.resolve(layer), D, encW, encB, wDec, bDec);
        }
        float[] codes = new float[ROWS * F];
        float[] recon = new float[ROWS * D];
        for (int i = 0; i < ROWS; i++) {
            double[] f = topK(relu(linear(minus(row(x, i, D), bDec), encW, encB, F)), 2);
            put(codes, i, f);
            double[] y = row(bDec, 0, D);
            for (int j = 0; j < F; j++) {
                for (int c = 0; c < D; c++) {
                    y[c] += f[j] * wDec[j * D + c]; // b_dec plus the chosen W_dec rows
                }
            }
            put(recon, i, y);
        }
        try (Sae sae = Sae.load(run.resolve("layers.1"))) {
            assertThat(sae).isInstanceOf(TopKSae.class);
            assertThat(sae.config().hookName()).isEqualTo("blocks.1.hook_resid_post");
            assertThat(sae.config().modelName()).isEqualTo("EleutherAI/pythia-70m");
            float[][] out = run(sae, x, ROWS);
            assertClose(out[0], codes, 1e-5);
            assertClose(out[1], recon, 1e-5);
        }
        assertThat(SparsifyFormat.layers(run)).extracting(p -> p.getFileName().toString())
                .containsExactly("layers.1", "layers.2");
        assertThatThrownBy(() -> Sae.load(run)).isInstanceOf(SaeException.class)
                .hasMessageContaining("sparsify run").hasMessageContaining("[layers.1, layers.2]");
    }

    /** A Llama Scope folder with threshold 0.6, input norm 0.8 and the given d_model and norm_activation. */
    private Path llamaScope(String name, int dModel, String normActivation, float[] encW, float[] encB, float[] decW,
                            float[] decB) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name).resolve("checkpoints")).getParent();
        Files.writeString(dir.resolve("hyperparams.json"), "{\"d_model\": " + dModel + ", \"d_sae\": " + F
                + ", \"hook_point_in\": \"blocks.1.hook_resid_post\", \"hook_point_out\": \"blocks.1.hook_resid_post\","
                + " \"act_fn\": \"jumprelu\", \"jump_relu_threshold\": 0.6, \"norm_activation\": \"" + normActivation
                + "\", \"dataset_average_activation_norm\": {\"in\": 0.8, \"out\": 0.8},"
                + " \"apply_decoder_bias_to_pre_encoder\": false}");
        new SafetensorsWriter().putFloats("encoder.weight", new long[] {F, D}, encW)
                .putFloats("encoder.bias", new long[] {F}, encB).putFloats("decoder.weight", new long[] {D, F}, decW)
                .putFloats("decoder.bias", new long[] {D}, decB).write(dir.resolve("checkpoints/final.safetensors"));
        return dir;
    }

    @Test
    void llamaScopeScalesInputsByTheDatasetNormAndTheThresholdWithThem() throws IOException {
        Random r = new Random(4);
        float[] encW = gaussian(r, F * D);
        float[] encB = gaussian(r, F);
        float[] decW = gaussian(r, D * F);
        float[] decB = gaussian(r, D);
        float[] x = gaussian(r, ROWS * D);
        double normIn = 0.8; // as llamaScope() writes them
        double jumpThreshold = 0.6;
        Path dir = llamaScope("Llama3_1-8B-Base-L1R-8x", D, "dataset-wise", encW, encB, decW, decB);
        double s = Math.sqrt(D) / normIn;
        float[] codes = new float[ROWS * F];
        float[] recon = new float[ROWS * D];
        for (int i = 0; i < ROWS; i++) {
            double[] xs = Arrays.stream(row(x, i, D)).map(a -> a * s).toArray();
            double[] pre = linear(xs, encW, encB, F);
            double[] f = Arrays.stream(pre).map(a -> a > jumpThreshold * s && a > 0 ? a : 0).toArray();
            put(codes, i, f);
            put(recon, i, Arrays.stream(linear(f, decW, decB, D)).map(a -> a / s).toArray());
        }
        try (Sae sae = Sae.load(dir)) {
            assertThat(sae).isInstanceOf(JumpReluSae.class);
            assertThat(sae.inputScale()).isCloseTo((float) s, within(1e-6f));
            assertThat(sae.config().hookName()).isEqualTo("blocks.1.hook_resid_post");
            assertThat(sae.config().applyBDecToInput()).isFalse();
            float[][] out = run(sae, x, ROWS);
            assertClose(out[0], codes, 1e-5);
            assertClose(out[1], recon, 1e-5);
        }
        assertThat(nonZero(codes)).isBetween(1, ROWS * F - 1);
    }

    // ------------------------------------------------------------------------------------------------ bad input

    private Path npz(String name, Map<String, byte[]> arrays) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        TensorFileBytes.zip(dir.resolve("params.npz"), arrays);
        return dir;
    }

    private static Map<String, byte[]> gemmaArrays() {
        Map<String, byte[]> a = new LinkedHashMap<>();
        a.put("W_enc.npy", TensorFileBytes.npyF32(new long[] {D, F}, new float[D * F]));
        a.put("W_dec.npy", TensorFileBytes.npyF32(new long[] {F, D}, new float[D * F]));
        a.put("b_enc.npy", TensorFileBytes.npyF32(new long[] {F}, new float[F]));
        a.put("b_dec.npy", TensorFileBytes.npyF32(new long[] {D}, new float[D]));
        a.put("threshold.npy", TensorFileBytes.npyF32(new long[] {F}, new float[F]));
        return a;
    }

    @Test
    void npzWithAMissingKeyAWrongShapeOrTruncatedIsNamed() throws Exception {
        Map<String, byte[]> noThreshold = gemmaArrays();
        noThreshold.remove("threshold.npy");
        Path missing = npz("missing", noThreshold);
        assertThatThrownBy(() -> Sae.load(missing)).isInstanceOf(SaeException.class)
                .hasMessageContaining(missing.resolve("params.npz").toString())
                .hasMessageContaining("array 'threshold' [6] is missing")
                .hasMessageContaining("[W_enc, W_dec, b_enc, b_dec]");
        Map<String, byte[]> wrong = gemmaArrays();
        wrong.put("b_enc.npy", TensorFileBytes.npyF32(new long[] {F - 1}, new float[F - 1]));
        Path shape = npz("shape", wrong);
        assertThatThrownBy(() -> Sae.load(shape)).isInstanceOf(SaeException.class)
                .hasMessageContaining("params.npz").hasMessageContaining("array 'b_enc' has shape [5], expected [6]");
        byte[] all = Files.readAllBytes(resource("gemma-scope/layer_3/width_64/average_l0_7/params.npz"));
        Path cut = Files.createDirectories(tmp.resolve("cut"));
        Files.write(cut.resolve("params.npz"), Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> Sae.load(cut)).isInstanceOf(SaeException.class)
                .hasMessageContaining(cut.resolve("params.npz").toString())
                .hasMessageContaining("not a readable zip archive");
    }

    @Test
    void aePtHoldingAClassOrAReduceToAnUnknownGlobalIsRefused() throws IOException {
        Path cls = Files.createDirectories(tmp.resolve("class"));
        // a pickled nn.Module subclass instance: GLOBAL, EMPTY_TUPLE, NEWOBJ... the GLOBAL alone is refused
        TensorFileBytes.torchZip(cls.resolve("ae.pt"),
                "\u0080\u0002cdictionary_learning.dictionary\nAutoEncoder\n)\u0081}b.".getBytes(
                        StandardCharsets.ISO_8859_1), Map.of());
        assertThatThrownBy(() -> Sae.load(cls)).isInstanceOf(SaeException.class)
                .hasMessageContaining(cls.resolve("ae.pt").toString())
                .hasMessageContaining("global 'dictionary_learning.dictionary.AutoEncoder' is not allowed");
        Path reduce = Files.createDirectories(tmp.resolve("reduce"));
        // a state dict whose value is built by REDUCE of builtins.eval
        new TensorFileBytes.StateDictPickle().raw("X\u0001\u0000\u0000\u0000wcbuiltins\neval\nX\u0001\u0000\u0000\u00001\u0085R"
                .getBytes(StandardCharsets.ISO_8859_1)).write(reduce.resolve("ae.pt"));
        assertThatThrownBy(() -> Sae.load(reduce)).isInstanceOf(SaeException.class)
                .hasMessageContaining("global 'builtins.eval' is not allowed").hasMessageContaining("at byte");
    }

    @Test
    void configSizesThatDisagreeWithTheWeightsAreNamed() throws Exception {
        Path dir = copy(resource("dictionary-learning/resid_post_layer_2/trainer_0"), "mismatch");
        Files.writeString(dir.resolve("config.json"), "{\"trainer\": {\"dict_class\": \"AutoEncoder\","
                + " \"activation_dim\": 17, \"dict_size\": 64}}");
        assertThatThrownBy(() -> Sae.load(dir)).isInstanceOf(SaeException.class)
                .hasMessageContaining(dir.resolve("config.json").toString())
                .hasMessageContaining("'trainer.activation_dim' is 17")
                .hasMessageContaining("'encoder.weight' implies 16");
        Files.writeString(dir.resolve("config.json"), "{\"trainer\": {\"dict_class\": \"MatryoshkaBatchTopKSAE\"}}");
        assertThatThrownBy(() -> Sae.load(dir)).isInstanceOf(SaeException.class)
                .hasMessageContaining("'trainer.dict_class' is \"MatryoshkaBatchTopKSAE\"")
                .hasMessageContaining("AutoEncoderTopK");
    }

    @Test
    void sparsifyAndLlamaScopeConfigsThatDisagreeWithTheirWeightsAreNamed() throws IOException {
        Random r = new Random(5);
        float[] w = gaussian(r, F * D);
        float[] bF = gaussian(r, F);
        float[] bD = gaussian(r, D);
        Path layer = tmp.resolve("run").resolve("layers.3");
        sparsifyLayer(layer, D + 1, w, bF, w, bD);
        assertThatThrownBy(() -> Sae.load(layer)).isInstanceOf(SaeException.class)
                .hasMessageContaining(layer.resolve("sae.safetensors").toString())
                .hasMessageContaining("array 'encoder.weight' has shape [6, 4], expected [6, 5]");
        Path llama = llamaScope("wide", D + 1, "dataset-wise", w, bF, w, bD);
        assertThatThrownBy(() -> Sae.load(llama)).isInstanceOf(SaeException.class)
                .hasMessageContaining(llama.resolve("checkpoints/final.safetensors").toString())
                .hasMessageContaining("array 'encoder.weight' has shape [6, 4], expected [6, 5]");
        Path tokenWise = llamaScope("token", D, "token-wise", w, bF, w, bD);
        assertThatThrownBy(() -> Sae.load(tokenWise)).isInstanceOf(SaeException.class)
                .hasMessageContaining("hyperparams.json").hasMessageContaining("'norm_activation' is \"token-wise\"");
    }

    @Test
    void aPathNoFormatRecognisesListsWhatEachLooksFor() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("other"));
        Files.writeString(dir.resolve("weights.bin"), "x");
        assertThatThrownBy(() -> Sae.load(dir)).isInstanceOf(SaeException.class)
                .hasMessageContaining("no known SAE format at " + dir).hasMessageContaining("weights.bin")
                .hasMessageContaining("SAELens (a folder with cfg.json and sae_weights.safetensors)")
                .hasMessageContaining("Gemma Scope (a params.npz file")
                .hasMessageContaining("Llama Scope (a folder with hyperparams.json and checkpoints/final.safetensors)")
                .hasMessageContaining("EleutherAI sparsify (a folder with cfg.json and sae.safetensors")
                .hasMessageContaining("dictionary_learning (an ae.pt file");
    }
}
