package io.microw.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Linear probes on synthetic activations whose answer is known: Gaussian clusters in 16 dimensions with large,
 * uneven scales (as activations have), separated along chosen directions; and labels with no relation to the
 * features, which a probe must not appear to learn.
 */
class LinearProbeTest {

    private static final int D = 16;

    /** Rows around 40, feature j with noise of scale 1 + j, plus 6 (1 + j) times the label's centre. */
    private static float[][] clusters(int[] labels, float[][] centres, long seed) {
        Random random = new Random(seed);
        float[][] x = new float[labels.length][D];
        for (int i = 0; i < labels.length; i++) {
            for (int j = 0; j < D; j++) {
                x[i][j] = 40 + (float) random.nextGaussian() * (1 + j) + 6 * centres[labels[i]][j] * (1 + j);
            }
        }
        return x;
    }

    private static int[] labels(int n, int classes, long seed) {
        Random random = new Random(seed);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = random.nextInt(classes);
        }
        return y;
    }

    /** The index of the component of largest magnitude. */
    private static int largest(float[] v) {
        int best = 0;
        for (int j = 1; j < v.length; j++) {
            if (Math.abs(v[j]) > Math.abs(v[best])) {
                best = j;
            }
        }
        return best;
    }

    @Test
    void aTwoClassProbeSeparatesTheClustersAndItsDirectionPointsFromOneToTheOther() {
        float[] axis = new float[D];
        axis[3] = 1;
        float[][] centres = {new float[D], axis};
        int[] y = labels(1000, 2, 1);
        float[][] x = clusters(y, centres, 2);
        LinearProbe probe = LinearProbe.train(x, y, ProbeOptions.defaults());
        ProbeReport r = probe.report();
        assertThat(r.trainRows()).isEqualTo(800);
        assertThat(r.validationRows()).isEqualTo(200);
        assertThat(r.validationAccuracy()).isGreaterThan(0.97);
        assertThat(r.validationMacroF1()).isGreaterThan(0.97);
        float[] direction = probe.direction();
        double norm = 0;
        for (float v : direction) {
            norm += v * v;
        }
        assertThat(Math.sqrt(norm)).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(largest(direction)).as("the direction's largest component").isEqualTo(3);
        assertThat(direction[3]).as("the separating feature's share of the direction").isGreaterThan(0.8f);
        assertThat(probe.predict(new float[][] {x[0], x[1]})).containsExactly(y[0], y[1]);
    }

    @Test
    void aThreeClassProbeLearnsEachClassAndRandomLabelsStayAtChance() {
        float[][] centres = new float[3][D];
        centres[1][0] = 1;
        centres[2][5] = 1;
        int[] y = labels(1500, 3, 3);
        float[][] x = clusters(y, centres, 4);
        LinearProbe probe = LinearProbe.train(x, y, ProbeOptions.defaults());
        assertThat(probe.classes()).isEqualTo(3);
        assertThat(probe.report().validationAccuracy()).isGreaterThan(0.95);
        assertThat(probe.report().validationMacroF1()).isGreaterThan(0.95);
        // raw-unit weights scale as separation / variance: feature 0 (noise 1) outweighs feature 5 (noise 6)
        assertThat(largest(probe.direction(1))).as("class 1's direction, largest component").isEqualTo(0);
        assertThat(probe.direction(2)[5]).as("class 2's direction along its own feature").isPositive();
        assertThat(probe.direction(2)[0]).as("class 2's direction along class 1's feature").isNegative();
        assertThatThrownBy(probe::direction).hasMessageContaining("3 classes");

        int[] unrelated = labels(1500, 2, 5);
        LinearProbe chance = LinearProbe.train(x, unrelated, ProbeOptions.defaults().withEpochs(10));
        assertThat(chance.report().validationAccuracy()).as("held-out accuracy on unrelated labels")
                .isBetween(0.35, 0.65);
    }

    /**
     * The probe is the minimum of its objective, mean cross-entropy + λ‖W‖²: at the trained weights that objective's
     * gradient, written out here in double precision (softmax minus one-hot), vanishes. Overlapping clusters keep
     * the minimum finite; features standardised over all rows, none held out, make the returned raw weights the
     * trained ones.
     */
    @Test
    void theTrainedWeightsMinimiseThePenalisedCrossEntropy() {
        int n = 300;
        int d = 4;
        int classes = 3;
        float[][] centres = new float[classes][D];
        centres[1][0] = 0.15f;
        centres[2][1] = 0.15f;
        int[] y = labels(n, classes, 6);
        float[][] raw = clusters(y, centres, 7);
        float[][] x = new float[n][d];
        for (int j = 0; j < d; j++) {
            double mean = 0;
            double square = 0;
            for (float[] row : raw) {
                mean += row[j] / (double) n;
            }
            for (float[] row : raw) {
                square += (row[j] - mean) * (row[j] - mean) / n;
            }
            for (int i = 0; i < n; i++) {
                x[i][j] = (float) ((raw[i][j] - mean) / Math.sqrt(square));
            }
        }
        double lambda = 0.01;
        LinearProbe probe = LinearProbe.train(x, y, new ProbeOptions(0.01, lambda, 1500, n, 0, 0));
        double[][] gradW = new double[classes][d];
        double[] gradB = new double[classes];
        for (int i = 0; i < n; i++) {
            double[] p = new double[classes];
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                p[c] = Math.exp(score(probe, c, x[i]));
                sum += p[c];
            }
            for (int c = 0; c < classes; c++) {
                double error = (p[c] / sum - (y[i] == c ? 1 : 0)) / n;
                gradB[c] += error;
                for (int j = 0; j < d; j++) {
                    gradW[c][j] += error * x[i][j];
                }
            }
        }
        double largest = 0;
        for (int c = 0; c < classes; c++) {
            largest = Math.max(largest, Math.abs(gradB[c]));
            float[] w = probe.weights(c);
            for (int j = 0; j < d; j++) {
                largest = Math.max(largest, Math.abs(gradW[c][j] + 2 * lambda * w[j]));
            }
        }
        assertThat(probe.report().validationRows()).isZero();
        assertThat(largest).as("largest component of the objective's gradient at the trained probe").isLessThan(1e-3);
        assertThat(probe.weights(1)[0]).as("class 1's weight on its own feature").isGreaterThan(0.1f);
    }

    /** Class {@code c}'s score of {@code row}: its weights times the row plus its bias, in double precision. */
    private static double score(LinearProbe probe, int c, float[] row) {
        float[] w = probe.weights(c);
        double s = probe.bias(c);
        for (int j = 0; j < row.length; j++) {
            s += (double) w[j] * row[j];
        }
        return s;
    }

    @Test
    void aProbeTrainsOnATensorAsOnItsRows() {
        float[] axis = new float[D];
        axis[2] = 1;
        int[] y = labels(200, 2, 8);
        float[][] x = clusters(y, new float[][] {new float[D], axis}, 9);
        ProbeOptions options = ProbeOptions.defaults().withEpochs(5);
        LinearProbe fromRows = LinearProbe.train(x, y, options);
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] flat = new float[200 * D];
            for (int i = 0; i < 200; i++) {
                System.arraycopy(x[i], 0, flat, i * D, D);
            }
            NDArray tensor = manager.create(flat, new Shape(200, D));
            LinearProbe fromTensor = LinearProbe.train(tensor, y, options);
            assertThat(fromTensor.weights(1)).containsExactly(fromRows.weights(1));
            assertThat(fromTensor.report()).isEqualTo(fromRows.report());
            assertThatThrownBy(() -> LinearProbe.train(tensor.reshape(10, 20, D), y, options))
                    .hasMessageContaining("[examples, width], got shape (10, 20, 16)");
        }
    }

    @Test
    void badInputIsRefusedNamingTheProblem() {
        float[][] x = {{1, 2}, {3, 4}, {5, 6}};
        ProbeOptions o = ProbeOptions.defaults();
        assertThatThrownBy(() -> LinearProbe.train(new float[0][], new int[0], o)).hasMessageContaining("no examples");
        assertThatThrownBy(() -> LinearProbe.train(x, new int[] {0, 1}, o)).hasMessageContaining("3 feature rows but 2");
        assertThatThrownBy(() -> LinearProbe.train(new float[][] {{1, 2}, {3}}, new int[] {0, 1}, o))
                .hasMessageContaining("row 1 has 1 values");
        assertThatThrownBy(() -> LinearProbe.train(new float[][] {{1, Float.NaN}, {3, 4}}, new int[] {0, 1}, o))
                .hasMessageContaining("NaN");
        assertThatThrownBy(() -> LinearProbe.train(x, new int[] {1, 1, 1}, o)).hasMessageContaining("two classes");
        assertThatThrownBy(() -> LinearProbe.train(x, new int[] {0, -1, 1}, o)).hasMessageContaining("negative");
        assertThatThrownBy(() -> o.withEpochs(0)).hasMessageContaining("epochs");
        assertThatThrownBy(() -> new ProbeOptions(0.01, 0, 1, 1, 1.0, 0)).hasMessageContaining("validationFraction");
    }
}
