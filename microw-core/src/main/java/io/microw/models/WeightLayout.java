package io.microw.models;

import java.util.List;

/**
 * Where TransformerLens' weight processing ({@link WeightProcessing}) finds one model's weights, by Hugging Face
 * module name: each norm with the linear layers that read its output, the embeddings and linear layers that write
 * to the residual stream, where each block's value bias lies, and the output head.
 *
 * @param layerNorm      true for LayerNorm models (fold the bias too, centre the readers; the only models whose
 *                       writing weights may be centred), false for RMSNorm models
 * @param norms          every residual-stream norm with its readers, the final norm last
 * @param embeddings     {@code nn.Embedding} modules that add to the residual stream (token and learned position
 *                       embeddings)
 * @param writers        linear layers whose output is added to the residual stream (attention and MLP outputs)
 * @param valueBiases    one per block whose attention has a value bias
 * @param unembed        the output head's linear layer
 * @param softcapsLogits whether the output logits pass a soft cap (then centring the unembedding changes log-probs)
 */
record WeightLayout(boolean layerNorm, List<NormReaders> norms, List<String> embeddings, List<String> writers,
                           List<ValueBias> valueBiases, String unembed, boolean softcapsLogits) {

    /**
     * A norm and the linear layers that read its output.
     *
     * @param norm    the norm module's name
     * @param readers the linear layers applied to its output
     */
    public record NormReaders(String norm, List<String> readers) {
    }

    /**
     * Where one attention's value bias lies: in {@code projection}'s bias, at {@code rows[j]} for channel j of the
     * concatenated per-query-head values (heads × head_dim, a key/value head's rows repeated for every query head
     * that shares it), which {@code output} (the attention's output projection) reads in that order.
     *
     * @param projection the linear layer holding the value bias (a fused q/k/v projection or {@code v_proj})
     * @param rows       for each value channel of the output projection's input, its row in the projection's bias
     * @param output     the attention's output projection
     */
    public record ValueBias(String projection, long[] rows, String output) {

        /**
         * A value bias stored contiguously, key/value head after key/value head, from {@code offset} in the
         * projection's bias ({@code v_proj}: 0; a fused q/k/v projection: after the query and key rows).
         *
         * @param projection the linear layer holding the value bias
         * @param output     the attention's output projection
         * @param offset     the first value row in the projection's bias
         * @param heads      query heads
         * @param kvHeads    key/value heads, dividing {@code heads}
         * @param headDim    channels per head
         * @return the site
         */
        public static ValueBias grouped(String projection, String output, long offset, int heads, int kvHeads,
                int headDim) {
            long[] rows = new long[heads * headDim];
            int groups = heads / kvHeads;
            for (int j = 0; j < rows.length; j++) {
                rows[j] = offset + (long) (j / headDim / groups) * headDim + j % headDim;
            }
            return new ValueBias(projection, rows, output);
        }
    }
}
