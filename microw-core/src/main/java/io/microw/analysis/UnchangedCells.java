package io.microw.analysis;

import ai.djl.ndarray.NDArray;
import io.microw.lm.ActivationCache;

/**
 * Where a clean and a corrupted run of equal length have bit-identical activations, per layer, position and head
 * ({@code [1, seq, d]} layers have one "head"; {@code [1, seq, heads, d_head]} layers such as {@code hook_z} have
 * theirs): patching such a cell changes nothing, so a sweep need not run it.
 */
final class UnchangedCells {

    /** Per layer, [position * heads + head]: true where every value of the cell is the same in both runs. */
    private final boolean[][] same;
    private final int seq;
    private final int heads;

    private UnchangedCells(boolean[][] same, int seq, int heads) {
        this.same = same;
        this.seq = seq;
        this.heads = heads;
    }

    /** Compares the two caches' values of each layer in {@code names} (one row each, in layer order). */
    static UnchangedCells of(ActivationCache clean, ActivationCache corrupt, String[] names) {
        boolean[][] same = new boolean[names.length][];
        int seq = 0;
        int heads = 1;
        for (int l = 0; l < names.length; l++) {
            NDArray a = clean.get(names[l]);
            seq = (int) a.getShape().get(1);
            heads = a.getShape().dimension() >= 4 ? (int) a.getShape().get(2) : 1;
            try (NDArray difference = a.sub(corrupt.get(names[l])).abs().max(new int[] {-1})) {
                float[] largest = difference.toFloatArray();
                same[l] = new boolean[largest.length];
                for (int i = 0; i < largest.length; i++) {
                    same[l][i] = largest[i] == 0;
                }
            }
        }
        return new UnchangedCells(same, seq, heads);
    }

    /**
     * Whether every (position, head) a cell covers is unchanged ({@code -1} for every position or every head).
     *
     * @param layer    the layer
     * @param position the position, or -1 for all
     * @param head     the head, or -1 for all
     * @return true when patching the cell changes nothing
     */
    boolean all(int layer, int position, int head) {
        for (int p = 0; p < seq; p++) {
            for (int h = 0; h < heads; h++) {
                if ((position < 0 || position == p) && (head < 0 || head == h) && !same[layer][p * heads + h]) {
                    return false;
                }
            }
        }
        return true;
    }
}
