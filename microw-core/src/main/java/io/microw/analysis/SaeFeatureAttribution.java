package io.microw.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.concepts.ConceptDictionary;
import io.microw.lm.GradientResult;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.sae.Sae;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * SAE feature attribution: which SAE latents a metric rests on. The SAE is spliced into one layer's output with its
 * error term kept, so the forward and the metric are the model's own; one forward-backward then gives, at every
 * position, d metric / d each latent (carried back through the SAE's decoder inside the model's forward: the latents
 * are a graph leaf) and, for each active latent, activation × gradient: the first-order estimate of how much the
 * metric would drop if the latent were switched off there. The gradient of latent {@code j} is
 * {@code W_dec[j] · d metric / d layer output} (divided by the SAE's input scale).
 * <pre>{@code
 * SaeAttributionResult r = SaeFeatureAttribution.of(sae, "transformer.h.2").withConcepts(dictionary)
 *         .attribute(lm, ids, null, LogitMetric.logitDiff(he, she));
 * System.out.print(r.table(10, SaeAttributionResult.Ranking.MAGNITUDE));
 * }</pre>
 * The layer must output one vector per token ([batch, seq, d_in]) and run once per forward; the metric must be
 * differentiable ({@link LogitMetric#tensor}) and the model float32. Immutable; one value may serve many calls.
 */
public final class SaeFeatureAttribution {

    private final Sae sae;
    private final String layer;
    private final ConceptDictionary concepts;

    private SaeFeatureAttribution(Sae sae, String layer, ConceptDictionary concepts) {
        this.sae = sae;
        this.layer = layer;
        this.concepts = concepts;
    }

    /**
     * Attribution to the latents of {@code sae} spliced into {@code layer}.
     *
     * @param sae   the SAE, open while the attribution is used; closed by its owner
     * @param layer a layer name, alias or index whose output width is the SAE's d_in (checked by {@link #attribute})
     * @return the attribution, without concept names
     */
    public static SaeFeatureAttribution of(Sae sae, String layer) {
        return new SaeFeatureAttribution(Objects.requireNonNull(sae, "sae"), Objects.requireNonNull(layer, "layer"),
                null);
    }

    /**
     * The same attribution, naming latents by a concept dictionary of the SAE (names are read at each call).
     *
     * @param dictionary concepts for the SAE's latents
     * @return the new attribution
     * @throws io.microw.concepts.ConceptException when the dictionary is for another number of latents
     */
    public SaeFeatureAttribution withConcepts(ConceptDictionary dictionary) {
        Objects.requireNonNull(dictionary, "dictionary").validate(sae.dSae());
        return new SaeFeatureAttribution(sae, layer, dictionary);
    }

    /**
     * Attributes a metric of a batch to the SAE's latents at every real position, with one forward-backward.
     *
     * @param lm     a float32 language model
     * @param ids    token ids [batch][seq]
     * @param mask   1 for real tokens, 0 for padding, [batch][seq]; or {@code null} for no padding
     * @param metric a differentiable metric of the logits
     * @return the active latents' activations, gradients and attributions, and their totals
     * @throws io.microw.lm.UnknownLayerException  when the layer does not exist
     * @throws io.microw.sae.SaeException          when the layer's width is not the SAE's d_in, or the SAE is on
     *                                             another device than the model
     * @throws IllegalArgumentException            for a layer that is not [batch, seq, d], empty ids, or a metric that
     *                                             is not a differentiable single number
     */
    public SaeAttributionResult attribute(LanguageModel lm, long[][] ids, long[][] mask, LogitMetric metric) {
        Objects.requireNonNull(lm, "lm");
        Objects.requireNonNull(metric, "metric");
        if (ids == null || ids.length == 0 || ids[0] == null || ids[0].length == 0) {
            throw new IllegalArgumentException("no tokens to attribute: ids must have at least one row of at least one "
                    + "token, got " + (ids == null ? "null" : Arrays.deepToString(ids)));
        }
        sae.requireDevice(lm.device());
        String canonical = checkedLayer(lm);
        MetricCheck.requireDifferentiable(lm, metric, ids.length, ids[0].length);
        try (NDManager manager = NDManager.newBaseManager(lm.device())) {
            LatentTap tap = new LatentTap(sae, canonical, manager);
            Interventions splice = Interventions.capture(canonical).and(Interventions.edit(canonical, tap::splice));
            try (GradientResult g = lm.gradients().of(ids, mask, splice, metric, canonical)) {
                NDArray codes = sae.encode(g.cache().get(canonical));
                List<SaeAttributionResult.Entry> entries = activeEntries(codes, tap.gradient(), mask);
                return new SaeAttributionResult(canonical, g.value(), ids.length, ids[0].length, entries,
                        names(entries));
            }
        }
    }

    /** The canonical layer, after checking that it outputs [batch, seq, d_in]. */
    private String checkedLayer(LanguageModel lm) {
        String canonical = lm.layers().resolve(layer);
        long[] shape = lm.inference().layerOutputShape(canonical);
        if (shape.length != 3) {
            throw new IllegalArgumentException("layer '" + layer + "' (" + canonical + ") outputs shape "
                    + new Shape(shape) + "; SAE feature attribution needs one vector per token, [batch, seq, d]");
        }
        sae.checkInputWidth(shape[2], canonical);
        return canonical;
    }

    /** The nonzero codes at real positions with their gradients, ordered by row, position and latent. */
    private static List<SaeAttributionResult.Entry> activeEntries(NDArray codes, NDArray gradient, long[][] mask) {
        NDArray active = codes.neq(0f);
        long[] at = active.nonzero().toLongArray();
        float[] activations = codes.get(active).toFloatArray();
        float[] gradients = gradient.get(active).toFloatArray();
        List<SaeAttributionResult.Entry> entries = new ArrayList<>(activations.length);
        for (int i = 0; i < activations.length; i++) {
            int row = (int) at[3 * i];
            int position = (int) at[3 * i + 1];
            if (mask == null || mask[row][position] != 0) {
                entries.add(new SaeAttributionResult.Entry(row, position, (int) at[3 * i + 2], activations[i],
                        gradients[i], activations[i] * gradients[i]));
            }
        }
        return entries;
    }

    /** The dictionary's names of the latents among the entries. */
    private Map<Integer, String> names(List<SaeAttributionResult.Entry> entries) {
        Map<Integer, String> names = new HashMap<>();
        if (concepts != null) {
            entries.stream().mapToInt(SaeAttributionResult.Entry::latent).distinct().forEach(latent ->
                    concepts.get(latent).ifPresent(c -> names.put(latent, c.name())));
        }
        return names;
    }
}
