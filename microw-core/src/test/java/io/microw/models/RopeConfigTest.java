package io.microw.models;

import io.microw.MicrowException;
import io.microw.io.HfConfig;
import io.microw.nn.RopeScaling;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Rotary inverse frequencies against values computed here from the formulas of transformers' rope init
 * functions (default, linear, dynamic NTK, llama3), for both config spellings.
 */
class RopeConfigTest {

    private static final int HEAD_DIM = 64;
    private static final double THETA = 500000.0;

    private static RopeScaling rope(String json, int maxPositions) {
        return RopeConfig.read(HfConfig.parse(json), HEAD_DIM, maxPositions);
    }

    /** theta^-(2i/dim) for i in [0, dim/2). */
    private static double[] plain(double base, int dim) {
        double[] inv = new double[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(base, 2.0 * i / dim);
        }
        return inv;
    }

    private static void assertClose(float[] actual, double[] expected) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("inv_freq[" + i + "]").isCloseTo(expected[i], within(expected[i] * 1e-6));
        }
    }

    @Test
    void defaultFromRopeParameters() {
        RopeScaling r = rope("{\"model_type\":\"llama\",\"rope_parameters\":{\"rope_theta\":500000.0,"
                + "\"rope_type\":\"default\"}}", 128);
        assertThat(r.type()).isEqualTo("default");
        assertThat(r.rotaryDim()).isEqualTo(HEAD_DIM);
        assertClose(r.inverseFrequencies(1000), plain(THETA, HEAD_DIM));
    }

    @Test
    void linearDividesEveryFrequencyByTheFactor() {
        double[] expected = plain(THETA, HEAD_DIM);
        for (int i = 0; i < expected.length; i++) {
            expected[i] /= 4.0;
        }
        // legacy spelling: rope_theta at the top, rope_scaling with "type"
        RopeScaling legacy = rope("{\"model_type\":\"llama\",\"rope_theta\":500000.0,"
                + "\"rope_scaling\":{\"type\":\"linear\",\"factor\":4.0}}", 128);
        RopeScaling current = rope("{\"model_type\":\"llama\",\"rope_parameters\":{\"rope_theta\":500000.0,"
                + "\"rope_type\":\"linear\",\"factor\":4.0}}", 128);
        assertClose(legacy.inverseFrequencies(10), expected);
        assertClose(current.inverseFrequencies(10), expected);
    }

    @Test
    void dynamicGrowsTheBaseOnlyBeyondTheOriginalContext() {
        RopeScaling r = rope("{\"model_type\":\"llama\",\"rope_theta\":500000.0,"
                + "\"rope_scaling\":{\"rope_type\":\"dynamic\",\"factor\":2.0}}", 256);
        assertClose(r.inverseFrequencies(200), plain(THETA, HEAD_DIM));
        assertClose(r.inverseFrequencies(256), plain(THETA, HEAD_DIM));
        int seqLen = 1000;
        double base = THETA * Math.pow(2.0 * seqLen / 256 - (2.0 - 1), HEAD_DIM / (HEAD_DIM - 2.0));
        assertClose(r.inverseFrequencies(seqLen), plain(base, HEAD_DIM));
    }

    @Test
    void llama3KeepsHighFrequenciesScalesLowOnesAndSmoothsBetween() {
        double factor = 8;
        double low = 1;
        double high = 4;
        int original = 8192;
        RopeScaling r = rope("{\"model_type\":\"llama\",\"rope_parameters\":{\"rope_theta\":500000.0,"
                + "\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
                + "\"original_max_position_embeddings\":8192}}", 131072);
        double[] expected = plain(THETA, HEAD_DIM);
        int kept = 0;
        int scaled = 0;
        int smoothed = 0;
        for (int i = 0; i < expected.length; i++) {
            double wavelen = 2 * Math.PI / expected[i];
            if (wavelen < original / high) {
                kept++;
            } else if (wavelen > original / low) {
                expected[i] /= factor;
                scaled++;
            } else {
                double smooth = (original / wavelen - low) / (high - low);
                expected[i] = (1 - smooth) * expected[i] / factor + smooth * expected[i];
                smoothed++;
            }
        }
        assertThat(kept).isPositive();
        assertThat(scaled).isPositive();
        assertThat(smoothed).isPositive();
        assertClose(r.inverseFrequencies(100), expected);
    }

    @Test
    void partialRotaryFactorRotatesAShareOfEachHead() {
        RopeScaling r = rope("{\"model_type\":\"phi3\",\"rope_parameters\":{\"rope_theta\":10000.0,"
                + "\"rope_type\":\"default\",\"partial_rotary_factor\":0.5}}", 128);
        assertThat(r.rotaryDim()).isEqualTo(32);
        assertClose(r.inverseFrequencies(10), plain(10000.0, 32));
    }

    @Test
    void unknownTypeIsAnErrorNamingTheSupportedOnes() {
        assertThatThrownBy(() -> rope("{\"model_type\":\"llama\",\"rope_scaling\":{\"type\":\"yarn\","
                + "\"factor\":4.0}}", 128))
                .isInstanceOf(MicrowException.class).hasMessageContaining("yarn").hasMessageContaining("llama3");
    }
}
