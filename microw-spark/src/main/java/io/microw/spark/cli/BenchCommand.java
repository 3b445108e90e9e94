package io.microw.spark.cli;

import io.microw.demo.BrownCorpus;
import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.spark.ActivationLayout;
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
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code bench}: Spark extraction against single-process {@code saveActivations} of the same Brown sentences and
 * layer on this machine, in real tokens per second (the model loaded and warmed up first in both), each layer-column
 * layout in turn, interleaved with the single-process runs run by run, with where the Spark side spent its time.
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

    @Option(names = "--layout", defaultValue = "both", paramLabel = "LAYOUT",
            description = "float-array, binary, or both (default): the layouts alternate run by run")
    String layout;

    @Option(names = "--runs", defaultValue = "1", paramLabel = "N",
            description = "rounds of (single-process, then each layout), interleaved; medians reported")
    int runs;

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
            delete(work);
        }
    }

    private Integer overhead(Path work) throws IOException {
        if (runs < 1) {
            throw new IllegalArgumentException("--runs is " + runs + "; expected at least 1");
        }
        List<String> texts = BrownCorpus.load().sentences().stream().map(BrownCorpus.Sentence::text).limit(count)
                .toList();
        List<ActivationLayout> layouts = "both".equals(layout) ? List.of(ActivationLayout.values())
                : List.of(ActivationLayout.parse(layout));
        PrintWriter out = spec.commandLine().getOut();
        SparkSession session = spark.session("microw bench");
        StageTimes stages = new StageTimes();
        session.sparkContext().addSparkListener(stages);
        try (LanguageModel lm = noBaseline ? null : BrownGpt2.load()) {
            Dataset<Row> input = session.createDataset(texts, Encoders.STRING()).toDF("text");
            for (ActivationLayout l : layouts) {
                extract(input.limit(64), l, work.resolve("warmup-" + l.id()));
            }
            if (lm != null) {
                singleProcess(lm, texts.subList(0, Math.min(64, texts.size())), work, "warmup");
            }
            stages.drain();
            out.printf("%d texts, layer %s, batch %d, master %s, %d partitions; runs interleaved%n", texts.size(),
                    layer, batchSize, session.sparkContext().master(), input.rdd().getNumPartitions());
            Map<ActivationLayout, List<Double>> ratios = new EnumMap<>(ActivationLayout.class);
            for (int run = 1; run <= runs; run++) {
                double single = lm == null ? Double.NaN : singleProcess(lm, texts, work, "bench-" + run);
                if (lm != null) {
                    out.printf("run %d: single-process saveActivations %.0f tokens/s%n", run, single);
                }
                for (ActivationLayout l : layouts) {
                    Path dir = work.resolve("spark-" + l.id() + "-" + run);
                    long start = System.nanoTime();
                    ActivationsManifest m = extract(input, l, dir);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    double tokensPerSecond = m.rows() / seconds;
                    ratios.computeIfAbsent(l, k -> new ArrayList<>()).add(tokensPerSecond / single);
                    out.printf("run %d: Spark %-11s %.0f tokens/s, ratio %.2f, %d rows, %.0f Parquet bytes per row "
                                    + "(width %d), %.1f s%n", run, l.id(), tokensPerSecond, tokensPerSecond / single,
                            m.rows(), (double) parquetBytes(dir) / m.rows(), m.widths().get(0), seconds);
                    printStages(out, stages);
                    delete(dir);
                }
            }
            for (ActivationLayout l : layouts) {
                out.printf("median ratio Spark %s / single: %.2f%n", l.id(), median(ratios.get(l)));
            }
            return 0;
        } finally {
            session.sparkContext().removeSparkListener(stages);
            spark.close(session);
        }
    }

    private ActivationsManifest extract(Dataset<Row> input, ActivationLayout l, Path dir) {
        return MicrowSpark.extractActivations(input, "text", ModelRef.demo(), List.of(layer),
                ExtractOptions.into(dir.toString()).withBatchSize(batchSize).withLayout(l));
    }

    /** The stages of the last extraction: where the Spark side spent its time. */
    private static void printStages(PrintWriter out, StageTimes stages) {
        try {
            Thread.sleep(300); // the listener bus delivers the last stage's end asynchronously
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (StageTimes.Stage s : stages.drain()) {
            out.printf("         stage %-40s %6.2f s wall, tasks %6.2f s (GC %.2f s)%n", s.name(), s.wallSeconds(),
                    s.taskSeconds(), s.gcSeconds());
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static void delete(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
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

    private double singleProcess(LanguageModel lm, List<String> texts, Path work, String run) throws IOException {
        SaveOptions options = SaveOptions.into(work.resolve("store")).withBatchSize(batchSize);
        long[] tokens = {0};
        long start = System.nanoTime();
        lm.activations().saveActivations(texts, List.of(layer),
                options.withRunName(run).withProgress(p -> tokens[0] = p.tokens()));
        double seconds = (System.nanoTime() - start) / 1e9;
        delete(work.resolve("store").resolve("runs").resolve(run));
        return tokens[0] / seconds;
    }
}
