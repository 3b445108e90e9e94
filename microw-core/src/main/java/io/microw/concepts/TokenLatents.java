package io.microw.concepts;

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

    public int rows() {
        return rows;
    }

    public int seqLength() {
        return seq;
    }

    /** Active latents at row b, position s (a copy). */
    public int[] latents(int b, int s) {
        return latents[b * seq + s].clone();
    }

    /** Their codes (a copy). */
    public float[] values(int b, int s) {
        return values[b * seq + s].clone();
    }

    /** Whether the token at (b, s) is a real, non-special token. */
    public boolean counted(int b, int s) {
        return counted[b][s];
    }

    /** Token ids of row b (a copy). */
    public long[] tokenIds(int b) {
        return tokenIds[b].clone();
    }

    /** The batch's texts, or an empty list when the forward was given ids. */
    public List<String> texts() {
        return texts;
    }

    /** The code of {@code latent} at (b, s), 0 when it is not active. */
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
