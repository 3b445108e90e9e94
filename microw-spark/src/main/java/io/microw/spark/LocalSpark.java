package io.microw.spark;

import org.apache.spark.sql.SparkSession;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Starts a Spark session for microw's local mode ({@code local[N]}, {@code local[N,F]} or {@code local-cluster[...]})
 * that listens on the loopback interface only: the driver's RPC and block manager bind to 127.0.0.1, executors are
 * told the same through {@code SPARK_LOCAL_IP}, and the web UI is off. Refuses any other master: a real cluster's
 * session comes from {@code spark-submit}.
 */
public final class LocalSpark {

    /** The only address a local session listens on. */
    public static final String LOOPBACK = "127.0.0.1";

    private static final Pattern LOCAL_MASTER = Pattern.compile("local(\\[(\\*|\\d+)(,\\d+)?])?|local-cluster\\[\\d+,\\s*\\d+,\\s*\\d+]");

    private LocalSpark() {
    }

    /**
     * A new (or the running) local session bound to 127.0.0.1.
     *
     * @param master  {@code local[N]}, {@code local[N,F]} (F task attempts) or {@code local-cluster[E,C,MB]}
     * @param appName the application name Spark reports
     * @return the session; stop it when done
     */
    public static SparkSession session(String master, String appName) {
        return builder(master, appName).getOrCreate();
    }

    /**
     * The builder behind {@link #session}, for callers that add settings; the loopback settings it holds must not be
     * changed.
     *
     * @param master  a local master, as for {@link #session}
     * @param appName the application name
     * @return a builder with the loopback settings
     */
    public static SparkSession.Builder builder(String master, String appName) {
        Objects.requireNonNull(master, "master");
        if (!LOCAL_MASTER.matcher(master).matches()) {
            throw new IllegalArgumentException("master '" + master + "' is not a local master; expected local[N], "
                    + "local[N,F] or local-cluster[E,C,MB] (submit to a real cluster with spark-submit)");
        }
        String env = System.getenv("SPARK_LOCAL_IP");
        if (env != null && !env.isBlank() && !env.equals(LOOPBACK)) {
            throw new IllegalStateException("SPARK_LOCAL_IP is '" + env + "'; microw's local mode listens on "
                    + LOOPBACK + " only: unset it or set it to " + LOOPBACK);
        }
        return SparkSession.builder()
                .master(master)
                .appName(Objects.requireNonNull(appName, "appName"))
                .config("spark.driver.host", LOOPBACK)
                .config("spark.driver.bindAddress", LOOPBACK)
                .config("spark.ui.enabled", "false")
                .config("spark.executorEnv.SPARK_LOCAL_IP", LOOPBACK)
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.adaptive.enabled", "false");
    }
}
