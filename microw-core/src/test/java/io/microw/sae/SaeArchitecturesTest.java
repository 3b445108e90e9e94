package io.microw.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Every SAE architecture against a plain-Java computation of SAELens' formulas, plus argument checks. */
class SaeArchitecturesTest {

    static final int D_IN = 6;
    static final int D_SAE = 10;
    static final int K = 3;
    /** The built-in architectures (registered ones from other modules' tests are not on this classpath). */
    static final List<SaeArchitecture> BUILT_INS = List.of(SaeArchitecture.STANDARD, SaeArchitecture.TOPK,
            SaeArchitecture.BATCH_TOPK, SaeArchitecture.JUMP_RELU, SaeArchitecture.GATED);

    static Stream<SaeArchitecture> builtIns() {
        return BUILT_INS.stream();
    }

    /** Random parameters for an architecture: biases and thresholds such that every rule has work to do. */
    static Map<String, float[]> randomParameters(SaeArchitecture arch, int dIn, int dSae, long seed) {
        Random r = new Random(seed);
        Map<String, float[]> p = new LinkedHashMap<>();
        p.put("W_enc", gaussian(r, dIn * dSae, 0.5f));
        if (arch != SaeArchitecture.GATED) {
            p.put("b_enc", gaussian(r, dSae, 0.2f));
        }
        p.put("W_dec", gaussian(r, dSae * dIn, 0.5f));
        p.put("b_dec", gaussian(r, dIn, 0.3f));
        if (arch == SaeArchitecture.JUMP_RELU || arch == SaeArchitecture.BATCH_TOPK) {
            float[] t = new float[dSae];
            for (int i = 0; i < dSae; i++) {
                t[i] = 0.05f + 0.5f * r.nextFloat();
            }
            p.put("threshold", t);
        } else if (arch == SaeArchitecture.GATED) {
            p.put("b_gate", gaussian(r, dSae, 0.3f));
            p.put("b_mag", gaussian(r, dSae, 0.3f));
            p.put("r_mag", gaussian(r, dSae, 0.3f));
        }
        return p;
    }

    static float[] gaussian(Random r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian() * scale;
        }
        return a;
    }

    static SaeConfig config(SaeArchitecture arch, int dIn, int dSae) {
        return SaeConfig.of(arch, dIn, dSae, arch.usesK() ? K : 0);
    }

    /** SAELens' encode for one row, in doubles, from the parameters. */
    static float[] naiveEncodeRow(SaeConfig cfg, Map<String, float[]> p, float[] x, float scale) {
        int dIn = cfg.dIn();
        int dSae = cfg.dSae();
        double[] xc = new double[dIn];
        for (int i = 0; i < dIn; i++) {
            xc[i] = (double) x[i] * scale - (cfg.applyBDecToInput() ? p.get("b_dec")[i] : 0);
        }
        double[] xw = new double[dSae];
        float[] wEnc = p.get("W_enc");
        for (int j = 0; j < dSae; j++) {
            for (int i = 0; i < dIn; i++) {
                xw[j] += xc[i] * wEnc[i * dSae + j];
            }
        }
        float[] out = new float[dSae];
        SaeArchitecture arch = cfg.architecture();
        if (arch == SaeArchitecture.STANDARD) {
            for (int j = 0; j < dSae; j++) {
                out[j] = (float) Math.max(0, xw[j] + p.get("b_enc")[j]);
            }
        } else if (arch == SaeArchitecture.TOPK) {
            double[] pre = new double[dSae];
            for (int j = 0; j < dSae; j++) {
                pre[j] = xw[j] + p.get("b_enc")[j];
            }
            double[] sorted = pre.clone();
            Arrays.sort(sorted);
            double kth = sorted[dSae - cfg.k()];
            for (int j = 0; j < dSae; j++) {
                out[j] = pre[j] >= kth ? (float) Math.max(0, pre[j]) : 0f;
            }
        } else if (arch == SaeArchitecture.JUMP_RELU || arch == SaeArchitecture.BATCH_TOPK) {
            for (int j = 0; j < dSae; j++) {
                double pre = xw[j] + p.get("b_enc")[j];
                out[j] = pre > p.get("threshold")[j] ? (float) Math.max(0, pre) : 0f;
            }
        } else if (arch == SaeArchitecture.GATED) {
            for (int j = 0; j < dSae; j++) {
                double gate = xw[j] + p.get("b_gate")[j];
                double mag = Math.max(0, xw[j] * Math.exp(p.get("r_mag")[j]) + p.get("b_mag")[j]);
                out[j] = gate > 0 ? (float) mag : 0f;
            }
        } else {
            throw new AssertionError(arch);
        }
        return out;
    }

    static float[] naiveDecodeRow(SaeConfig cfg, Map<String, float[]> p, float[] codes, float scale) {
        int dIn = cfg.dIn();
        int dSae = cfg.dSae();
        float[] out = new float[dIn];
        for (int i = 0; i < dIn; i++) {
            double s = p.get("b_dec")[i];
            for (int j = 0; j < dSae; j++) {
                s += (double) codes[j] * p.get("W_dec")[j * dIn + i];
            }
            out[i] = (float) (s / scale);
        }
        return out;
    }

    static float[] naive(SaeConfig cfg, Map<String, float[]> p, float[] x, int width, boolean decode,
                         float scale) {
        int rows = x.length / width;
        int outWidth = decode ? cfg.dIn() : cfg.dSae();
        float[] out = new float[rows * outWidth];
        for (int r = 0; r < rows; r++) {
            float[] row = Arrays.copyOfRange(x, r * width, (r + 1) * width);
            float[] y = decode ? naiveDecodeRow(cfg, p, row, scale) : naiveEncodeRow(cfg, p, row, scale);
            System.arraycopy(y, 0, out, r * outWidth, outWidth);
        }
        return out;
    }

    static void assertClose(float[] actual, float[] expected, double tol) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat((double) actual[i]).as("element %d", i).isCloseTo(expected[i], within(tol));
        }
    }

    @ParameterizedTest
    @MethodSource("io.microw.sae.SaeArchitecturesTest#builtIns")
    void encodeDecodeForwardMatchNaiveComputationOn3dInput(SaeArchitecture arch) {
        SaeConfig cfg = config(arch, D_IN, D_SAE);
        Map<String, float[]> p = randomParameters(arch, D_IN, D_SAE, 7 + BUILT_INS.indexOf(arch));
        float[] x = gaussian(new Random(99), 2 * 3 * D_IN, 1f);
        try (Sae sae = Sae.fromParameters(cfg, p); NDManager m = NDManager.newBaseManager()) {
            NDArray input = m.create(x, new Shape(2, 3, D_IN));
            NDArray codes = sae.encode(input);
            assertThat(codes.getShape()).isEqualTo(new Shape(2, 3, D_SAE));
            float[] expectedCodes = naive(cfg, p, x, D_IN, false, 1f);
            assertClose(codes.toFloatArray(), expectedCodes, 1e-4);
            long active = 0;
            for (float c : expectedCodes) {
                active += c != 0 ? 1 : 0;
            }
            assertThat(active).as("test weights leave some latents active").isPositive();
            assertThat(active).as("and some inactive").isLessThan(expectedCodes.length);

            NDArray recon = sae.decode(codes);
            assertThat(recon.getShape()).isEqualTo(new Shape(2, 3, D_IN));
            assertClose(recon.toFloatArray(), naive(cfg, p, expectedCodes, D_SAE, true, 1f), 1e-4);
            NDArray fwd = sae.forward(input);
            assertThat(fwd.getShape()).isEqualTo(new Shape(2, 3, D_IN));
            assertClose(fwd.toFloatArray(), recon.toFloatArray(), 1e-5);
        }
    }

    @ParameterizedTest
    @MethodSource("io.microw.sae.SaeArchitecturesTest#builtIns")
    void withoutBDecSubtractionAndWithInputScaleAndAfterFolding(SaeArchitecture arch) {
        SaeConfig cfg = config(arch, D_IN, D_SAE).withApplyBDecToInput(false);
        Map<String, float[]> p = randomParameters(arch, D_IN, D_SAE, 31 + BUILT_INS.indexOf(arch));
        float[] x = gaussian(new Random(5), 4 * D_IN, 0.5f);
        float s = 2.5f;
        try (Sae sae = Sae.fromParameters(cfg, p); NDManager m = NDManager.newBaseManager()) {
            sae.setInputScale(s);
            NDArray input = m.create(x, new Shape(4, D_IN));
            float[] codes = sae.encode(input).toFloatArray();
            float[] expectedCodes = naive(cfg, p, x, D_IN, false, s);
            assertClose(codes, expectedCodes, 1e-4);
            float[] out = sae.forward(input).toFloatArray();
            assertClose(out, naive(cfg, p, expectedCodes, D_SAE, true, s), 1e-4);

            sae.foldInputScale();
            assertThat(sae.inputScale()).isEqualTo(1f);
            assertThat(sae.parameter("W_enc")[0]).isEqualTo(p.get("W_enc")[0] * s);
            assertClose(sae.encode(input).toFloatArray(), codes, 1e-4);
            assertClose(sae.forward(input).toFloatArray(), out, 1e-4);
        }
    }

    @Test
    void foldInputScaleWithBDecSubtractionGivesTheSameFunction() {
        SaeConfig cfg = config(SaeArchitecture.JUMP_RELU, D_IN, D_SAE);
        Map<String, float[]> p = randomParameters(SaeArchitecture.JUMP_RELU, D_IN, D_SAE, 3);
        try (Sae sae = Sae.fromParameters(cfg, p); NDManager m = NDManager.newBaseManager()) {
            sae.setInputScale(0.4f);
            NDArray input = m.create(gaussian(new Random(8), 5 * D_IN, 2f), new Shape(5, D_IN));
            float[] before = sae.forward(input).toFloatArray();
            float[] codesBefore = sae.encode(input).toFloatArray();
            sae.foldInputScale();
            assertClose(sae.forward(input).toFloatArray(), before, 1e-4);
            assertClose(sae.encode(input).toFloatArray(), codesBefore, 1e-4);
            sae.foldInputScale(); // no-op at scale 1
            assertClose(sae.forward(input).toFloatArray(), before, 1e-4);
        }
    }

    @Test
    void topKSaeOfMiCrowShapeKeepsAtMostKLatentsPerRowAndTheLargest() {
        try (TopKSae sae = new TopKSae(512, 256, 8); NDManager m = NDManager.newBaseManager()) {
            assertThat(sae.k()).isEqualTo(8);
            assertThat(sae.dSae()).isEqualTo(512);
            assertThat(sae.dIn()).isEqualTo(256);
            float[] x = gaussian(new Random(1), 16 * 256, 1f);
            float[] codes = sae.encode(m.create(x, new Shape(16, 256))).toFloatArray();
            Map<String, float[]> p = new HashMap<>();
            for (String name : sae.parameterNames()) {
                p.put(name, sae.parameter(name));
            }
            SaeConfig relu = SaeConfig.of(SaeArchitecture.STANDARD, 256, 512, 0);
            for (int r = 0; r < 16; r++) {
                int nonZero = 0;
                float[] pre = naiveEncodeRow(relu, p, Arrays.copyOfRange(x, r * 256, (r + 1) * 256), 1f);
                float[] sorted = pre.clone();
                Arrays.sort(sorted);
                float eighth = sorted[512 - 8];
                for (int j = 0; j < 512; j++) {
                    float c = codes[r * 512 + j];
                    if (c != 0) {
                        nonZero++;
                        assertThat(c).isGreaterThan(0f);
                        assertThat((double) c).isCloseTo(pre[j], within(1e-4));
                        assertThat(pre[j]).isGreaterThanOrEqualTo(eighth - 1e-4f);
                    }
                }
                assertThat(nonZero).as("row %d", r).isBetween(1, 8);
            }
        }
    }

    @Test
    void kOutsideOneToDSaeMinusOneIsRefusedWithTheValue() {
        assertThatThrownBy(() -> new TopKSae(8, 4, 0)).isInstanceOf(SaeException.class)
                .hasMessageContaining("k must be in 1..7").hasMessageContaining("got 0");
        assertThatThrownBy(() -> new TopKSae(8, 4, 8)).isInstanceOf(SaeException.class)
                .hasMessageContaining("d_sae=8").hasMessageContaining("got 8");
        assertThatThrownBy(() -> new TopKSae(8, 4, -3)).isInstanceOf(SaeException.class)
                .hasMessageContaining("got -3");
        assertThatThrownBy(() -> new BatchTopKSae(8, 4, 9)).isInstanceOf(SaeException.class)
                .hasMessageContaining("got 9");
        assertThatThrownBy(() -> SaeConfig.of(SaeArchitecture.JUMP_RELU, 4, 8, 2)).isInstanceOf(SaeException.class)
                .hasMessageContaining("k=2");
        assertThatThrownBy(() -> SaeConfig.of(SaeArchitecture.STANDARD, 0, 8, 0)).isInstanceOf(SaeException.class)
                .hasMessageContaining("d_in must be positive, got 0");
    }

    @Test
    void parametersOfTheWrongSizeOrMissingOrNonFiniteAreRefused() {
        SaeConfig cfg = config(SaeArchitecture.STANDARD, 4, 8);
        Map<String, float[]> p = randomParameters(SaeArchitecture.STANDARD, 5, 8, 1); // d_in 5, config says 4
        assertThatThrownBy(() -> Sae.fromParameters(cfg, p)).isInstanceOf(SaeException.class)
                .hasMessageContaining("'W_enc'").hasMessageContaining("[4, 8]").hasMessageContaining("32 values")
                .hasMessageContaining("has 40 values");
        Map<String, float[]> missing = randomParameters(SaeArchitecture.JUMP_RELU, 4, 8, 1);
        missing.remove("threshold");
        assertThatThrownBy(() -> Sae.fromParameters(config(SaeArchitecture.JUMP_RELU, 4, 8), missing))
                .isInstanceOf(SaeException.class).hasMessageContaining("'threshold'").hasMessageContaining("missing");
        Map<String, float[]> nan = randomParameters(SaeArchitecture.STANDARD, 4, 8, 1);
        nan.get("b_dec")[2] = Float.NaN;
        assertThatThrownBy(() -> Sae.fromParameters(cfg, nan)).isInstanceOf(SaeException.class)
                .hasMessageContaining("'b_dec'").hasMessageContaining("NaN").hasMessageContaining("index 2");
        assertThatCode(() -> Sae.fromParameters(config(SaeArchitecture.TOPK, 4, 8),
                randomParameters(SaeArchitecture.TOPK, 4, 8, 1)).close()).doesNotThrowAnyException();
        assertThatThrownBy(() -> new TopKSae(cfg, 0L)).isInstanceOf(SaeException.class)
                .hasMessageContaining("TopKSae needs a topk config, got standard");
    }

    @Test
    void inputsAndCodesOfTheWrongWidthAreRefusedWithShapes() {
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK, 4, 8), 1); NDManager m = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> sae.encode(m.zeros(new Shape(2, 5)))).isInstanceOf(SaeException.class)
                    .hasMessageContaining("d_in=4").hasMessageContaining("(2, 5)");
            assertThatThrownBy(() -> sae.decode(m.zeros(new Shape(3, 4)))).isInstanceOf(SaeException.class)
                    .hasMessageContaining("[..., 8]").hasMessageContaining("(3, 4)");
            assertThatThrownBy(() -> sae.checkInputWidth(5, "transformer.h.0")).isInstanceOf(SaeException.class)
                    .hasMessage("SAE expects inputs of width d_in=4 but layer 'transformer.h.0' produces width 5");
            sae.checkInputWidth(4, "transformer.h.0");
            assertThatThrownBy(() -> sae.setInputScale(0f)).isInstanceOf(SaeException.class)
                    .hasMessageContaining("got 0.0");
            assertThatThrownBy(() -> sae.parameter("b_gate")).isInstanceOf(SaeException.class)
                    .hasMessageContaining("'b_gate'").hasMessageContaining("W_enc");
        }
    }

    @ParameterizedTest
    @MethodSource("io.microw.sae.SaeArchitecturesTest#builtIns")
    void resultsLiveInTheInputsManagerAndOutliveTheSae(SaeArchitecture arch) throws Exception {
        SaeConfig cfg = config(arch, D_IN, D_SAE);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray input = m.create(gaussian(new Random(2), 3 * D_IN, 1f), new Shape(3, D_IN));
            Sae sae = Sae.fromParameters(cfg, randomParameters(arch, D_IN, D_SAE, 4));
            NDManager own = saeManager(sae);
            int ownArrays = own.getManagedArrays().size();
            NDArray codes = sae.encode(input);
            NDArray out = sae.forward(input);
            NDArray recon = sae.decode(codes);
            for (int i = 0; i < 5; i++) {
                sae.forward(input).close();
            }
            assertThat(codes.getManager()).isSameAs(m);
            assertThat(out.getManager()).isSameAs(m);
            assertThat(recon.getManager()).isSameAs(m);
            assertThat(own.getManagedArrays()).as("encode/decode leave nothing in the SAE's manager")
                    .hasSize(ownArrays);
            float[] before = out.toFloatArray();
            sae.close();
            assertThat(own.isOpen()).isFalse();
            assertThat(out.toFloatArray()).containsExactly(before);
            assertThat(codes.add(1f).sum().getFloat()).isFinite();
            assertThat(recon.toFloatArray()).hasSize(3 * D_IN);
        }
    }

    @Test
    void setParameterAndAccessorsRoundTrip() {
        try (Sae sae = Sae.create(config(SaeArchitecture.GATED, 3, 5), 2)) {
            assertThat(sae.parameterNames()).containsExactly("W_enc", "W_dec", "b_dec", "b_gate", "b_mag", "r_mag");
            assertThat(sae.parameterShape("W_dec")).containsExactly(5, 3);
            float[] v = {1, 2, 3, 4, 5};
            sae.setParameter("b_mag", v);
            assertThat(sae.parameter("b_mag")).containsExactly(v);
            assertThatThrownBy(() -> sae.setParameter("b_mag", new float[4])).isInstanceOf(SaeException.class)
                    .hasMessageContaining("[5]").hasMessageContaining("has 4 values");
        }
    }

    static NDManager saeManager(Sae sae) throws ReflectiveOperationException {
        Field f = Sae.class.getDeclaredField("manager");
        f.setAccessible(true);
        return (NDManager) f.get(sae);
    }

    @Test
    void miCrowsConstructorOrderAndNamesAreAliasesOfDInAndDSae() {
        try (TopKSae sae = new TopKSae(512, 256, 8)) {
            assertThat(sae.dSae()).isEqualTo(512);
            assertThat(sae.dIn()).isEqualTo(256);
            assertThat(sae.nLatents()).as("mi-crow's n_latents").isEqualTo(512);
            assertThat(sae.nInputs()).as("mi-crow's n_inputs").isEqualTo(256);
        }
    }
}
