package io.microw.spark.cli;

import io.microw.spark.ActivationLayout;
import io.microw.spark.ActivationsManifest;
import io.microw.spark.ExtractOptions;
import io.microw.spark.MicrowSpark;
import io.microw.spark.ModelRef;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code extract}: texts to a Parquet dataset of layer activations, one row per token. */
@Command(name = "extract", mixinStandardHelpOptions = true,
        description = "Runs a model over texts on Spark and writes layers' activations as Parquet (one row per token)"
                + " with a _microw.json manifest.",
        footer = {"", "Example:", "  java -jar microw-spark-bundle.jar spark extract --master local[2] --texts brown.txt "
                + "--layers transformer.h.1 --output brown-acts"})
final class ExtractCommand implements Callable<Integer> {

    @Mixin
    SparkOptions spark;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--texts", required = true, paramLabel = "PATH",
            description = "texts: .txt (a text per line), .jsonl/.json, .csv (header) or .parquet; path or URI")
    String texts;

    @Option(names = "--text-column", paramLabel = "COL", description = "the text column (default: text, or value for"
            + " .txt)")
    String textColumn;

    @Option(names = "--id-column", paramLabel = "COL", description = "an integral id column (default: row order)")
    String idColumn;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "brown-gpt2",
            description = "brown-gpt2 (default), a model directory every executor can read, or a Hub id owner/name")
    String model;

    @Option(names = "--layers", required = true, split = ",", paramLabel = "LAYER", description = "layers to save")
    List<String> layers;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "the output directory or URI")
    String output;

    @Option(names = "--overwrite", description = "replace an existing output")
    boolean overwrite;

    @Option(names = "--batch-size", defaultValue = "8", paramLabel = "N", description = "texts per forward")
    int batchSize;

    @Option(names = "--max-length", defaultValue = "0", paramLabel = "N", description = "tokens per text (0: context)")
    int maxLength;

    @Option(names = "--layout", defaultValue = "float-array", paramLabel = "LAYOUT",
            description = "layer columns: float-array (array<float>, default) or binary (little-endian float32 bytes;"
                    + " SQL decodes it with microw_floats)")
    String layout;

    @Override
    public Integer call() {
        ActivationLayout columns = ActivationLayout.parse(layout);
        SparkSession session = spark.session("microw extract");
        ProgressListener progress = new ProgressListener(spec.commandLine().getErr());
        session.sparkContext().addSparkListener(progress);
        try {
            Dataset<Row> input = SparkOptions.readTexts(session, texts);
            String column = textColumn != null ? textColumn
                    : List.of(input.columns()).contains("text") ? "text" : "value";
            long start = System.nanoTime();
            ActivationsManifest m = MicrowSpark.extractActivations(input, column, ModelRef.of(model), layers,
                    ExtractOptions.into(output).withOverwrite(overwrite).withIdColumn(idColumn)
                            .withBatchSize(batchSize).withMaxLength(maxLength).withLayout(columns));
            double seconds = (System.nanoTime() - start) / 1e9;
            progress.finish();
            spec.commandLine().getOut().printf("%s: %d texts, %d token rows (%d special), %d null texts skipped, "
                            + "layers %s (%s), %.1f s, %.0f tokens/s%n", output, m.texts(), m.rows(), m.specialTokens(),
                    m.nullTexts(), m.layers(), m.layout().id(), seconds, m.rows() / seconds);
            return 0;
        } finally {
            session.sparkContext().removeSparkListener(progress);
            spark.close(session);
        }
    }
}
