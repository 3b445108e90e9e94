package io.microw.spark.cli;

import io.microw.spark.ConceptAnnotator;
import io.microw.spark.DirectionRef;
import io.microw.spark.MicrowSpark;
import io.microw.spark.ModelRef;
import io.microw.spark.ProjectionScorer;
import io.microw.spark.SaeRef;
import io.microw.spark.SparkFailures;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code annotate}: texts plus a column of their strongest named concepts and/or a column of their projection score on
 * a saved direction, as Parquet.
 */
@Command(name = "annotate", mixinStandardHelpOptions = true,
        description = {"Adds a 'concepts' column (top-N named SAE concepts with scores: --layer, --sae, --concepts) "
                + "and/or a 'projection' column (mean projection of the tokens on a steering vector or probe "
                + "direction: --direction) to texts; writes Parquet."})
final class AnnotateCommand implements Callable<Integer> {

    @Mixin
    SparkOptions spark;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--texts", required = true, paramLabel = "PATH", description = "texts, as for 'extract'")
    String texts;

    @Option(names = "--text-column", paramLabel = "COL", description = "the text column (default: text, or value)")
    String textColumn;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "brown-gpt2", description = "the model")
    String model;

    @Option(names = "--layer", paramLabel = "LAYER", description = "the layer the SAE reads")
    String layer;

    @Option(names = "--sae", paramLabel = "DIR", description = "the SAE (SAELens folder)")
    String sae;

    @Option(names = "--concepts", paramLabel = "FILE", description = "a concept dictionary")
    String concepts;

    @Option(names = "--direction", paramLabel = "FILE", description = "a steering vector (.safetensors, from 'microw "
            + "steer' or a probe's direction saved as one): adds its projection score")
    String direction;

    @Option(names = "--batch-size", defaultValue = "8", paramLabel = "N", description = "texts per forward")
    int batchSize;

    @Option(names = "--top-n", defaultValue = "3", paramLabel = "N", description = "concepts per text")
    int topN;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "the Parquet output")
    String output;

    @Option(names = "--overwrite", description = "replace an existing output")
    boolean overwrite;

    @Override
    public Integer call() {
        if (concepts == null && direction == null) {
            throw new ParameterException(spec.commandLine(), "nothing to annotate: give --concepts (with --layer and "
                    + "--sae) and/or --direction");
        }
        if (concepts != null && (layer == null || sae == null)) {
            throw new ParameterException(spec.commandLine(), "--concepts needs --layer and --sae");
        }
        SparkSession session = spark.session("microw annotate");
        try {
            Dataset<Row> input = SparkOptions.readTexts(session, texts);
            String column = textColumn != null ? textColumn
                    : List.of(input.columns()).contains("text") ? "text" : "value";
            Dataset<Row> out = input;
            if (concepts != null) {
                out = MicrowSpark.annotate(out, column, new ConceptAnnotator(ModelRef.of(model), layer,
                        SaeRef.of(sae), concepts, topN), "concepts", batchSize);
            }
            if (direction != null) {
                out = MicrowSpark.annotate(out, column, new ProjectionScorer(ModelRef.of(model),
                        DirectionRef.of(direction)), "projection", batchSize);
            }
            Dataset<Row> annotated = out;
            SparkFailures.run(() -> {
                annotated.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(output);
                return null;
            });
            spec.commandLine().getOut().printf("%s: texts with %s%n", output, concepts == null ? "their projection"
                    : direction == null ? "their top " + topN + " concepts"
                    : "their top " + topN + " concepts and projection");
            return 0;
        } finally {
            spark.close(session);
        }
    }
}
