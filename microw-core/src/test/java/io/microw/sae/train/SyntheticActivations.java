package io.microw.sae.train;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * Deterministic synthetic SAE training data: each row is a positive combination of a few of {@code nDirections}
 * random unit ground-truth directions, plus small Gaussian noise. Every pass yields the same rows in the same
 * order, so a resumed training sees what an uninterrupted one saw.
 */
final class SyntheticActivations implements ActivationSource {

    private final int d;
    private final float[][] rows;
    private final float[][] directions;

    SyntheticActivations(int d, int nDirections, int activePerRow, int nRows, double noise, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        this.d = d;
        this.directions = new float[nDirections][d];
        for (float[] dir : directions) {
            double norm = 0;
            for (int c = 0; c < d; c++) {
                dir[c] = (float) gaussian(random);
                norm += dir[c] * dir[c];
            }
            for (int c = 0; c < d; c++) {
                dir[c] /= (float) Math.sqrt(norm);
            }
        }
        this.rows = new float[nRows][d];
        for (float[] row : rows) {
            for (int a = 0; a < activePerRow; a++) {
                float[] dir = directions[random.nextInt(nDirections)];
                float coefficient = (float) (0.5 + random.nextDouble());
                for (int c = 0; c < d; c++) {
                    row[c] += coefficient * dir[c];
                }
            }
            for (int c = 0; c < d; c++) {
                row[c] += (float) (noise * gaussian(random));
            }
        }
    }

    /** The standard test data: d_in 32, 64 ground-truth directions, 3 active per row, 2048 rows. */
    static SyntheticActivations standard(long seed) {
        return new SyntheticActivations(32, 64, 3, 2048, 0.01, seed);
    }

    /** All rows (copies). */
    float[][] rows() {
        float[][] out = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = rows[i].clone();
        }
        return out;
    }

    /** Mean Euclidean norm of the rows. */
    double meanNorm() {
        double sum = 0;
        for (float[] row : rows) {
            double s = 0;
            for (float v : row) {
                s += (double) v * v;
            }
            sum += Math.sqrt(s);
        }
        return sum / rows.length;
    }

    @Override
    public int width() {
        return d;
    }

    @Override
    public long rowsPerEpoch() {
        return rows.length;
    }

    @Override
    public Iterator<float[][]> batches(int size, int epochs) {
        long total = (long) epochs * rows.length;
        return new Iterator<>() {
            private long next;

            @Override
            public boolean hasNext() {
                return next < total;
            }

            @Override
            public float[][] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                // like StoreDataLoader: batches run on across epoch boundaries, only the very last may be short
                int n = (int) Math.min(size, total - next);
                float[][] batch = new float[n][];
                for (int i = 0; i < n; i++) {
                    batch[i] = rows[(int) ((next + i) % rows.length)].clone();
                }
                next += n;
                return batch;
            }
        };
    }

    /**
     * {@code source} with each batch passed through {@code change(batchIndex, batch)} (0-based index counted
     * from the start of each pass, across epochs).
     */
    static ActivationSource changed(ActivationSource source, BiFunction<Long, float[][], float[][]> change) {
        return new ActivationSource() {
            @Override
            public int width() {
                return source.width();
            }

            @Override
            public long rowsPerEpoch() {
                return source.rowsPerEpoch();
            }

            @Override
            public Iterator<float[][]> batches(int size, int epochs) {
                Iterator<float[][]> inner = source.batches(size, epochs);
                return new Iterator<>() {
                    private long index;

                    @Override
                    public boolean hasNext() {
                        return inner.hasNext();
                    }

                    @Override
                    public float[][] next() {
                        return change.apply(index++, inner.next());
                    }
                };
            }
        };
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
