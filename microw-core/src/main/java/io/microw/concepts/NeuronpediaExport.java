package io.microw.concepts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.JsonMapper;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Writes features in the layout SAEDashboard's Neuronpedia runner uploads ({@code batch-N.json}: a header with
 * {@code model_id}, {@code layer}, {@code sae_set} and one object per feature), computed the way SAEDashboard
 * computes them:
 * <ul>
 *   <li>{@code neuron_alignment_*}: the 3 largest entries of {@code W_dec[latent]} and their share of its L1 norm;</li>
 *   <li>{@code pos_*}/{@code neg_*}: the 10 tokens with the largest and smallest logit change
 *       {@code W_U · W_dec[latent]}, and {@code logits_hist_*}: those changes over the whole vocabulary in 50 equal
 *       bins (empty without a model whose {@code lm_head} fits the SAE);</li>
 *   <li>{@code frac_nonzero} and {@code freq_hist_*}: the firing frequency (rounded as SAEDashboard's percentage
 *       title rounds it) and the histogram of the codes the latent fired with (microw's streaming histogram:
 *       {@link LatentStatistics#BINS} bins from 0, where SAEDashboard bins from the smallest firing);</li>
 *   <li>{@code activations}: the top contexts as one "TOP ACTIVATIONS" group ({@code bin_min} and
 *       {@code bin_contains} -1, {@code bin_max} the latent's maximum), each with its tokens, the latent's code on
 *       every token and the firing token's index ({@code qualifying_token_index}); no DFA values.</li>
 * </ul>
 * Correlated neurons and features (which need the model's neuron activations) and {@code decoder_weights_dist}
 * (attention SAEs only) are left empty, as SAEDashboard leaves them when it does not compute them. microw adds one
 * key per feature, {@code explanations}: {@code [{"description": name}]} from a concept dictionary, else empty.
 * Numbers are rounded to 5 decimals, as SAEDashboard's converter rounds them.
 */
public final class NeuronpediaExport {

    /** Rows of the positive and negative logit tables. */
    public static final int LOGIT_ROWS = 10;
    /** Rows of the neuron alignment table. */
    public static final int ALIGNMENT_ROWS = 3;
    /** Bins of the logit histogram. */
    public static final int LOGIT_BINS = 50;

    private static final ObjectMapper JSON = JsonMapper.mapper();

    private final Sae sae;
    private final Unembedding unembedding;
    private final ConceptDictionary names;

    /**
     * @param sae   the SAE whose latents are exported
     * @param lm    the model, for the logit tables and histogram; {@code null} (or a model without an
     *              {@code lm_head} of the SAE's width) leaves them empty
     * @param names concept names for the explanations, or {@code null} for none
     */
    public NeuronpediaExport(Sae sae, LanguageModel lm, ConceptDictionary names) {
        this(sae, Unembedding.of(lm, Objects.requireNonNull(sae, "sae")), names);
    }

    NeuronpediaExport(Sae sae, Unembedding unembedding, ConceptDictionary names) {
        this.sae = Objects.requireNonNull(sae, "sae");
        this.unembedding = unembedding;
        this.names = names;
        if (names != null && names.dSae() != sae.dSae()) {
            throw new SaeException("the concept dictionary has " + names.dSae() + " latents; the SAE has "
                    + sae.dSae());
        }
    }

    /**
     * Writes a tracker's latents (with its own statistics) as one batch file, atomically.
     *
     * @param tracker the tracked contexts and statistics
     * @param latents the latents to export
     * @param source  the batch header and the prompts' description
     * @param file    the JSON file to write (Neuronpedia's importer reads {@code batch-*.json})
     */
    public void write(TopTextTracker tracker, List<Integer> latents, NeuronpediaSource source, Path file) {
        write(tracker, tracker.statistics(), latents, source, file);
    }

    /**
     * Writes latents from any source of contexts and the statistics over the same tokens as one batch file,
     * atomically.
     *
     * @param texts   the contexts
     * @param stats   how often and how strongly each latent fired, over the same tokens
     * @param latents the latents to export
     * @param source  the batch header and the prompts' description
     * @param file    the JSON file to write
     */
    public void write(TopTextSource texts, LatentSummary stats, List<Integer> latents, NeuronpediaSource source,
                      Path file) {
        ObjectNode batch = batch(texts, stats, latents, source);
        TopTextsExport.write(file, w -> JSON.writeValue(w, batch));
    }

    /**
     * The batch as a JSON tree.
     *
     * @param texts   the contexts
     * @param stats   the statistics over the same tokens
     * @param latents the latents to export
     * @param source  the batch header and the prompts' description
     * @return the batch object
     */
    public ObjectNode batch(TopTextSource texts, LatentSummary stats, List<Integer> latents,
                            NeuronpediaSource source) {
        if (texts.latents() != sae.dSae()) {
            throw new SaeException("the contexts have " + texts.latents() + " latents; the SAE has " + sae.dSae());
        }
        ObjectNode batch = JSON.createObjectNode();
        batch.put("model_id", source.modelId());
        batch.put("layer", source.layer());
        batch.put("sae_set", source.saeSet());
        ArrayNode features = batch.putArray("features");
        for (int latent : latents) {
            if (latent < 0 || latent >= sae.dSae()) {
                throw new SaeException("latent index " + latent + " is out of range: this SAE has latents 0.."
                        + (sae.dSae() - 1));
            }
            features.add(feature(latent, texts.topTexts(latent), stats, source));
        }
        return batch;
    }

    private ObjectNode feature(int latent, List<LatentContext> contexts, LatentSummary stats,
                               NeuronpediaSource source) {
        ObjectNode f = JSON.createObjectNode();
        f.put("feature_index", latent);
        float[] direction = Unembedding.decoderRow(sae, latent);
        neuronAlignment(f, direction);
        for (String table : new String[] {"correlated_neurons", "correlated_features"}) {
            f.putArray(table + "_indices");
            f.putArray(table + "_l1");
            f.putArray(table + "_pearson");
        }
        float[] logits = unembedding == null ? new float[0] : unembedding.logits(direction);
        logitTables(f, logits);
        activationHistogram(f, latent, stats);
        EvenHistogram logitHist = EvenHistogram.of(logits, LOGIT_BINS);
        putCounts(f.putArray("logits_hist_data_bar_heights"), logitHist.heights());
        putRounded(f.putArray("logits_hist_data_bar_values"), logitHist.centres());
        f.put("n_prompts_total", source.nPromptsTotal());
        f.put("n_tokens_in_prompt", source.nTokensInPrompt());
        f.put("dataset", source.dataset());
        f.putArray("decoder_weights_dist");
        ArrayNode acts = f.putArray("activations");
        double binMax = Double.parseDouble(decimal(stats.maxActivation(latent), 3));
        for (LatentContext c : contexts) {
            acts.add(activation(c, binMax));
        }
        ArrayNode explanations = f.putArray("explanations");
        if (names != null) {
            names.get(latent).ifPresent(concept -> explanations.addObject().put("description", concept.name()));
        }
        return f;
    }

    private static void neuronAlignment(ObjectNode f, float[] row) {
        LogitTable largest = LogitTable.of(row, ALIGNMENT_ROWS);
        double l1 = 0;
        for (float v : row) {
            l1 += Math.abs(v);
        }
        ArrayNode indices = f.putArray("neuron_alignment_indices");
        ArrayNode values = f.putArray("neuron_alignment_values");
        ArrayNode shares = f.putArray("neuron_alignment_l1");
        for (int i = 0; i < largest.topIds().length; i++) {
            float v = largest.topValues()[i];
            indices.add(largest.topIds()[i]);
            values.add(round5(v));
            shares.add(round5(Math.abs((double) v) / l1));
        }
    }

    private void logitTables(ObjectNode f, float[] logits) {
        LogitTable table = LogitTable.of(logits, LOGIT_ROWS);
        putTokens(f.putArray("neg_str"), table.bottomIds());
        putRounded(f.putArray("neg_values"), table.bottomValues());
        putTokens(f.putArray("pos_str"), table.topIds());
        putRounded(f.putArray("pos_values"), table.topValues());
    }

    private static void activationHistogram(ObjectNode f, int latent, LatentSummary stats) {
        long[] counts = stats.histogram(latent);
        boolean fired = java.util.Arrays.stream(counts).sum() > 0;
        if (fired) {
            // SAEDashboard reads the frequency back from its "DENSITY = x.xxx%" title
            f.put("frac_nonzero", Double.parseDouble(decimal(stats.frequency(latent) * 100, 3)) / 100);
        } else {
            f.put("frac_nonzero", 0);
        }
        ArrayNode centres = f.putArray("freq_hist_data_bar_values");
        ArrayNode heights = f.putArray("freq_hist_data_bar_heights");
        if (fired) {
            double width = (double) stats.histogramUpper(latent) / counts.length;
            for (int i = 0; i < counts.length; i++) {
                centres.add(round5((i + 0.5) * width));
                heights.add(counts[i]);
            }
        }
    }

    private static ObjectNode activation(LatentContext c, double binMax) {
        ObjectNode a = JSON.createObjectNode();
        a.put("bin_min", -1);
        a.put("bin_max", binMax);
        a.put("bin_contains", -1);
        ArrayNode tokens = a.putArray("tokens");
        c.window().forEach(tokens::add);
        ArrayNode values = a.putArray("values");
        c.windowActivations().forEach(v -> values.add(round5(v)));
        a.put("qualifying_token_index", c.position() - c.windowStart());
        a.putArray("dfa_values");
        a.put("dfa_maxValue", 0);
        a.put("dfa_targetIndex", -1);
        return a;
    }

    private void putTokens(ArrayNode out, int[] ids) {
        for (int id : ids) {
            out.add(unembedding.token(id));
        }
    }

    private static void putRounded(ArrayNode out, float[] values) {
        for (float v : values) {
            out.add(round5(v));
        }
    }

    private static void putRounded(ArrayNode out, double[] values) {
        for (double v : values) {
            out.add(round5(v));
        }
    }

    private static void putCounts(ArrayNode out, long[] counts) {
        for (long c : counts) {
            out.add(c);
        }
    }

    /** numpy's {@code round(x, 5)}: scale, round half to even, unscale. */
    static double round5(double x) {
        return Math.rint(x * 1e5) / 1e5;
    }

    /** {@code x} printed with {@code places} decimals, as Python's {@code format(x, ".Nf")} prints it. */
    private static String decimal(double x, int places) {
        return new BigDecimal(x).setScale(places, RoundingMode.HALF_EVEN).toPlainString();
    }
}
