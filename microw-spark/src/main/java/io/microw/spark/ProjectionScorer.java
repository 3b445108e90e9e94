package io.microw.spark;

import io.microw.lm.InferenceOptions;
import io.microw.lm.LanguageModel;
import io.microw.steering.SteeringVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

import java.util.List;
import java.util.Objects;

/**
 * Scores texts by a direction (a steering vector or a probe's direction, {@link DirectionRef}): runs the model up to
 * the direction's layer and returns the mean, over the text's non-special tokens, of the projection
 * {@code h · v / |v|} of each token's output {@code h} onto the vector {@code v}; null for a null text or one with no
 * non-special token. The body of {@link MicrowSpark#registerProjectionFunction} and of {@link MicrowSpark#annotate}.
 *
 * @param model     the model the direction was computed on
 * @param direction the saved direction
 */
public record ProjectionScorer(ModelRef model, DirectionRef direction) implements TextAnnotation {

    /** Checks the arguments. */
    public ProjectionScorer {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(direction, "direction");
    }

    /** @return {@code float} */
    @Override
    public DataType resultType() {
        return DataTypes.FloatType;
    }

    /**
     * The score of one text.
     *
     * @param text the text, or null
     * @return the mean projection, or null
     */
    public Float score(String text) {
        return text == null ? null : (Float) annotate(List.of(text))[0];
    }

    @Override
    public Object[] annotate(List<String> texts) {
        LanguageModel lm = ExecutorModels.get(model, 0);
        SteeringVector vector = ExecutorModels.direction(direction);
        String layer = lm.layers().resolve(vector.layer());
        float[] v = vector.values();
        double norm = vector.norm();
        LayerForward forward = LayerForward.run(lm, texts, List.of(layer),
                InferenceOptions.defaults().withStopAfterLayer(layer));
        Object[] scores = new Object[texts.size()];
        for (int t = 0; t < texts.size(); t++) {
            List<float[]> tokens = forward.tokens(0, t);
            if (tokens.isEmpty()) {
                continue;
            }
            double sum = 0;
            for (float[] h : tokens) {
                if (h.length != v.length) {
                    throw new IllegalArgumentException("direction '" + direction.file() + "' has " + v.length
                            + " components; layer " + layer + " of " + model.spec() + " has width " + h.length);
                }
                double dot = 0;
                for (int i = 0; i < v.length; i++) {
                    dot += (double) h[i] * v[i];
                }
                sum += dot / norm;
            }
            scores[t] = (float) (sum / tokens.size());
        }
        return scores;
    }
}
