package io.microw.spark;

import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real multi-process cluster ({@code local-cluster[2,1,2048]}: a master, two workers, one executor JVM each, all on
 * 127.0.0.1): one executor is killed with SIGKILL while the extraction runs; Spark reruns its tasks and the output
 * still has every token row exactly once. Tagged "cluster" (about a minute): {@code -Dgroups=cluster} runs it.
 */
@Tag("cluster")
class ExecutorKillTest {

    @TempDir
    Path dir;

    @Test
    void extractionSurvivesAKilledExecutor() throws Exception {
        List<String> sentences = TestSpark.brownSentences();
        Set<String> expected = new HashSet<>();
        try (LanguageModel lm = BrownGpt2.load()) {
            for (int i = 0; i < sentences.size(); i++) {
                long[] ids = lm.tokenizer().encode(sentences.get(i));
                for (int p = 0; p < ids.length; p++) {
                    expected.add(i + ":" + p + ":" + ids[p]);
                }
            }
        }
        // the workers launch executors through SPARK_HOME (set by surefire to target/spark-home): it needs a jars
        // directory; the classes come from spark.executor.extraClassPath, the test JVM's own class path
        Files.createDirectories(Path.of(System.getenv("SPARK_HOME"), "jars"));
        SparkSession.getDefaultSession().foreach(s -> {
            s.stop();
            return null;
        });
        SparkSession spark = LocalSpark.builder("local-cluster[2,1,2048]", "microw-kill-test")
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .config("spark.executor.extraJavaOptions", "-Dai.djl.offline=true")
                .config("spark.default.parallelism", "8")
                .getOrCreate();
        try {
            AtomicInteger tasksDone = new AtomicInteger();
            spark.sparkContext().addSparkListener(new SparkListener() {
                @Override
                public void onTaskEnd(SparkListenerTaskEnd end) {
                    tasksDone.incrementAndGet();
                }
            });
            String out = dir.resolve("acts").toString();
            CompletableFuture<ActivationsManifest> job = CompletableFuture.supplyAsync(() ->
                    MicrowSpark.extractActivations(TestSpark.texts(spark, sentences).repartition(8), "text",
                            ModelRef.demo(), List.of("transformer.h.0"),
                            ExtractOptions.into(out).withIdColumn("id").withBatchSize(2)));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            List<ProcessHandle> executors = List.of();
            while (System.nanoTime() < deadline && !job.isDone()) {
                executors = ProcessHandle.current().descendants()
                        .filter(p -> p.info().command().orElse("").endsWith("/java")) // the workers are threads here
                        .toList();
                if (executors.size() == 2 && tasksDone.get() >= 3) {
                    break;
                }
                Thread.sleep(200);
            }
            if (job.isDone()) {
                job.get(); // a failed job shows its error here
            }
            assertThat(job.isDone()).as("the job was still running when the executor was killed (tasks done: %d)",
                    tasksDone.get()).isFalse();
            assertThat(executors).hasSize(2);
            assertThat(ListeningSockets.of(ProcessHandle.current().pid())).as("driver, master and workers")
                    .isNotEmpty().allSatisfy(a -> assertThat(a).isEqualTo("127.0.0.1"));
            for (ProcessHandle executor : executors) {
                assertThat(ListeningSockets.of(executor.pid())).as("executor %d", executor.pid())
                        .allSatisfy(a -> assertThat(a).isEqualTo("127.0.0.1"));
            }
            assertThat(executors.get(0).destroyForcibly()).isTrue();

            ActivationsManifest m = job.get(5, TimeUnit.MINUTES);
            Set<String> got = new HashSet<>();
            List<Row> rows = spark.read().parquet(out).select("text_id", "position", "token_id").collectAsList();
            rows.forEach(r -> got.add(r.getLong(0) + ":" + r.getInt(1) + ":" + r.getLong(2)));
            assertThat(rows).as("no duplicate rows").hasSize(got.size());
            assertThat(got).isEqualTo(expected);
            assertThat(m.rows()).isEqualTo(expected.size());
            assertThat(Files.exists(Path.of(out, ActivationsManifest.FILE))).isTrue();
        } finally {
            spark.stop();
        }
    }
}
