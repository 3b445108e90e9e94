package io.microw.sae.train;

import java.util.Iterator;

/**
 * Rows of activations for SAE training, one row per token, in batches. Every call to {@link #batches} starts a
 * fresh, deterministic pass, so a resumed training can skip to where it stopped.
 */
public interface ActivationSource {

    /**
     * Width d_in of each row.
     *
     * @return the row width
     */
    int width();

    /**
     * Rows in one epoch, or -1 when unknown (then the trainer needs total_training_tokens).
     *
     * @return the number of rows, or -1
     */
    long rowsPerEpoch();

    /**
     * Batches of {@code size} rows ({@code [size][d]}; the last may be shorter) over {@code epochs} epochs.
     *
     * @param size rows per batch
     * @param epochs passes over the data
     * @return the batches
     */
    Iterator<float[][]> batches(int size, int epochs);
}
