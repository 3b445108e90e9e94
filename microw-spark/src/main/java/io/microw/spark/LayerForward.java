package io.microw.spark;

import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.tokenizer.Encodings;

import java.util.ArrayList;
import java.util.List;

/**
 * One forward of a model shared by a JVM's tasks, capturing layers' outputs as heap arrays: detectors are registered
 * for the forward only, under the model's lock, so concurrent tasks never see each other's captures.
 *
 * @param encodings the batch's tokens, masks and special-token masks
 * @param values    each layer's output, row-major [batch, seq, d]
 */
record LayerForward(Encodings encodings, float[][] values) {

    /** Runs {@code texts} through {@code lm} with {@code options}, capturing {@code layers} (canonical names). */
    static LayerForward run(LanguageModel lm, List<String> texts, List<String> layers, InferenceOptions options) {
        float[][] values = new float[layers.size()][];
        synchronized (lm) {
            List<LayerActivationDetector> detectors = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            try {
                for (String layer : layers) {
                    LayerActivationDetector d = new LayerActivationDetector(layer);
                    detectors.add(d);
                    ids.add(lm.layers().registerHook(layer, d));
                }
                try (InferenceResult result = lm.inference().executeInference(texts, options)) {
                    for (int l = 0; l < values.length; l++) {
                        values[l] = detectors.get(l).getCaptured().toFloatArray();
                    }
                    return new LayerForward(result.encodings(), values);
                }
            } finally {
                ids.forEach(id -> lm.layers().unregisterHook(id));
                detectors.forEach(LayerActivationDetector::close);
            }
        }
    }

    /**
     * The real, non-special tokens' vectors of one text for one captured layer.
     *
     * @param layer the layer's index among the captured layers
     * @param text  the text's index in the batch
     * @return one vector per token, in order
     */
    List<float[]> tokens(int layer, int text) {
        int seq = encodings.seqLength();
        int d = values[layer].length / (encodings.batchSize() * seq);
        List<float[]> tokens = new ArrayList<>();
        for (int s = 0; s < seq; s++) {
            if (encodings.attentionMask()[text][s] != 0 && encodings.specialTokensMask()[text][s] == 0) {
                float[] v = new float[d];
                System.arraycopy(values[layer], (text * seq + s) * d, v, 0, d);
                tokens.add(v);
            }
        }
        return tokens;
    }
}
