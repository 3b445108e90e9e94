package io.microw.spark.cli;

import io.microw.concepts.TopTextsExport;
import io.microw.spark.MicrowSpark;
import io.microw.spark.ModelRef;
import io.microw.spark.SaeRef;
import io.microw.spark.TopTexts;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code top-texts}: per-latent top contexts of an SAE over an extracted dataset, as mi-crow JSON. */
@Command(name = "top-texts", mixinStandardHelpOptions = true,
        description = "Per-latent top-k contexts of an SAE over an extracted dataset (mi-crow top-texts JSON).")
final class TopTextsCommand implements Callable<Integer> {

    @Mixin
    SparkOptions spark;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "DIR", description = "a dataset 'extract' wrote")
    String input;

    @Option(names = "--layer", required = true, paramLabel = "LAYER", description = "the layer the SAE reads")
    String layer;

    @Option(names = "--sae", required = true, paramLabel = "DIR", description = "the SAE (SAELens folder)")
    String sae;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "brown-gpt2",
            description = "the model that extracted the dataset (its tokenizer decodes the contexts)")
    String model;

    @Option(names = "--top-k", defaultValue = "10", paramLabel = "K", description = "contexts per latent")
    int topK;

    @Option(names = "--window", defaultValue = "8", paramLabel = "N", description = "tokens each side")
    int window;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "the JSON file to write")
    Path output;

    @Override
    public Integer call() {
        SparkSession session = spark.session("microw top-texts");
        try {
            TopTexts texts = MicrowSpark.topTexts(session.read().parquet(input), layer, SaeRef.of(sae),
                    ModelRef.of(model), topK, 0, window);
            TopTextsExport.writeJson(texts, output);
            spec.commandLine().getOut().printf("%s: top %d contexts of %d latents%n", output, topK, texts.latents());
            return 0;
        } finally {
            spark.close(session);
        }
    }
}
