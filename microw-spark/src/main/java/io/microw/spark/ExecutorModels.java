package io.microw.spark;

import ai.djl.pytorch.jni.JniUtils;
import io.microw.lm.LanguageModel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models of this JVM (an executor's, or the driver's in local mode): each is loaded once, lazily, keyed by its
 * {@link ModelRef#identity() identity}, and then shared by every task the JVM runs. A model that failed to load is
 * remembered with its error, so a retried task on the same executor fails at once with the same one-line message
 * instead of loading again.
 */
final class ExecutorModels {

    private static final Map<String, Object> MODELS = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /**
     * The model {@code ref} names, loaded on first use in this JVM; the model's intra-op threads are set to
     * {@code threads} (0: the executor's cores) when it is loaded.
     *
     * @throws ModelLoadException when it cannot be loaded (now or at an earlier try in this JVM)
     */
    static LanguageModel get(ModelRef ref, int threads) {
        Object entry = MODELS.computeIfAbsent(ref.identity(), key -> load(ref, threads));
        if (entry instanceof ModelLoadException failed) {
            throw failed;
        }
        return (LanguageModel) entry;
    }

    private static Object load(ModelRef ref, int threads) {
        try {
            JniUtils.setNumThreads(threads > 0 ? threads : executorCores());
            return ref.load();
        } catch (RuntimeException | LinkageError e) {
            return new ModelLoadException("cannot load model '" + ref.spec() + "' on "
                    + ExecutorModels.whereAmI() + ": " + e.getMessage(), e);
        }
    }

    /** The executor's cores ({@code spark.executor.cores}), else this machine's processors (local mode). */
    private static int executorCores() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        int cpus = Runtime.getRuntime().availableProcessors();
        return env == null ? cpus : env.conf().getInt("spark.executor.cores", cpus);
    }

    private static String whereAmI() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        return env == null ? "this JVM" : "executor " + env.executorId();
    }
}
