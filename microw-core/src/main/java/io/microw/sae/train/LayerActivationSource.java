package io.microw.sae.train;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Rows of several layers' activations, aligned token by token, in batches: one pass feeds several SAEs
 * ({@link SaeTrainer#trainTogether}). Every call to {@link #batches} starts a fresh deterministic pass.
 */
public interface LayerActivationSource {

    /** The layers each batch holds. */
    List<String> layers();

    /** Width of a layer's rows. */
    int width(String layer);

    /** Rows (tokens) in one epoch, or -1 when unknown. */
    long rowsPerEpoch();

    /** Batches of {@code size} tokens: per layer, {@code [rows][width]}, rows aligned across layers. */
    Iterator<Map<String, float[][]>> batches(int size, int epochs);

    /** One layer of this source as a single-layer source (used to initialise that layer's SAE). */
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
