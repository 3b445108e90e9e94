package io.microw.concepts;

/**
 * How often each latent fired and how strongly, over some tokens: what a Neuronpedia export
 * ({@link NeuronpediaExport}) records beside the contexts and what a {@link FeatureDashboard} shows.
 * {@link LatentStatistics} is one; {@link LatentSummaryFile} reads one from a statistics file.
 */
public interface LatentSummary {

    /**
     * The counted tokens the statistics cover.
     *
     * @return the number of tokens
     */
    long tokens();

    /**
     * Tokens on which a latent fired.
     *
     * @param latent the latent
     * @return its number of firings
     */
    long firings(int latent);

    /**
     * The fraction of tokens on which a latent fired.
     *
     * @param latent the latent
     * @return its firing frequency in [0, 1]
     */
    double frequency(int latent);

    /**
     * A latent's mean activation when it fired (0 if it never fired).
     *
     * @param latent the latent
     * @return its mean activation
     */
    double meanActivation(int latent);

    /**
     * A latent's largest activation.
     *
     * @param latent the latent
     * @return its maximum activation
     */
    float maxActivation(int latent);

    /**
     * The counts of a latent's activations in equal bins over {@code [0, histogramUpper(latent))}; an empty array
     * when the source recorded no histogram.
     *
     * @param latent the latent
     * @return the bin counts (a copy), or an empty array
     */
    long[] histogram(int latent);

    /**
     * The upper end of a latent's histogram range.
     *
     * @param latent the latent
     * @return the upper end
     */
    float histogramUpper(int latent);
}
