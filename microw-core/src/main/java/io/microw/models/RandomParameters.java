package io.microw.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.SplittableRandom;

/**
 * Parameters drawn at random for a model built from a config alone (benchmarks, tests). Each parameter's
 * values depend only on the seed and the parameter's name, so the same seed builds the same model.
 */
public final class RandomParameters implements ParameterSource {

    private final NDManager manager;
    private final long seed;
    private final double std;

    /**
     * Random parameters for one model.
     *
     * @param manager owns the created arrays
     * @param seed    the seed; with the parameter's name it fixes each parameter's values
     * @param std     standard deviation of the {@code NORMAL} parameters
     */
    public RandomParameters(NDManager manager, long seed, double std) {
        this.manager = manager;
        this.seed = seed;
        this.std = std;
    }

    @Override
    public boolean has(String name) {
        return true;
    }

    @Override
    public NDArray get(String name, Shape shape, Init init) {
        float[] values = new float[Math.toIntExact(shape.size())];
        switch (init) {
            case ONES:
                java.util.Arrays.fill(values, 1f);
                break;
            case ZEROS:
                break;
            case NORMAL:
                SplittableRandom random = new SplittableRandom(seed * 31 + name.hashCode());
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (random.nextGaussian() * std);
                }
                break;
            default:
                throw new IllegalArgumentException("unknown init " + init);
        }
        return manager.create(values, shape);
    }
}
