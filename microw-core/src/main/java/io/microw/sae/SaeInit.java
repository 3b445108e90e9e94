package io.microw.sae;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The standard SAE initialisation: decoder rows drawn from a Gaussian and scaled to a given norm, the encoder
 * set to the decoder's transpose, biases zero, JumpReLU thresholds at 0.001 (SAELens' default). Deterministic
 * for a seed.
 */
public final class SaeInit {

    /** SAELens' initial JumpReLU threshold. */
    public static final float JUMP_RELU_INITIAL_THRESHOLD = 0.001f;

    private SaeInit() {
    }

    /**
     * Initial parameters for a config, decoder rows of norm {@code decoderNorm}.
     *
     * @param config the architecture and sizes
     * @param seed the initialisation seed
     * @param decoderNorm the norm of each decoder row
     * @return the parameters by SAELens name
     */
    public static Map<String, float[]> initialParameters(SaeConfig config, long seed, double decoderNorm) {
        if (!(decoderNorm > 0) || Double.isInfinite(decoderNorm)) {
            throw new SaeException("decoder init norm must be positive and finite, got " + decoderNorm);
        }
        int dIn = config.dIn();
        int dSae = config.dSae();
        float[] wDec = gaussianRows(dSae, dIn, seed, decoderNorm);
        float[] wEnc = transpose(wDec, dSae, dIn);
        Map<String, float[]> p = new LinkedHashMap<>();
        p.put("W_enc", wEnc);
        p.put("b_enc", new float[dSae]);
        p.put("W_dec", wDec);
        p.put("b_dec", new float[dIn]);
        switch (config.architecture()) {
            case JUMP_RELU -> p.put("threshold", filled(dSae, JUMP_RELU_INITIAL_THRESHOLD));
            case BATCH_TOPK -> p.put("threshold", new float[dSae]);
            case GATED -> {
                p.put("b_gate", new float[dSae]);
                p.put("b_mag", new float[dSae]);
                p.put("r_mag", new float[dSae]);
            }
            default -> {
            }
        }
        return p;
    }

    /** {@code rows x cols} Gaussian values, each row scaled to norm {@code norm}. */
    static float[] gaussianRows(int rows, int cols, long seed, double norm) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] w = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                double g = gaussian(random);
                w[base + c] = (float) g;
                sum += g * g;
            }
            float scale = (float) (norm / Math.sqrt(sum));
            for (int c = 0; c < cols; c++) {
                w[base + c] *= scale;
            }
        }
        return w;
    }

    /**
     * The transpose of a row-major {@code rows x cols} matrix.
     *
     * @param m the matrix
     * @param rows its rows
     * @param cols its columns
     * @return the transpose, row-major {@code cols x rows}
     */
    public static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, value);
        return a;
    }

    /** Box–Muller from a SplittableRandom (java.util.Random's Gaussian is synchronized and slower). */
    private static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
