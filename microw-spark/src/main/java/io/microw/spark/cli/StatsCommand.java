package io.microw.spark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.JsonMapper;
import io.microw.spark.FeatureStatistics;
import io.microw.spark.MicrowSpark;
import io.microw.spark.ModelRef;
import io.microw.spark.SaeRef;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code stats}: per-latent firing statistics of an SAE over an extracted dataset or over texts, as JSON. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Per-latent frequency, mean, max and histograms of an SAE over an extracted dataset (--input) or "
                + "over texts the model is run on (--texts) (JSON).")
final class StatsCommand implements Callable<Integer> {

    @Mixin
    SparkOptions spark;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @ArgGroup(multiplicity = "1")
    Source source;

    /** Where the activations come from: an extraction, or texts run through the model. */
    static final class Source {
        @Option(names = "--input", required = true, paramLabel = "DIR", description = "a dataset 'extract' wrote")
        String input;

        @Option(names = "--texts", required = true, paramLabel = "PATH", description = "texts, as for 'extract'")
        String texts;
    }

    @Option(names = "--text-column", paramLabel = "COL", description = "with --texts: the text column (default: text,"
            + " or value)")
    String textColumn;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "brown-gpt2", description = "with --texts: the "
            + "model")
    String model;

    @Option(names = "--layer", required = true, paramLabel = "LAYER", description = "the layer the SAE reads")
    String layer;

    @Option(names = "--sae", required = true, paramLabel = "DIR", description = "the SAE (SAELens folder)")
    String sae;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "the JSON file to write")
    File output;

    @Override
    public Integer call() throws IOException {
        SparkSession session = spark.session("microw stats");
        try {
            FeatureStatistics s;
            if (source.input != null) {
                s = MicrowSpark.featureStatistics(session.read().parquet(source.input), layer, SaeRef.of(sae));
            } else {
                Dataset<Row> texts = SparkOptions.readTexts(session, source.texts);
                String column = textColumn != null ? textColumn
                        : List.of(texts.columns()).contains("text") ? "text" : "value";
                s = MicrowSpark.featureStatistics(texts, column, ModelRef.of(model), layer, SaeRef.of(sae));
            }
            ObjectMapper json = JsonMapper.mapper();
            ObjectNode root = json.createObjectNode();
            root.put("tokens", s.tokens());
            root.put("log_bin_low", FeatureStatistics.LOG_LOW);
            root.put("log_bins_per_decade", FeatureStatistics.LOG_BINS_PER_DECADE);
            ArrayNode latents = root.putArray("latents");
            for (int l = 0; l < s.latents(); l++) {
                ObjectNode o = latents.addObject();
                o.put("latent", l).put("firings", s.firings(l)).put("frequency", s.frequency(l))
                        .put("mean", s.meanActivation(l)).put("max", s.maxActivation(l))
                        .put("histogram_upper", s.histogramUpper(l));
                o.set("histogram", json.valueToTree(s.histogram(l)));
                o.set("log_histogram", json.valueToTree(s.logHistogram(l)));
            }
            JsonMapper.pretty().writeValue(output, root);
            spec.commandLine().getOut().printf("%s: %d latents over %d tokens%n", output, s.latents(), s.tokens());
            return 0;
        } finally {
            spark.close(session);
        }
    }
}
