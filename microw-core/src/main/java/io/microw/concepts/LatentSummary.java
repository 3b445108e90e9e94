package io.microw.concepts;

/**
 * How often each latent fired and how strongly, over some tokens: what a Neuronpedia-style export
 * ({@link TopTextsExport#writeNeuronpedia}) records beside the contexts. {@link LatentStatistics} is one.
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
}
