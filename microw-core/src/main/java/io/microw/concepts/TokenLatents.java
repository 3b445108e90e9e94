package io.microw.concepts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;

import java.util.List;

/**
 * An SAE's codes for one forward, token by token, as sparse lists: for row {@code b} and position {@code s}, the
 * active latents {@code latents(b, s)} with {@code values(b, s)} (the SAE's actual codes, after its activation).
 * Also the batch's texts (empty when the forward was given ids) and, per position, whether the token counts (a
 * real token that is not a special token).
 */
public final class TokenLatents {

    private final int rows;
    private final int seq;
    private final int[][] latents;
    private final float[][] values;
    private final boolean[][] counted;
    private final long[][] tokenIds;
    private final List<String> texts;

    /**
     * The active latents of each token of a batch; the arrays are kept, not copied.
     *
     * @param rows rows of the batch
     * @param seq sequence length
     * @param latents per token ({@code b * seq + s}), the active latents
     * @param values per token, their codes
     * @param counted per row and position, whether the token is a real, non-special one
     * @param tokenIds per row, the token ids
     * @param texts the batch's texts, or an empty list
     */
    public TokenLatents(int rows, int seq, int[][] latents, float[][] values, boolean[][] counted, long[][] tokenIds,
                        List<String> texts) {
        this.rows = rows;
        this.seq = seq;
        this.latents = latents;
        this.values = values;
        this.counted = counted;
        this.tokenIds = tokenIds;
        this.texts = List.copyOf(texts);
    }

    /**
     * Sparse per-token lists from an SAE's dense codes {@code [rows, seq, d_sae]} (TopK: its k latents, read with one
     * top-k; other SAEs: every non-zero code).
     *
     * @param sae the SAE that made the codes
     * @param codes the dense codes, [rows, seq, d_sae]
     * @param counted per row and position, whether the token is a real, non-special one
     * @param tokenIds per row, the token ids
     * @param texts the batch's texts, or an empty list
     * @return the sparse lists
     */
    public static TokenLatents fromCodes(Sae sae, NDArray codes, boolean[][] counted, long[][] tokenIds,
                                         List<String> texts) {
        long[] shape = codes.getShape().getShape();
        int rows = (int) shape[0];
        int seq = shape.length == 3 ? (int) shape[1] : 1;
        int n = rows * seq;
        int[][] latents = new int[n][];
        float[][] values = new float[n][];
        if (sae.architecture() == SaeArchitecture.TOPK) {
            NDList top = codes.reshape(n, sae.dSae()).topK(sae.config().k(), -1, true, false);
            float[] v = top.get(0).toFloatArray();
            long[] idx = top.get(1).toLongArray();
            int k = sae.config().k();
            for (int i = 0; i < n; i++) {
                int count = 0;
                for (int j = 0; j < k; j++) {
                    if (v[i * k + j] > 0) {
                        count++;
                    }
                }
                latents[i] = new int[count];
                values[i] = new float[count];
                for (int j = 0, c = 0; j < k; j++) {
                    if (v[i * k + j] > 0) {
                        latents[i][c] = (int) idx[i * k + j];
                        values[i][c++] = v[i * k + j];
                    }
                }
            }
        } else {
            float[] dense = codes.toFloatArray();
            int d = sae.dSae();
            for (int i = 0; i < n; i++) {
                int count = 0;
                for (int l = 0; l < d; l++) {
                    if (dense[i * d + l] != 0) {
                        count++;
                    }
                }
                latents[i] = new int[count];
                values[i] = new float[count];
                for (int l = 0, c = 0; l < d; l++) {
                    if (dense[i * d + l] != 0) {
                        latents[i][c] = l;
                        values[i][c++] = dense[i * d + l];
                    }
                }
            }
        }
        return new TokenLatents(rows, seq, latents, values, counted, tokenIds, texts);
    }

    /**
     * Number of rows (texts) in the batch.
     *
     * @return the number of rows
     */
    public int rows() {
        return rows;
    }

    /**
     * Sequence length of the batch.
     *
     * @return the sequence length
     */
    public int seqLength() {
        return seq;
    }

    /**
     * Active latents at row b, position s (a copy).
     *
     * @param b the row
     * @param s the position
     * @return the latent indices
     */
    public int[] latents(int b, int s) {
        return latents[b * seq + s].clone();
    }

    /**
     * Their codes (a copy).
     *
     * @param b the row
     * @param s the position
     * @return the codes, in the order of {@link #latents(int, int)}
     */
    public float[] values(int b, int s) {
        return values[b * seq + s].clone();
    }

    /**
     * Whether the token at (b, s) is a real, non-special token.
     *
     * @param b the row
     * @param s the position
     * @return whether the token counts
     */
    public boolean counted(int b, int s) {
        return counted[b][s];
    }

    /**
     * Token ids of row b (a copy).
     *
     * @param b the row
     * @return the token ids
     */
    public long[] tokenIds(int b) {
        return tokenIds[b].clone();
    }

    /**
     * The batch's texts, or an empty list when the forward was given ids.
     *
     * @return the texts
     */
    public List<String> texts() {
        return texts;
    }

    /**
     * The code of {@code latent} at (b, s), 0 when it is not active.
     *
     * @param b the row
     * @param s the position
     * @param latent the latent's index
     * @return the code
     */
    public float value(int b, int s, int latent) {
        int[] l = latents[b * seq + s];
        for (int i = 0; i < l.length; i++) {
            if (l[i] == latent) {
                return values[b * seq + s][i];
            }
        }
        return 0f;
    }

    int[] latentsView(int b, int s) {
        return latents[b * seq + s];
    }

    float[] valuesView(int b, int s) {
        return values[b * seq + s];
    }

    long[] tokenIdsView(int b) {
        return tokenIds[b];
    }
}
