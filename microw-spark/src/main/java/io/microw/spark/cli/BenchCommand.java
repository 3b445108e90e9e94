package io.microw.spark.cli;

import io.microw.demo.BrownCorpus;
import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.spark.ActivationsManifest;
import io.microw.spark.ExtractOptions;
import io.microw.spark.MicrowSpark;
import io.microw.spark.ModelRef;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code bench}: Spark extraction against single-process {@code saveActivations} of the same Brown sentences and
 * layer on this machine, in real tokens per second (the model loaded and warmed up first in both).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Tokens/s of Spark extraction vs single-process saveActivations (brown-gpt2, Brown sentences).")
final class BenchCommand implements Callable<Integer> {

    @Mixin
    SparkOptions spark;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--texts", defaultValue = "2000", paramLabel = "N", description = "Brown sentences to run")
    int count;

    @Option(names = "--layer", defaultValue = "transformer.h.1", paramLabel = "LAYER", description = "the layer")
    String layer;

    @Option(names = "--batch-size", defaultValue = "8", paramLabel = "N", description = "texts per forward")
    int batchSize;

    @Option(names = "--no-baseline", description = "skip the single-process run (for scaling runs)")
    boolean noBaseline;

    @Option(names = "--one-partition", paramLabel = "N", description = "instead: N short synthetic texts in a single "
            + "partition, to check that a task's memory stays bounded (reports the JVM's -Xmx and peak heap)")
    int onePartition;

    @Override
    public Integer call() throws IOException {
        Path work = Files.createTempDirectory("microw-spark-bench");
        try {
            return onePartition > 0 ? onePartition(work) : overhead(work);
        } finally {
            try (var paths = Files.walk(work)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private Integer overhead(Path work) throws IOException {
        List<String> texts = BrownCorpus.load().sentences().stream().map(BrownCorpus.Sentence::text).limit(count)
                .toList();
        double single = Double.NaN;
        if (!noBaseline) {
            single = singleProcess(texts, work);
        }
        SparkSession session = spark.session("microw bench");
        try {
            Dataset<Row> input = session.createDataset(texts, Encoders.STRING()).toDF("text");
            ExtractOptions options = ExtractOptions.into(work.resolve("warmup").toString()).withBatchSize(batchSize);
            MicrowSpark.extractActivations(input.limit(64), "text", ModelRef.demo(), List.of(layer), options);
            long start = System.nanoTime();
            ActivationsManifest m = MicrowSpark.extractActivations(input, "text", ModelRef.demo(), List.of(layer),
                    ExtractOptions.into(work.resolve("spark").toString()).withBatchSize(batchSize));
            double distributed = m.rows() / ((System.nanoTime() - start) / 1e9);
            spec.commandLine().getOut().printf("%d texts, layer %s, batch %d, master %s%n"
                            + "single-process saveActivations: %.0f tokens/s%n"
                            + "Spark extractActivations:       %.0f tokens/s (%d rows, %d partitions)%n"
                            + "ratio Spark / single:           %.2f%n"
                            + "Parquet:                        %.0f bytes per token row (layer width %d)%n",
                    texts.size(), layer, batchSize, session.sparkContext().master(), single, distributed, m.rows(),
                    input.rdd().getNumPartitions(), distributed / single,
                    (double) parquetBytes(work.resolve("spark")) / m.rows(), m.widths().get(0));
            return 0;
        } finally {
            spark.close(session);
        }
    }

    private Integer onePartition(Path work) {
        List<String> texts = new java.util.ArrayList<>(onePartition);
        for (int i = 0; i < onePartition; i++) {
            texts.add("the jury said " + i + " times");
        }
        SparkSession session = spark.session("microw bench");
        try {
            Dataset<Row> input = session.createDataset(texts, Encoders.STRING()).toDF("text").coalesce(1);
            long start = System.nanoTime();
            ActivationsManifest m = MicrowSpark.extractActivations(input, "text", ModelRef.demo(), List.of(layer),
                    ExtractOptions.into(work.resolve("one").toString()).withBatchSize(batchSize));
            double seconds = (System.nanoTime() - start) / 1e9;
            long oldPeak = java.lang.management.ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP && p.getName().contains("Old"))
                    .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
            spec.commandLine().getOut().printf("%d texts in 1 partition, layer %s, batch %d, master %s: %d rows, "
                            + "%.1f s, %.0f tokens/s; max heap (-Xmx) %d MiB, peak old generation %d MiB%n", texts.size(),
                    layer, batchSize, session.sparkContext().master(), m.rows(), seconds, m.rows() / seconds,
                    Runtime.getRuntime().maxMemory() >> 20, oldPeak >> 20);
            return 0;
        } finally {
            spark.close(session);
        }
    }

    private static long parquetBytes(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            long bytes = 0;
            for (Path f : files.filter(f -> f.toString().endsWith(".parquet")).toList()) {
                bytes += Files.size(f);
            }
            return bytes;
        }
    }

    private double singleProcess(List<String> texts, Path work) {
        try (LanguageModel lm = BrownGpt2.load()) {
            SaveOptions options = SaveOptions.into(work.resolve("store")).withBatchSize(batchSize);
            lm.activations().saveActivations(texts.subList(0, Math.min(64, texts.size())), List.of(layer),
                    options.withRunName("warmup"));
            long[] tokens = {0};
            long start = System.nanoTime();
            lm.activations().saveActivations(texts, List.of(layer),
                    options.withRunName("bench").withProgress(p -> tokens[0] = p.tokens()));
            return tokens[0] / ((System.nanoTime() - start) / 1e9);
        }
    }
}
