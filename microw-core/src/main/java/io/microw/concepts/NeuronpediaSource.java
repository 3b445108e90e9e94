package io.microw.concepts;

import io.microw.sae.Sae;
import io.microw.sae.SaeException;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a Neuronpedia batch comes from: the header of SAEDashboard's {@code batch-N.json} ({@code model_id},
 * {@code layer}, {@code sae_set}, so the features land at {@code neuronpedia.org/<model_id>/<layer>-<sae_set>/<i>})
 * and the prompts the dashboards were computed on ({@code dataset}, {@code n_prompts_total},
 * {@code n_tokens_in_prompt}, repeated in every feature).
 *
 * @param modelId         Neuronpedia's model id, e.g. {@code gpt2-small}
 * @param layer           the layer number, e.g. 8 for {@code blocks.8.hook_resid_pre}
 * @param saeSet          the SAE set's name, e.g. {@code res-jb}
 * @param dataset         the prompts' dataset, e.g. {@code Skylion007/openwebtext}
 * @param nPromptsTotal   how many prompts were run
 * @param nTokensInPrompt tokens per prompt (for microw's contexts: the longest window, {@code 2 * window + 1})
 */
public record NeuronpediaSource(String modelId, int layer, String saeSet, String dataset, long nPromptsTotal,
                                int nTokensInPrompt) {

    /** The SAE set name used when an SAE names none: {@value}. */
    public static final String DEFAULT_SET = "microw";

    private static final Pattern ID = Pattern.compile("([^/]+)/(\\d+)-(.+)");
    private static final Pattern NUMBER = Pattern.compile("(\\d+)");

    /**
     * Checks the values.
     *
     * @param modelId the model id, not blank
     * @param layer the layer number, at least 0
     * @param saeSet the set name, not blank
     * @param dataset the dataset (may be empty)
     * @param nPromptsTotal prompts run, at least 0
     * @param nTokensInPrompt tokens per prompt, at least 0
     */
    public NeuronpediaSource {
        Objects.requireNonNull(dataset, "dataset");
        if (modelId == null || modelId.isBlank() || saeSet == null || saeSet.isBlank()) {
            throw new SaeException("a Neuronpedia source needs a model id and an SAE set, got '" + modelId + "' and '"
                    + saeSet + "'");
        }
        if (layer < 0 || nPromptsTotal < 0 || nTokensInPrompt < 0) {
            throw new SaeException("a Neuronpedia source's layer and counts must be >= 0, got layer " + layer + ", "
                    + nPromptsTotal + " prompts, " + nTokensInPrompt + " tokens per prompt");
        }
    }

    /**
     * The source an SAE names in its metadata ({@code neuronpedia_id}, e.g. {@code gpt2-small/0-res-jb}), else
     * {@code <modelName>/<first number in layerName>-}{@value #DEFAULT_SET}.
     *
     * @param sae the SAE, perhaps with a {@code neuronpedia_id}
     * @param modelName the model's name, used without a Neuronpedia id
     * @param layerName the layer's name, e.g. {@code transformer.h.2}, used without a Neuronpedia id
     * @param dataset the prompts' dataset
     * @param nPromptsTotal prompts run
     * @param nTokensInPrompt tokens per prompt
     * @return the source
     */
    public static NeuronpediaSource of(Sae sae, String modelName, String layerName, String dataset,
                                       long nPromptsTotal, int nTokensInPrompt) {
        Object id = sae.config().metadata().get("neuronpedia_id");
        if (id != null) {
            return parse(id.toString(), dataset, nPromptsTotal, nTokensInPrompt);
        }
        Matcher m = NUMBER.matcher(layerName);
        if (!m.find()) {
            throw new SaeException("no layer number in layer '" + layerName + "' and the SAE has no neuronpedia_id: "
                    + "give the Neuronpedia id (MODEL/LAYER-SET) explicitly");
        }
        return new NeuronpediaSource(modelName, Integer.parseInt(m.group(1)), DEFAULT_SET, dataset, nPromptsTotal,
                nTokensInPrompt);
    }

    /**
     * The source a Neuronpedia SAE id names, {@code MODEL/LAYER-SET} (e.g. {@code gemma-2-2b/0-gemmascope-res-16k}).
     *
     * @param neuronpediaId the id
     * @param dataset the prompts' dataset
     * @param nPromptsTotal prompts run
     * @param nTokensInPrompt tokens per prompt
     * @return the source
     */
    public static NeuronpediaSource parse(String neuronpediaId, String dataset, long nPromptsTotal,
                                          int nTokensInPrompt) {
        Matcher m = ID.matcher(neuronpediaId);
        if (!m.matches()) {
            throw new SaeException("Neuronpedia id '" + neuronpediaId + "' is not MODEL/LAYER-SET "
                    + "(e.g. gpt2-small/0-res-jb)");
        }
        return new NeuronpediaSource(m.group(1), Integer.parseInt(m.group(2)), m.group(3), dataset, nPromptsTotal,
                nTokensInPrompt);
    }
}
