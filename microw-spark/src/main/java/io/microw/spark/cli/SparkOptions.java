package io.microw.spark.cli;

import io.microw.spark.LocalSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

import java.util.Locale;

/** The options every Spark command shares: the master, and how a text file becomes a DataFrame. */
final class SparkOptions {

    @Option(names = "--master", paramLabel = "URL",
            description = "local[N] or local-cluster[E,C,MB] (E executor JVMs of C cores, MB each; needs SPARK_HOME "
                    + "with a jars/ folder), loopback only; omit under spark-submit, which sets it")
    String master;

    private boolean created;

    /** The session: spark-submit's, or a loopback-only local one for {@code --master local[...]}. */
    SparkSession session(String app) {
        created = SparkSession.getDefaultSession().isEmpty();
        if (master != null) {
            SparkSession.Builder builder = LocalSpark.builder(master, app);
            if (master.startsWith("local-cluster")) {
                // the workers start executor JVMs through $SPARK_HOME (a directory with a jars/ folder, empty will
                // do); they get this JVM's class path
                // and the executor's cores, which size the model's threads (local-cluster does not set them)
                String cores = master.replaceAll("local-cluster\\[\\s*\\d+\\s*,\\s*(\\d+)\\s*,.*", "$1");
                builder.config("spark.executor.cores", cores)
                        .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                        .config("spark.executor.extraJavaOptions", "-Dai.djl.offline="
                                + System.getProperty("ai.djl.offline", "false"));
            }
            SparkSession spark = builder.getOrCreate();
            spark.sparkContext().setLogLevel("WARN");
            return spark;
        }
        if (System.getProperty("spark.master") == null) {
            throw new IllegalArgumentException("no master: give --master local[2] (or run under spark-submit)");
        }
        return SparkSession.builder().appName(app).getOrCreate();
    }

    /** Stops the session when this command started it. */
    void close(SparkSession spark) {
        if (created) {
            spark.stop();
        }
    }

    /** Reads texts by extension: .parquet, .json/.jsonl, .csv (with a header), else plain text (column "value"). */
    static Dataset<Row> readTexts(SparkSession spark, String path) {
        String p = path.toLowerCase(Locale.ROOT);
        if (p.endsWith(".parquet")) {
            return spark.read().parquet(path);
        }
        if (p.endsWith(".json") || p.endsWith(".jsonl")) {
            return spark.read().json(path);
        }
        if (p.endsWith(".csv")) {
            return spark.read().option("header", "true").csv(path);
        }
        return spark.read().text(path);
    }
}
