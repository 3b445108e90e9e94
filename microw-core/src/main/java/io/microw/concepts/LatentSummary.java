package io.microw.concepts;

/**
 * How often each latent fired and how strongly, over some tokens: what a Neuronpedia export
 * ({@link NeuronpediaExport}) records beside the contexts. {@link LatentStatistics} is one.
 */
public interface LatentSummary {

    /**
     * The fraction of tokens on which a latent fired.
     *
     * @param latent the latent
     * @return its firing frequency in [0, 1]
     */
    double frequency(int latent);

    /**
     * A latent's largest activation.
     *
     * @param latent the latent
     * @return its maximum activation
     */
    float maxActivation(int latent);

    /**
     * A latent's histogram of the codes it fired with: bin i counts codes in
     * {@code [i, i+1) * histogramUpper(latent) / bins}.
     *
     * @param latent the latent
     * @return the bin counts (a copy)
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
