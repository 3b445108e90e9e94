package io.microw.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The tests' shared local[2] session (started once per test JVM) and their Brown sentences. */
final class TestSpark {

    private static SparkSession session;

    private TestSpark() {
    }

    /** The local[2] session, bound to 127.0.0.1. */
    static synchronized SparkSession session() {
        if (session == null || session.sparkContext().isStopped()) {
            session = LocalSpark.builder("local[2]", "microw-spark-tests")
                    .config("spark.default.parallelism", "2")
                    .getOrCreate();
            session.sparkContext().setLogLevel("WARN");
        }
        return session;
    }

    /** The 96 Brown sentences of {@code brown-sample.txt}, in order. */
    static List<String> brownSentences() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                TestSpark.class.getResourceAsStream("/brown-sample.txt"), "brown-sample.txt"), StandardCharsets.UTF_8))) {
            return in.lines().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A DataFrame of (id bigint, text string), the ids being the texts' indices, in the shared session. */
    static Dataset<Row> texts(List<String> texts) {
        return texts(session(), texts);
    }

    /** A DataFrame of (id bigint, text string), the ids being the texts' indices. */
    static Dataset<Row> texts(SparkSession spark, List<String> texts) {
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField("text", DataTypes.StringType, true)));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            rows.add(RowFactory.create((long) i, texts.get(i)));
        }
        return spark.createDataFrame(rows, schema);
    }
}
