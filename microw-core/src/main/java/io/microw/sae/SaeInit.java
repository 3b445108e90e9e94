package io.microw.sae;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * The standard SAE initialisation: decoder rows drawn from a Gaussian and scaled to a given norm, the encoder
 * set to the decoder's transpose, biases zero; an architecture may start further parameters elsewhere (JumpReLU
 * thresholds at {@link #JUMP_RELU_INITIAL_THRESHOLD}, SAELens' default). Deterministic for a seed.
 */
public final class SaeInit {

    /** SAELens' initial JumpReLU threshold. */
    public static final float JUMP_RELU_INITIAL_THRESHOLD = 0.001f;

    private SaeInit() {
    }

    /**
     * Initial parameters for a config, decoder rows of norm {@code decoderNorm}: as its architecture's
     * {@link SaeArchitecture#initialParameters} says.
     *
     * @param config the architecture and sizes
     * @param seed the initialisation seed
     * @param decoderNorm the norm of each decoder row
     * @return the parameters by SAELens name
     */
    public static Map<String, float[]> initialParameters(SaeConfig config, long seed, double decoderNorm) {
        return config.architecture().initialParameters(config, seed, decoderNorm);
    }

    /**
     * The initial decoder {@code [d_sae, d_in]}: Gaussian rows scaled to norm {@code decoderNorm}.
     *
     * @param config the sizes
     * @param seed the initialisation seed
     * @param decoderNorm the norm of each decoder row, positive and finite
     * @return the decoder, row-major
     */
    public static float[] decoderRows(SaeConfig config, long seed, double decoderNorm) {
        if (!(decoderNorm > 0) || Double.isInfinite(decoderNorm)) {
            throw new SaeException("decoder init norm must be positive and finite, got " + decoderNorm);
        }
        return gaussianRows(config.dSae(), config.dIn(), seed, decoderNorm);
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

    /** Box–Muller from a SplittableRandom (java.util.Random's Gaussian is synchronized and slower). */
    private static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
