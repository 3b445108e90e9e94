package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.models.ModelConfig;

import java.util.Arrays;

/** Checks and converts the token-id arrays a forward is given. */
final class BatchInputs {

    private BatchInputs() {
    }

    /** Rejects empty, ragged, out-of-vocabulary or over-long input with a message naming the value. */
    static void validate(long[][] ids, long[][] mask, long[][] positions, ModelConfig config) {
        if (ids == null || ids.length == 0) {
            throw new IllegalArgumentException("no input ids given: the batch is empty");
        }
        int seq = ids[0].length;
        if (seq == 0) {
            throw new IllegalArgumentException("input ids have no tokens (sequence length 0)");
        }
        if (seq > config.maxPositions()) {
            throw new IllegalArgumentException("sequence length " + seq + " exceeds the model's context of "
                    + config.maxPositions() + " positions");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i].length != seq) {
                throw new IllegalArgumentException("input ids are ragged: row 0 has " + seq + " tokens, row " + i
                        + " has " + ids[i].length + "; pad them and pass an attention mask");
            }
            for (int j = 0; j < seq; j++) {
                long id = ids[i][j];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " at row " + i + ", position " + j
                            + " is outside the vocabulary [0, " + config.vocabSize() + ")");
                }
            }
        }
        checkShape("attention mask", mask, ids.length, seq);
        if (mask != null) {
            for (long[] row : mask) {
                for (long m : row) {
                    if (m != 0 && m != 1) {
                        throw new IllegalArgumentException("attention mask values must be 0 or 1, got " + m);
                    }
                }
            }
        }
        checkShape("position ids", positions, ids.length, seq);
        if (positions != null) {
            for (long[] row : positions) {
                for (long p : row) {
                    if (p < 0 || p >= config.maxPositions()) {
                        throw new IllegalArgumentException("position id " + p + " is outside [0, "
                                + config.maxPositions() + ")");
                    }
                }
            }
        }
    }

    private static void checkShape(String what, long[][] values, int rows, int cols) {
        if (values == null) {
            return;
        }
        if (values.length != rows) {
            throw new IllegalArgumentException(what + " has " + values.length + " rows but input ids have " + rows);
        }
        for (int i = 0; i < rows; i++) {
            if (values[i].length != cols) {
                throw new IllegalArgumentException(what + " row " + i + " has " + values[i].length
                        + " entries but input ids have " + cols);
            }
        }
    }

    static long[][] ones(long[][] ids) {
        long[][] mask = new long[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            mask[i] = new long[ids[i].length];
            Arrays.fill(mask[i], 1);
        }
        return mask;
    }

    /** Positions that follow the mask: cumsum(mask) - 1, clamped at 0, so a padded row computes as it would alone. */
    static long[][] positionsFromMask(long[][] mask) {
        long[][] pos = new long[mask.length][];
        for (int i = 0; i < mask.length; i++) {
            pos[i] = new long[mask[i].length];
            long count = 0;
            for (int j = 0; j < mask[i].length; j++) {
                count += mask[i][j];
                pos[i][j] = Math.max(0, count - 1);
            }
        }
        return pos;
    }

    static long[][] appendOnes(long[][] mask) {
        long[][] out = new long[mask.length][];
        for (int i = 0; i < mask.length; i++) {
            out[i] = Arrays.copyOf(mask[i], mask[i].length + 1);
            out[i][mask[i].length] = 1;
        }
        return out;
    }

    static NDArray toArray(NDManager manager, long[][] values) {
        int rows = values.length;
        int cols = values[0].length;
        long[] flat = new long[rows * cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(values[i], 0, flat, i * cols, cols);
        }
        return manager.create(flat, new Shape(rows, cols));
    }
}
