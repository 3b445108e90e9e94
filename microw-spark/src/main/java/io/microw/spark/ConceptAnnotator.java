package io.microw.spark;

import io.microw.concepts.ConceptDictionary;
import io.microw.lm.InferenceOptions;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Annotates texts with named concepts: runs the model on a text up to a layer, encodes its non-special tokens with
 * an SAE, scores each latent by its largest code over the text, and returns the {@code topN} highest-scoring latents
 * that fired and have a name in a {@link ConceptDictionary}, strongest first (ties: lower latent first). Serializable:
 * it is the body of the Spark SQL function {@link MicrowSpark#registerConceptFunction} registers; the model, SAE and
 * dictionary are loaded once per executor JVM.
 *
 * @param model      the model
 * @param layer      the layer the SAE reads (name or alias)
 * @param sae        the SAE
 * @param dictionary a concept dictionary file (JSON or CSV) every executor can read
 * @param topN       concepts per text, at least 1
 */
public record ConceptAnnotator(ModelRef model, String layer, SaeRef sae, String dictionary, int topN)
        implements TextAnnotation {

    private static final Map<String, ConceptDictionary> DICTIONARIES = new ConcurrentHashMap<>();
    /** The SQL type of an annotation: {@code array<struct<concept: string, latent: int, score: float>>}. */
    private static final DataType TYPE = DataTypes.createArrayType(DataTypes.createStructType(List.of(
            DataTypes.createStructField("concept", DataTypes.StringType, false),
            DataTypes.createStructField("latent", DataTypes.IntegerType, false),
            DataTypes.createStructField("score", DataTypes.FloatType, false))), false);

    /** Checks the arguments. */
    public ConceptAnnotator {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(sae, "sae");
        Objects.requireNonNull(dictionary, "dictionary");
        if (topN < 1) {
            throw new IllegalArgumentException("top-N is " + topN + "; expected at least 1 concept per text");
        }
    }

    /** @return {@link #resultType()}'s type */
    @Override
    public DataType resultType() {
        return TYPE;
    }

    /**
     * The annotation of one text, as rows of (concept, latent, score); {@code null} for a null text.
     *
     * @param text the text
     * @return the strongest named concepts, strongest first
     */
    public Row[] annotate(String text) {
        return text == null ? null : (Row[]) annotate(List.of(text))[0];
    }

    @Override
    public Object[] annotate(List<String> texts) {
        LanguageModel lm = ExecutorModels.get(model, 0);
        Sae encoder = ExecutorModels.sae(sae);
        ConceptDictionary concepts = DICTIONARIES.computeIfAbsent(Path.of(dictionary).toAbsolutePath().toString(),
                k -> ConceptDictionary.load(Path.of(dictionary), encoder.config().dSae()));
        String canonical = lm.layers().resolve(layer);
        LayerForward forward = LayerForward.run(lm, texts, List.of(canonical),
                InferenceOptions.defaults().withStopAfterLayer(canonical));
        Object[] annotations = new Object[texts.size()];
        for (int t = 0; t < texts.size(); t++) {
            annotations[t] = strongest(forward.tokens(0, t), encoder, concepts, canonical);
        }
        return annotations;
    }

    private Row[] strongest(List<float[]> tokens, Sae encoder, ConceptDictionary concepts, String canonical) {
        if (tokens.isEmpty()) {
            return new Row[0];
        }
        float[] codes = SaeCodes.encode(encoder, tokens, canonical);
        int latents = encoder.config().dSae();
        float[] score = new float[latents];
        for (int i = 0; i < codes.length; i++) {
            score[i % latents] = Math.max(score[i % latents], codes[i]);
        }
        List<Integer> named = new ArrayList<>();
        for (int l = 0; l < latents; l++) {
            if (score[l] > 0 && concepts.get(l).isPresent()) {
                named.add(l);
            }
        }
        named.sort(Comparator.comparingDouble((Integer l) -> -score[l]).thenComparingInt(l -> l));
        return named.stream().limit(topN)
                .map(l -> RowFactory.create(concepts.get(l).get().name(), l, score[l])).toArray(Row[]::new);
    }
}
