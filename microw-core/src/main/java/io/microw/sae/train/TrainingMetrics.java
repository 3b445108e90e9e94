package io.microw.sae.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Metrics logged every {@code metricsEvery} steps, averaged over the steps since the last log, with SAELens'
 * names in {@link #toMap()}: mse (summed over d_in, averaged over tokens, on scaled inputs), explained_variance,
 * l0, l1, l2_ratio (shrinkage), dead and dense latent fractions (over the dead-feature window / firing frequency
 * since the start), the learning rate and throughput.
 */
public record TrainingMetrics(long step, long totalSteps, long tokens, double lr, double loss, double mse,
                              double auxLoss, double sparsityLoss, double explainedVariance, double l0, double l1,
                              double l2Ratio, double deadFraction, double denseFraction, double tokensPerSecond) {

    /**
     * The metrics under SAELens-style snake_case names.
     *
     * @return a new map from metric name to value
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("total_steps", totalSteps);
        m.put("n_training_tokens", tokens);
        m.put("lr", lr);
        m.put("loss", loss);
        m.put("mse", mse);
        m.put("aux_loss", auxLoss);
        m.put("sparsity_loss", sparsityLoss);
        m.put("explained_variance", explainedVariance);
        m.put("l0", l0);
        m.put("l1", l1);
        m.put("l2_ratio", l2Ratio);
        m.put("dead_fraction", deadFraction);
        m.put("dense_fraction", denseFraction);
        m.put("tokens_per_second", tokensPerSecond);
        return m;
    }

    /** Reads a {@link #toMap()} map back. */
    static TrainingMetrics fromMap(Map<String, Object> m) {
        return new TrainingMetrics(num(m, "step").longValue(), num(m, "total_steps").longValue(),
                num(m, "n_training_tokens").longValue(), d(m, "lr"), d(m, "loss"), d(m, "mse"), d(m, "aux_loss"),
                d(m, "sparsity_loss"), d(m, "explained_variance"), d(m, "l0"), d(m, "l1"), d(m, "l2_ratio"),
                d(m, "dead_fraction"), d(m, "dense_fraction"), d(m, "tokens_per_second"));
    }

    private static Number num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v instanceof Number n ? n : Double.NaN;
    }

    private static double d(Map<String, Object> m, String key) {
        return num(m, key).doubleValue();
    }
}
