package io.microw.spark.cli;

import io.microw.spark.ConceptAnnotator;
import io.microw.spark.MicrowSpark;
import io.microw.spark.ModelRef;
import io.microw.spark.SaeRef;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code annotate}: texts plus a column of their strongest named concepts, as Parquet. */
@Command(name = "annotate", mixinStandardHelpOptions = true,
        description = "Adds a 'concepts' column (top-N named SAE concepts with scores) to texts; writes Parquet.")
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

    @Option(names = "--layer", required = true, paramLabel = "LAYER", description = "the layer the SAE reads")
    String layer;

    @Option(names = "--sae", required = true, paramLabel = "DIR", description = "the SAE (SAELens folder)")
    String sae;

    @Option(names = "--concepts", required = true, paramLabel = "FILE", description = "a concept dictionary")
    String concepts;

    @Option(names = "--top-n", defaultValue = "3", paramLabel = "N", description = "concepts per text")
    int topN;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "the Parquet output")
    String output;

    @Option(names = "--overwrite", description = "replace an existing output")
    boolean overwrite;

    @Override
    public Integer call() {
        SparkSession session = spark.session("microw annotate");
        try {
            Dataset<Row> input = SparkOptions.readTexts(session, texts);
            String column = textColumn != null ? textColumn
                    : List.of(input.columns()).contains("text") ? "text" : "value";
            ConceptAnnotator annotator = new ConceptAnnotator(ModelRef.of(model), layer, SaeRef.of(sae), concepts,
                    topN);
            MicrowSpark.annotate(input, column, annotator, "concepts").write()
                    .mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(output);
            spec.commandLine().getOut().printf("%s: texts with their top %d concepts%n", output, topN);
            return 0;
        } finally {
            spark.close(session);
        }
    }
}
