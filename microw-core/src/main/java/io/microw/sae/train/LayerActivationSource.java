package io.microw.sae.train;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Rows of several layers' activations, aligned token by token, in batches: one pass feeds several SAEs
 * ({@link SaeTrainer#trainTogether}). Every call to {@link #batches} starts a fresh deterministic pass.
 */
public interface LayerActivationSource {

    /**
     * The layers each batch holds.
     *
     * @return the canonical layer names
     */
    List<String> layers();

    /**
     * Width of a layer's rows.
     *
     * @param layer one of {@link #layers()}
     * @return the width
     */
    int width(String layer);

    /**
     * Rows (tokens) in one epoch, or -1 when unknown.
     *
     * @return the number of rows, or -1
     */
    long rowsPerEpoch();

    /**
     * Batches of {@code size} tokens: per layer, {@code [rows][width]}, rows aligned across layers.
     *
     * @param size tokens per batch
     * @param epochs passes over the data
     * @return the batches
     */
    Iterator<Map<String, float[][]>> batches(int size, int epochs);

    /**
     * One layer of this source as a single-layer source (used to initialise that layer's SAE).
     *
     * @param layer one of {@link #layers()}
     * @return a single-layer view of this source
     */
    default ActivationSource layer(String layer) {
        if (!layers().contains(layer)) {
            throw new io.microw.sae.SaeException("the source has no layer '" + layer + "'; it has " + layers());
        }
        LayerActivationSource all = this;
        return new ActivationSource() {
            @Override
            public int width() {
                return all.width(layer);
            }

            @Override
            public long rowsPerEpoch() {
                return all.rowsPerEpoch();
            }

            @Override
            public Iterator<float[][]> batches(int size, int epochs) {
                Iterator<Map<String, float[][]>> it = all.batches(size, epochs);
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public float[][] next() {
                        return it.next().get(layer);
                    }
                };
            }
        };
    }
}
