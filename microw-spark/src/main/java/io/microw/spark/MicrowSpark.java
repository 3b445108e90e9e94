package io.microw.spark;

import io.microw.lm.LanguageModel;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * microw's jobs on Apache Spark. {@link #extractActivations} runs a model over a DataFrame of texts on the cluster's
 * executors and writes the activations of named layers as a Parquet dataset, one row per real token, with a manifest.
 */
public final class MicrowSpark {

    /** The SQL function {@link #registerFloatsFunction} registers. */
    public static final String FLOATS_FUNCTION = "microw_floats";

    /** The batching of jobs that run the model without writing an extraction (their output is never used). */
    private static final ExtractOptions IN_MEMORY = ExtractOptions.into("in-memory");

    private MicrowSpark() {
    }

    /**
     * Extracts the activations of {@code layers} over the texts of {@code textColumn} into a Parquet dataset at
     * {@code options.output()}: one row per real token (padding is never written) with {@code text_id},
     * {@code position} (0-based among the text's tokens), {@code token_id}, {@code special} and one column per layer
     * (its canonical name with '.' as '_') in the options' {@link ActivationLayout}, then {@code _microw.json} once the
     * dataset is committed. Each executor JVM loads the model once; each task sorts its texts by length a window at a
     * time and streams batches. The rows do not depend on the partitioning. Null texts are skipped and counted.
     *
     * @param texts      the texts, one per row
     * @param textColumn the string column holding them
     * @param model      the model
     * @param layers     layer names, aliases or indices, each with a {@code [batch, seq, d]} output
     * @param options    output, overwrite, id column, batching
     * @return the manifest written
     * @throws IllegalArgumentException on a missing or non-string text column, a bad id column, or a bad layer
     * @throws IllegalStateException    when the output exists and {@code overwrite} is off
     */
    public static ActivationsManifest extractActivations(Dataset<Row> texts, String textColumn, ModelRef model,
                                                         List<String> layers, ExtractOptions options) {
        checkColumn(texts, textColumn, "text", DataTypes.StringType);
        if (options.idColumn() != null) {
            checkColumn(texts, options.idColumn(), "id", null);
        }
        SparkSession spark = texts.sparkSession();
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        prepareOutput(options, hadoop);
        LanguageModel lm = ExecutorModels.get(model, options.threads());
        ExtractPlan plan = ExtractPlan.of(model, lm, layers, options);

        Column text = col(textColumn);
        long nullTexts = texts.filter(text.isNull()).count();
        JavaRDD<Row> idsAndTexts = idsAndTexts(texts, textColumn, options.idColumn());
        JavaRDD<Row> rows = idsAndTexts.mapPartitions(new PartitionExtraction(plan));
        SparkFailures.run(() -> {
            DataFrameWriter<Row> writer = spark.createDataFrame(rows, plan.schema()).write().mode(SaveMode.Overwrite);
            if (plan.layout() == ActivationLayout.BINARY) {
                // every vector is distinct: a dictionary is never used, only tried for each page
                plan.columns().forEach(c -> writer.option("parquet.enable.dictionary#" + c, "false"));
            }
            writer.parquet(options.output());
            return null;
        });

        Row counts = spark.read().parquet(options.output())
                .agg(countDistinct(col("text_id")), count(lit(1)), sum(when(col("special"), 1L).otherwise(0L)))
                .first();
        ActivationsManifest manifest = new ActivationsManifest(model.identity(), lm.config().architecture(),
                "sha256:" + sha256(lm.config().raw().json().toString()),
                model.identity() + " (right padding, truncation at " + plan.maxLength() + ")", plan.maxLength(),
                plan.layers(), plan.columns(), plan.widths(), plan.layout(), counts.getLong(0), counts.getLong(1),
                counts.isNullAt(2) ? 0 : counts.getLong(2), nullTexts, version(), ActivationsManifest.now());
        manifest.write(options.output(), hadoop);
        return manifest;
    }

    /**
     * Per-latent statistics of {@code sae} over the non-special token rows of an extracted dataset: counted tokens,
     * firings, mean and maximum code, linear and log-spaced histograms, computed per partition on the executors and
     * merged by a tree reduction. Equal to the single-machine statistics of a {@code TopTextTracker} fed the same
     * tokens (the mean up to summation order).
     *
     * @param extracted the dataset {@link #extractActivations} wrote ({@code spark.read().parquet(dir)}), in either
     *                  {@link ActivationLayout} (the column's type says which)
     * @param layer     the layer the SAE reads: its canonical name or its column
     * @param sae       the SAE, whose input width must be the layer's
     * @return the statistics
     * @throws IllegalArgumentException when the dataset has no such layer column or no {@code special} column
     */
    public static FeatureStatistics featureStatistics(Dataset<Row> extracted, String layer, SaeRef sae) {
        String column = layerColumn(extracted, layer);
        ActivationLayout layout = ActivationLayout.of(extracted.schema().apply(column).dataType(), column);
        ExecutorModels.sae(sae);
        return SparkFailures.run(() -> extracted.filter(col("special").equalTo(false)).select(col(column)).javaRDD()
                .mapPartitions(new StatisticsPartition(sae, column, layout))
                .treeReduce(FeatureStatistics::merge));
    }

    /**
     * As {@link #featureStatistics(Dataset, String, SaeRef)}, with the model run on texts instead of read from an
     * extraction: each task runs its partition's texts through the model as {@link #extractActivations} would
     * (length-sorted windows, batches of 8) and feeds the layer's non-special token vectors straight to the SAE; no
     * Parquet is written. Null texts are skipped.
     *
     * @param texts      the texts, one per row
     * @param textColumn their string column
     * @param model      the model
     * @param layer      the layer the SAE reads
     * @param sae        the SAE, whose input width must be the layer's
     * @return the statistics
     */
    public static FeatureStatistics featureStatistics(Dataset<Row> texts, String textColumn, ModelRef model,
                                                      String layer, SaeRef sae) {
        checkColumn(texts, textColumn, "text", DataTypes.StringType);
        ExtractPlan plan = ExtractPlan.of(model, ExecutorModels.get(model, 0), List.of(layer), IN_MEMORY);
        JavaRDD<Row> rows = idsAndTexts(texts, textColumn, null).mapPartitions(new PartitionExtraction(plan));
        return featureStatistics(texts.sparkSession().createDataFrame(rows, plan.schema()), plan.layers().get(0), sae);
    }

    /**
     * Per-latent top-k and bottom-k contexts (±{@code window} tokens) of {@code sae} over an extracted dataset, as the
     * single-machine {@code OfflineTopTexts} finds them over the same texts: the dataset is partitioned by text, each
     * task keeps bounded per-latent lists, and the lists are merged by a tree reduction (shuffle volume: latents × k ×
     * partitions contexts). Special tokens are not counted.
     *
     * @param extracted the dataset {@link #extractActivations} wrote, in either {@link ActivationLayout}
     * @param layer     the layer the SAE reads: its canonical name or its column
     * @param sae       the SAE
     * @param model     the model whose tokenizer decodes the tokens (the one that extracted the dataset)
     * @param topK      contexts kept per latent, at least 1
     * @param bottomK   weakest firings kept per latent, 0 for none
     * @param window    tokens kept on each side of the firing token
     * @return the contexts
     */
    public static TopTexts topTexts(Dataset<Row> extracted, String layer, SaeRef sae, ModelRef model, int topK,
                                    int bottomK, int window) {
        if (topK < 1 || bottomK < 0 || window < 0) {
            throw new IllegalArgumentException("top-k " + topK + ", bottom-k " + bottomK + ", window " + window
                    + ": expected top-k >= 1, bottom-k >= 0 and window >= 0");
        }
        String column = layerColumn(extracted, layer);
        ActivationLayout layout = ActivationLayout.of(extracted.schema().apply(column).dataType(), column);
        ExecutorModels.sae(sae);
        return SparkFailures.run(() -> extracted.select(col("text_id"), col("position"), col("token_id"),
                        col("special"), col(column))
                .repartition(col("text_id")).sortWithinPartitions("text_id", "position").javaRDD()
                .mapPartitions(new TopTextsPartition(sae, model, column, layout, topK, bottomK, window))
                .treeReduce(TopTexts::merge));
    }

    /**
     * Registers {@code annotator} as the Spark SQL function {@code name} (e.g. {@code microw_concepts}), so that
     * analysts write {@code SELECT id, microw_concepts(text) FROM docs}; it returns
     * {@link ConceptAnnotator#resultType()}, null for a null text. A SQL function sees one row at a time (one forward
     * per text); {@link #annotate} batches the forwards.
     *
     * @param spark     the session
     * @param name      the function's name
     * @param annotator what it computes
     */
    public static void registerConceptFunction(SparkSession spark, String name, ConceptAnnotator annotator) {
        spark.udf().register(name, (UDF1<String, Row[]>) annotator::annotate, annotator.resultType());
    }

    /**
     * Registers the Spark SQL function {@value #FLOATS_FUNCTION}{@code (binary)} → {@code array<float>}, which decodes
     * a layer column of the {@link ActivationLayout#BINARY} layout (little-endian float32) so that SQL can use it as
     * the {@code float-array} layout's column: {@code SELECT microw_floats(transformer_h_1)[0] FROM acts}. Null for a
     * null value; a length that is not a multiple of 4 fails the query.
     *
     * @param spark the session
     */
    public static void registerFloatsFunction(SparkSession spark) {
        spark.udf().register(FLOATS_FUNCTION, (UDF1<byte[], float[]>) b -> b == null ? null
                : ActivationLayout.floats(b), DataTypes.createArrayType(DataTypes.FloatType, false));
    }

    /**
     * Registers {@code scorer} as the Spark SQL function {@code name} (e.g. {@code microw_projection}): a float per
     * text, null for a null text (see {@link ProjectionScorer}); one forward per text.
     *
     * @param spark  the session
     * @param name   the function's name
     * @param scorer what it computes
     */
    public static void registerProjectionFunction(SparkSession spark, String name, ProjectionScorer scorer) {
        spark.udf().register(name, (UDF1<String, Float>) scorer::score, scorer.resultType());
    }

    /**
     * {@code texts} with a column {@code outputColumn} of each text's annotation (a {@link ConceptAnnotator}'s
     * strongest named concepts, a {@link ProjectionScorer}'s score), null for a null text; 8 texts per forward.
     *
     * @param texts        the texts
     * @param textColumn   their string column
     * @param annotation   what to compute
     * @param outputColumn the new column's name
     * @return the annotated DataFrame (lazy, like any Spark transformation)
     */
    public static Dataset<Row> annotate(Dataset<Row> texts, String textColumn, TextAnnotation annotation,
                                        String outputColumn) {
        return annotate(texts, textColumn, annotation, outputColumn, 8);
    }

    /**
     * As {@link #annotate(Dataset, String, TextAnnotation, String)}, with {@code batchSize} texts per forward: each
     * task reads its partition a batch at a time.
     *
     * @param texts        the texts
     * @param textColumn   their string column
     * @param annotation   what to compute
     * @param outputColumn the new column's name
     * @param batchSize    texts per forward, at least 1
     * @return the annotated DataFrame (lazy)
     */
    public static Dataset<Row> annotate(Dataset<Row> texts, String textColumn, TextAnnotation annotation,
                                        String outputColumn, int batchSize) {
        checkColumn(texts, textColumn, "text", DataTypes.StringType);
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size is " + batchSize + "; expected at least 1 text per forward");
        }
        if (Arrays.asList(texts.columns()).contains(outputColumn)) {
            throw new IllegalArgumentException("the texts already have a column '" + outputColumn + "'; name the "
                    + "annotation column differently");
        }
        StructType schema = texts.schema().add(outputColumn, annotation.resultType(), true);
        return texts.mapPartitions(new AnnotatedPartition(annotation, texts.schema().fieldIndex(textColumn),
                batchSize), Encoders.row(schema));
    }

    /** The column of {@code layer} in an extracted dataset, checked to be there with {@code special}. */
    static String layerColumn(Dataset<Row> extracted, String layer) {
        List<String> names = Arrays.asList(extracted.columns());
        String column = ExtractPlan.column(layer);
        if (!names.contains(column) || !names.contains("special") || !names.contains("text_id")) {
            throw new IllegalArgumentException("the dataset has no column for layer '" + layer + "' (expected '"
                    + column + "' beside text_id, position, token_id and special); its columns are " + names);
        }
        return column;
    }

    /** (text_id, text) rows without null texts: ids from the id column, else from the input's order. */
    private static JavaRDD<Row> idsAndTexts(Dataset<Row> texts, String textColumn, String idColumn) {
        Column text = col(textColumn);
        if (idColumn != null) {
            return texts.filter(text.isNotNull()).select(col(idColumn).cast(DataTypes.LongType), text).javaRDD();
        }
        return texts.select(text).javaRDD().zipWithIndex()
                .filter(t -> !t._1().isNullAt(0))
                .map(t -> RowFactory.create(t._2(), t._1().getString(0)));
    }

    private static void checkColumn(Dataset<Row> texts, String column, String role, DataType expected) {
        List<String> names = Arrays.asList(texts.columns());
        if (column == null || !names.contains(column)) {
            throw new IllegalArgumentException("the texts have no " + role + " column '" + column + "'; their columns "
                    + "are " + names);
        }
        DataType type = texts.schema().apply(column).dataType();
        boolean ok = expected != null ? type.equals(expected)
                : type.equals(DataTypes.LongType) || type.equals(DataTypes.IntegerType);
        if (!ok) {
            throw new IllegalArgumentException(role + " column '" + column + "' has type " + type.simpleString()
                    + "; expected " + (expected != null ? expected.simpleString() : "bigint or int"));
        }
    }

    /** Refuses an existing output unless overwriting; when overwriting, removes its manifest first. */
    private static void prepareOutput(ExtractOptions options, Configuration hadoop) {
        Path out = new Path(options.output());
        try {
            FileSystem fs = out.getFileSystem(hadoop);
            if (!fs.exists(out)) {
                return;
            }
            if (!options.overwrite()) {
                throw new IllegalStateException("output '" + options.output() + "' already exists; choose another "
                        + "directory or overwrite it (ExtractOptions.withOverwrite(true), --overwrite)");
            }
            fs.delete(new Path(out, ActivationsManifest.FILE), false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check output '" + options.output() + "': " + e.getMessage(), e);
        }
    }

    /** microw's version, as the build recorded it. */
    static String version() {
        Properties p = new Properties();
        try (InputStream in = MicrowSpark.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        String v = p.getProperty("version", "unknown");
        return v.startsWith("${") ? "unknown" : v;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
