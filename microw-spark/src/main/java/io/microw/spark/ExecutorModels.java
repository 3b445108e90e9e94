package io.microw.spark;

import ai.djl.pytorch.jni.JniUtils;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import io.microw.steering.SteeringVector;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The models and SAEs of this JVM (an executor's, or the driver's in local mode): each is loaded once, lazily, keyed
 * by its identity ({@link ModelRef#identity()}, {@link SaeRef#identity()},
 * {@link DirectionRef#identity()}), and then shared by every task the JVM runs. A model that failed to load is
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
        return (LanguageModel) entry(MODELS.computeIfAbsent("model:" + ref.identity(), key -> load(ref, threads)));
    }

    /**
     * The SAE {@code ref} names, loaded on first use in this JVM.
     *
     * @throws ModelLoadException when it cannot be loaded (now or at an earlier try in this JVM)
     */
    static Sae sae(SaeRef ref) {
        return (Sae) cached("sae:" + ref.identity(), "the SAE '" + ref.directory() + "'", ref::load);
    }

    /**
     * The direction {@code ref} names, loaded on first use in this JVM.
     *
     * @throws ModelLoadException when it cannot be loaded (now or at an earlier try in this JVM)
     */
    static SteeringVector direction(DirectionRef ref) {
        return (SteeringVector) cached("direction:" + ref.identity(), "the direction '" + ref.file() + "'", ref::load);
    }

    private static Object cached(String key, String what, Supplier<Object> load) {
        return entry(MODELS.computeIfAbsent(key, k -> {
            try {
                return load.get();
            } catch (RuntimeException | LinkageError e) {
                return new ModelLoadException("cannot load " + what + " on " + whereAmI() + ": " + e.getMessage(), e);
            }
        }));
    }

    private static Object entry(Object entry) {
        if (entry instanceof ModelLoadException failed) {
            throw failed;
        }
        return entry;
    }

    private static Object load(ModelRef ref, int threads) {
        try {
            LanguageModel lm = ref.load();
            JniUtils.setNumThreads(threads > 0 ? threads : executorCores()); // after the load has started the engine
            return lm;
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
