package io.microw.spark;

import org.apache.spark.sql.types.DataType;

import java.io.Serializable;
import java.util.List;

/**
 * Something {@link MicrowSpark#annotate} computes for each text of a DataFrame, a batch of texts per forward:
 * {@link ConceptAnnotator} (named SAE concepts) or {@link ProjectionScorer} (a direction's projection score).
 * Serializable: it travels to the executors, which load its model once per JVM.
 */
public interface TextAnnotation extends Serializable {

    /**
     * The SQL type of one text's annotation.
     *
     * @return the type
     */
    DataType resultType();

    /**
     * The annotations of a batch of texts, computed with one forward.
     *
     * @param texts non-null texts
     * @return one annotation per text, in order, each of {@link #resultType()} (or null)
     */
    Object[] annotate(List<String> texts);
}
