package io.microw.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.microw.nn.Embedding;
import io.microw.nn.Linear;
import io.microw.nn.Module;
import io.microw.nn.ResidualNorm;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * TransformerLens' weight processing ({@code HookedTransformer.from_pretrained}'s {@code fold_ln},
 * {@code center_writing_weights}, {@code center_unembed}, {@code fold_value_biases}), applied to a built model in
 * TransformerLens' order. None changes the log-probabilities; each changes some hook values, as in TransformerLens'
 * processed models:
 * <ul>
 *   <li>fold_ln: every residual-stream norm's scale (and a LayerNorm's bias) moves into the linear layers reading
 *   it, and the norm only normalises; for LayerNorm models those readers are then centred over their input. Norm
 *   outputs ({@code ln_final.hook_normalized}) lack the scale and bias.</li>
 *   <li>center_writing_weights (LayerNorm models only): embeddings and the attention and MLP output layers lose
 *   their mean over d_model, so the residual stream has mean zero.</li>
 *   <li>center_unembed: the output head loses its mean over the vocabulary; logits change by a constant per
 *   position (refused for a model that soft-caps its logits).</li>
 *   <li>fold_value_biases: each attention's value bias moves into its output bias ({@code hook_v}, {@code hook_z}
 *   lack it).</li>
 * </ul>
 * Immutable; all off by default (microw keeps Hugging Face's weights).
 *
 * @param foldLn               fold norm scales and biases into the layers reading them
 * @param centerWritingWeights centre the weights writing to the residual stream (LayerNorm models only)
 * @param centerUnembed        centre the output head over the vocabulary
 * @param foldValueBiases      fold value biases into the attention output bias
 */
public record WeightProcessing(boolean foldLn, boolean centerWritingWeights, boolean centerUnembed,
                               boolean foldValueBiases) {

    private static final WeightProcessing NONE = new WeightProcessing(false, false, false, false);

    /**
     * No processing: Hugging Face's weights as stored.
     *
     * @return all options off
     */
    public static WeightProcessing none() {
        return NONE;
    }

    /**
     * TransformerLens' {@code from_pretrained} defaults: all four on.
     *
     * @return all options on
     */
    public static WeightProcessing transformerLensDefaults() {
        return new WeightProcessing(true, true, true, true);
    }

    /**
     * Whether any option is on.
     *
     * @return true when processing changes weights
     */
    public boolean any() {
        return foldLn || centerWritingWeights || centerUnembed || foldValueBiases;
    }

    /**
     * Processes the model's weights in place. An option TransformerLens does not define for this model is refused
     * before anything changes.
     *
     * @param model a built model
     * @throws IllegalArgumentException naming the option and the model when it does not apply
     */
    public void apply(TransformerModel model) {
        if (!any()) {
            return;
        }
        WeightLayout layout = model.weightLayout().orElseThrow(() -> new IllegalArgumentException(
                "weight processing " + this + " is not defined for " + model.typeName() + ": TransformerLens"
                        + " processes decoder weights only; load it with WeightProcessing.none()"));
        if (centerWritingWeights && !layout.layerNorm()) {
            throw new IllegalArgumentException("centerWritingWeights is defined for LayerNorm models only (TransformerLens"
                    + " centres writing weights only when every reader is preceded by a LayerNorm), but "
                    + model.typeName() + " uses RMSNorm; set LoadOptions.withCenterWritingWeights(false)");
        }
        if (centerUnembed && layout.softcapsLogits()) {
            throw new IllegalArgumentException("centerUnembed is not defined for " + model.typeName() + ": its logits"
                    + " pass a soft cap, which is not invariant to adding a constant; set"
                    + " LoadOptions.withCenterUnembed(false)");
        }
        Map<String, Module> modules = new HashMap<>();
        for (Module m : model.modules()) {
            modules.put(m.name(), m);
        }
        Linear unembed = linear(modules, layout.unembed());
        if (foldLn || centerWritingWeights || centerUnembed) {
            untie(model, unembed, modules);
        }
        if (foldLn) {
            for (WeightLayout.NormReaders site : layout.norms()) {
                foldNorm(modules, site, layout.layerNorm());
            }
        }
        if (centerWritingWeights) {
            for (String name : layout.embeddings()) {
                subtractMean(((Embedding) module(modules, name)).table(), 1);
            }
            for (String name : layout.writers()) {
                centerOutputs(linear(modules, name));
            }
        }
        if (centerUnembed) {
            centerOutputs(unembed);
        }
        if (foldValueBiases) {
            for (WeightLayout.ValueBias site : layout.valueBiases()) {
                foldValueBias(modules, site, centerWritingWeights);
            }
        }
    }

    /**
     * Gives a head that shares its weight with the token embedding a copy of its own (TransformerLens' W_U is
     * separate from W_E), since processing changes them differently.
     */
    private static void untie(TransformerModel model, Linear unembed, Map<String, Module> modules) {
        boolean shared = model.config().tieWordEmbeddings() || modules.values().stream()
                .anyMatch(m -> m instanceof Embedding e && e.table() == unembed.weight());
        if (shared) {
            unembed.setParameters(unembed.weight().duplicate(), unembed.bias().orElse(null));
        }
    }

    /**
     * TransformerLens' {@code fold_layer_norm} for one norm: W' = W·diag(w), b' = b + W·b_ln (LayerNorm), readers
     * centred over their input (LayerNorm), the norm left only normalising.
     */
    private static void foldNorm(Map<String, Module> modules, WeightLayout.NormReaders site, boolean layerNorm) {
        ResidualNorm norm = (ResidualNorm) module(modules, site.norm());
        NDArray scale = norm.scale();
        for (String readerName : site.readers()) {
            Linear reader = linear(modules, readerName);
            NDArray w = reader.weight();
            NDArray bias = reader.bias().orElse(null);
            if (layerNorm && norm.bias().isPresent()) {
                NDArray shift = w.matMul(norm.bias().get());
                if (bias == null) {
                    reader.setParameters(w, shift);
                } else {
                    bias.addi(shift);
                    shift.close();
                }
            }
            try (NDArray row = scale.reshape(1, -1)) {
                w.muli(row);
            }
            if (layerNorm) {
                subtractMean(w, 1);
            }
        }
        norm.removeAffine();
    }

    /** W -= mean over its output dimension (d_model for a writer, the vocabulary for the head), b -= mean(b). */
    private static void centerOutputs(Linear layer) {
        subtractMean(layer.weight(), 0);
        layer.bias().ifPresent(b -> subtractMean(b, 0));
    }

    /** x -= mean of x over {@code axis}, in place. */
    private static void subtractMean(NDArray x, int axis) {
        try (NDArray mean = x.mean(new int[] {axis}, true)) {
            x.subi(mean);
        }
    }

    /** b_O += W_O · b_V, b_V = 0; with centred writing weights b_O is centred again, as TransformerLens does. */
    private static void foldValueBias(Map<String, Module> modules, WeightLayout.ValueBias site, boolean recenter) {
        Linear projection = linear(modules, site.projection());
        Linear output = linear(modules, site.output());
        NDArray bias = projection.bias().orElseThrow(() -> new IllegalStateException(
                site.projection() + " was named as holding a value bias but has no bias"));
        NDManager manager = bias.getManager();
        NDArray rows = manager.create(site.rows());
        NDArray valueBias = bias.get(rows);
        NDArray added = output.weight().matMul(valueBias);
        if (output.bias().isPresent()) {
            output.bias().get().addi(added);
            added.close();
        } else {
            output.setParameters(output.weight(), added);
        }
        float[] keep = new float[(int) bias.getShape().get(0)];
        Arrays.fill(keep, 1f);
        for (long row : site.rows()) {
            keep[(int) row] = 0f;
        }
        NDArray keep32 = manager.create(keep);
        NDArray keepMask = keep32.toType(bias.getDataType(), false);
        bias.muli(keepMask);
        if (recenter) {
            subtractMean(output.bias().get(), 0);
        }
        keepMask.close();
        keep32.close();
        valueBias.close();
        rows.close();
    }

    private static Linear linear(Map<String, Module> modules, String name) {
        return (Linear) module(modules, name);
    }

    private static Module module(Map<String, Module> modules, String name) {
        Module m = modules.get(name);
        if (m == null) {
            throw new IllegalStateException("weight layout names module '" + name + "', which the model lacks");
        }
        return m;
    }
}
