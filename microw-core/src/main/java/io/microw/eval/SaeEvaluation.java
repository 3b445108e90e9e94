package io.microw.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of {@link SaeEvaluator}: reconstruction, sparsity, density and downstream (CE / KL) metrics of an
 * SAE spliced into a model at one layer, under SAELens' metric names.
 *
 * <p>Definitions (per token means are over the tokens the evaluation counts: real tokens, without special
 * tokens unless asked otherwise):
 * <ul>
 *   <li>{@code reconstruction}: {@code mse}, {@code explained_variance}, {@code explained_variance_legacy},
 *       {@code l0}, {@code l1}, {@code l2_ratio} as {@link io.microw.sae.ReconstructionStats} defines them;</li>
 *   <li>{@code cossim}: mean cosine similarity of input and reconstruction; {@code l2_norm_in},
 *       {@code l2_norm_out}: mean norms; {@code relative_reconstruction_bias}: Σ‖x̂‖² / Σ x·x̂;</li>
 *   <li>{@code ce_loss_without_sae}, {@code ce_loss_with_sae}, {@code ce_loss_with_ablation}: mean next-token
 *       cross-entropy (nats) of the clean model, with the layer's output replaced by the SAE's reconstruction,
 *       and with it replaced by zeros; {@code ce_loss_score} = (ablation − sae) / (ablation − clean);</li>
 *   <li>{@code kl_div_with_sae}, {@code kl_div_with_ablation}: mean KL(clean ‖ changed) of the next-token
 *       distributions; {@code kl_div_score} = (ablation − sae) / ablation;</li>
 *   <li>{@code dead_fraction}: latents that never fired on the evaluated tokens; {@code dense_fraction}: latents
 *       firing on more than {@code dense_threshold} of them; {@link #featureDensity()}: per-latent frequency.</li>
 * </ul>
 * Scores are NaN when their denominator is 0 (e.g. a layer whose ablation changes nothing).
 *
 * @param layer           canonical name of the layer the SAE was evaluated at
 * @param texts           texts evaluated
 * @param tokens          tokens in the reconstruction, sparsity and KL metrics
 * @param ceTokens        next-token predictions in the CE metrics
 * @param reconstruction  {@link io.microw.sae.ReconstructionStats#toMap()}
 * @param featureDensity  per latent, the fraction of evaluated tokens it fired on (code > 0)
 */
public record SaeEvaluation(String layer, long texts, long tokens, long ceTokens, Map<String, Double> reconstruction,
                            double cossim, double l2NormIn, double l2NormOut, double relativeReconstructionBias,
                            double ceClean, double ceSpliced, double ceZeroAblation, double klSpliced,
                            double klZeroAblation, double deadFraction, double denseFraction, double denseThreshold,
                            double[] featureDensity) {

    /**
     * Copies the map and the density array, so that the record is immutable.
     *
     * @param layer canonical name of the layer
     * @param texts texts evaluated
     * @param tokens tokens in the reconstruction, sparsity and KL metrics
     * @param ceTokens next-token predictions in the CE metrics
     * @param reconstruction the reconstruction metrics by SAELens name
     * @param cossim mean cosine similarity of input and reconstruction
     * @param l2NormIn mean norm of the input
     * @param l2NormOut mean norm of the reconstruction
     * @param relativeReconstructionBias Σ‖x̂‖² / Σ x·x̂
     * @param ceClean mean cross-entropy of the clean model
     * @param ceSpliced mean cross-entropy with the SAE spliced in
     * @param ceZeroAblation mean cross-entropy with the layer's output zeroed
     * @param klSpliced mean KL divergence with the SAE spliced in
     * @param klZeroAblation mean KL divergence with the layer's output zeroed
     * @param deadFraction fraction of latents that never fired
     * @param denseFraction fraction of latents firing on more than {@code denseThreshold} of the tokens
     * @param denseThreshold the density threshold
     * @param featureDensity per latent, the fraction of tokens it fired on
     */
    public SaeEvaluation {
        reconstruction = Map.copyOf(reconstruction);
        featureDensity = featureDensity.clone();
    }

    /**
     * A copy of the per-latent firing frequencies.
     *
     * @return the frequencies, one per latent
     */
    @Override
    public double[] featureDensity() {
        return featureDensity.clone();
    }

    /**
     * Mean squared error of the reconstruction per token ({@code mse}).
     *
     * @return the mean squared error
     */
    public double mse() {
        return reconstruction.get("mse");
    }

    /**
     * Fraction of the input's variance the reconstruction explains ({@code explained_variance}).
     *
     * @return the explained variance, at most 1
     */
    public double explainedVariance() {
        return reconstruction.get("explained_variance");
    }

    /**
     * Explained variance in SAELens' older definition ({@code explained_variance_legacy}).
     *
     * @return the legacy explained variance
     */
    public double explainedVarianceLegacy() {
        return reconstruction.get("explained_variance_legacy");
    }

    /**
     * Mean number of active latents per token ({@code l0}).
     *
     * @return the mean L0
     */
    public double l0() {
        return reconstruction.get("l0");
    }

    /**
     * Mean L1 norm of the latent codes per token ({@code l1}).
     *
     * @return the mean L1
     */
    public double l1() {
        return reconstruction.get("l1");
    }

    /**
     * Mean ratio of the reconstruction's norm to the input's ({@code l2_ratio}).
     *
     * @return the mean L2 ratio
     */
    public double l2Ratio() {
        return reconstruction.get("l2_ratio");
    }

    /**
     * (ce_zero_ablation − ce_spliced) / (ce_zero_ablation − ce_clean): 1 is a perfect SAE, 0 no better than zeros.
     *
     * @return the CE loss score, NaN when ablating the layer does not change the loss
     */
    public double ceLossScore() {
        double den = ceZeroAblation - ceClean;
        return den == 0 ? Double.NaN : (ceZeroAblation - ceSpliced) / den;
    }

    /**
     * (kl_zero_ablation − kl_spliced) / kl_zero_ablation: 1 is a perfect SAE, 0 no better than zeros.
     *
     * @return the KL divergence score, NaN when ablating the layer does not change the predictions
     */
    public double klDivScore() {
        return klZeroAblation == 0 ? Double.NaN : (klZeroAblation - klSpliced) / klZeroAblation;
    }

    /**
     * Every scalar metric under its SAELens name, in a flat, JSON-friendly map (numbers and the layer name;
     * NaN stays NaN, which strict JSON writers must be told how to write). The per-latent density is left out:
     * see {@link #featureDensity()}.
     *
     * @return a new map from metric name to value
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layer", layer);
        m.put("texts", texts);
        m.put("tokens", tokens);
        m.put("ce_tokens", ceTokens);
        for (String key : new String[] {"mse", "explained_variance", "explained_variance_legacy", "l0", "l1",
                "l2_ratio"}) {
            m.put(key, reconstruction.get(key));
        }
        m.put("cossim", cossim);
        m.put("l2_norm_in", l2NormIn);
        m.put("l2_norm_out", l2NormOut);
        m.put("relative_reconstruction_bias", relativeReconstructionBias);
        m.put("ce_loss_score", ceLossScore());
        m.put("ce_loss_without_sae", ceClean);
        m.put("ce_loss_with_sae", ceSpliced);
        m.put("ce_loss_with_ablation", ceZeroAblation);
        m.put("kl_div_score", klDivScore());
        m.put("kl_div_with_sae", klSpliced);
        m.put("kl_div_with_ablation", klZeroAblation);
        m.put("dead_fraction", deadFraction);
        m.put("dense_fraction", denseFraction);
        m.put("dense_threshold", denseThreshold);
        return m;
    }

    /**
     * The metrics grouped as SAELens' {@code run_evals} groups them (plus a {@code feature_stats} group).
     *
     * @return a new map from group name to that group's metrics
     */
    public Map<String, Map<String, Object>> toNestedMap() {
        Map<String, Object> flat = toMap();
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        group(m, flat, "model_behavior_preservation", "kl_div_score", "kl_div_with_ablation", "kl_div_with_sae");
        group(m, flat, "model_performance_preservation", "ce_loss_score", "ce_loss_with_ablation",
                "ce_loss_with_sae", "ce_loss_without_sae");
        group(m, flat, "reconstruction_quality", "explained_variance", "explained_variance_legacy", "mse", "cossim");
        group(m, flat, "shrinkage", "l2_norm_in", "l2_norm_out", "l2_ratio", "relative_reconstruction_bias");
        group(m, flat, "sparsity", "l0", "l1");
        group(m, flat, "feature_stats", "dead_fraction", "dense_fraction", "dense_threshold");
        group(m, flat, "token_stats", "layer", "texts", "tokens", "ce_tokens");
        return m;
    }

    private static void group(Map<String, Map<String, Object>> out, Map<String, Object> flat, String name,
                              String... keys) {
        Map<String, Object> g = new LinkedHashMap<>();
        for (String k : keys) {
            g.put(k, flat.get(k));
        }
        out.put(name, g);
    }

    @Override
    public String toString() {
        return "SaeEvaluation" + toMap();
    }
}
