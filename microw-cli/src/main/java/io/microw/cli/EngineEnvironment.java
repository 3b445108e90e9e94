package io.microw.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The environment variables microw sets for libtorch by default, and who chose each value. All are read once, before
 * any Java code could change them, so the command restarts itself with them ({@link EngineRelaunch}), the launcher
 * goes through that restart, and the build gives them to the tests:
 * <ul>
 *   <li>{@code OMP_WAIT_POLICY=PASSIVE}: GNU OpenMP (the libgomp bundled with DJL's libtorch) reads it when the library
 *       loads; its default lets idle threads spin, which halves microw's speed when another process shares the cores
 *       (BENCHMARKS.md, "Threads under contention").</li>
 *   <li>{@code GLIBC_TUNABLES=glibc.malloc.hugetlb=1}: glibc reads it when the process starts; malloc then asks for
 *       transparent huge pages for its large blocks, so a fresh tensor of hundreds of megabytes (GPT-2's logits) is
 *       mapped in 2 MiB pages instead of 4 KiB ones: its first write no longer costs one page fault per 4 KiB
 *       (BENCHMARKS.md, "Huge pages for large tensors").</li>
 *   <li>{@code LD_PRELOAD=<microw's MKL dispatch shim>}, on AMD x86-64 processors only ({@link MklDispatchShim}): the
 *       dynamic linker loads it before libtorch, and libtorch's MKL then runs the kernels it gives Intel processors
 *       (AVX-512 where there is AVX-512) instead of generic AVX2 code, about twice as fast on float32 products
 *       (BENCHMARKS.md, "MKL on AMD processors").</li>
 *   <li>{@code MKL_CBWR=AUTO,STRICT}, beside the shim only: MKL's strict reproducible mode, in which a row's product
 *       does not depend on how many rows share its batch. MKL's kernels round a row differently by the row count of
 *       its batch (measured, with the shim: batches of 1, of 2–8 and of 17 or more rows gave three different
 *       results; without it: 1, 2–3 and 8 or more), so without strict mode a text's activations could differ by
 *       up to 8e-5 between batchings and equal activations could swap places in top-text lists; on the quiet
 *       machine it cost no measurable speed.</li>
 * </ul>
 * A value the user set is always kept. {@link #MARKER} set to {@code 1} says microw applied its defaults (any other
 * value: the user asked for none; either way there is no restart).
 */
final class EngineEnvironment {

    /** Set (to "1") beside the variables by microw's restart and the build, so that its defaults are told apart. */
    static final String MARKER = "MICROW_OMP_DEFAULT";
    /** The setting was made by microw's restart (or the build's test configuration). */
    static final String SOURCE_MICROW = "microw";
    /** The user set the variable. */
    static final String SOURCE_USER = "user";
    /** Nobody set it: the library's own default. */
    static final String SOURCE_UNSET = "unset";

    /** libgomp's wait policy: idle threads sleep instead of spinning. */
    static final Variable OMP_WAIT_POLICY = new Variable("OMP_WAIT_POLICY", () -> "PASSIVE", "omp_wait_policy",
            "libgomp's default: idle threads spin");
    /** glibc's malloc tunables: transparent huge pages for large blocks. */
    static final Variable GLIBC_TUNABLES = new Variable("GLIBC_TUNABLES", () -> "glibc.malloc.hugetlb=1",
            "glibc_tunables", "glibc's default: large tensors in 4 KiB pages");
    /** The dynamic linker's preloaded libraries: microw's MKL dispatch shim, on AMD processors only. */
    static final Variable LD_PRELOAD = new Variable("LD_PRELOAD",
            () -> MklDispatchShim.forThisMachine().map(Path::toString).orElse(null), "ld_preload",
            "MKL's own kernel choice: generic AVX2 code on AMD processors");
    /** MKL's conditional numerical reproducibility: strict, beside the shim only. */
    static final Variable MKL_CBWR = new Variable("MKL_CBWR",
            () -> MklDispatchShim.forThisMachine().isPresent() ? "AUTO,STRICT" : null, "mkl_cbwr",
            "MKL's default: a row's rounding depends on the size of its batch");
    /** Every variable microw gives a default to. */
    static final List<Variable> VARIABLES = List.of(OMP_WAIT_POLICY, GLIBC_TUNABLES, LD_PRELOAD, MKL_CBWR);

    private EngineEnvironment() {
    }

    /**
     * One variable microw sets when the user has not.
     *
     * @param name         the environment variable
     * @param defaultValue microw's default value on this machine, or null where microw sets none
     * @param jsonKey      its field in a benchmark's JSON line (the source goes in {@code jsonKey + "_source"})
     * @param whenUnset    what running without it means, for people
     */
    record Variable(String name, Supplier<String> defaultValue, String jsonKey, String whenUnset) {

        /** microw's default value on this machine, or null where microw sets none. */
        String value() {
            return defaultValue.get();
        }

        /**
         * The value this variable has in an environment and who set it.
         *
         * @param env environment variables
         * @return the setting
         */
        Setting in(Map<String, String> env) {
            String v = env.get(name);
            if (v == null || v.isEmpty()) {
                return new Setting(this, null, SOURCE_UNSET);
            }
            boolean ours = "1".equals(env.get(MARKER)) && v.equals(value());
            return new Setting(this, v, ours ? SOURCE_MICROW : SOURCE_USER);
        }
    }

    /**
     * A variable's value in one environment.
     *
     * @param variable the variable
     * @param value    its value, or {@code null} when unset
     * @param source   who set it: {@link #SOURCE_MICROW}, {@link #SOURCE_USER} or {@link #SOURCE_UNSET}
     */
    record Setting(Variable variable, String value, String source) {

        /** One line for people, e.g. {@code OMP_WAIT_POLICY=PASSIVE (microw's default; set it to override)}. */
        String describe() {
            String name = variable.name();
            return switch (source) {
                case SOURCE_MICROW -> name + "=" + value + " (microw's default; set " + name + " to override)";
                case SOURCE_USER -> name + "=" + value + " (set by the user)";
                default -> variable.value() == null
                        ? name + " unset (" + variable.whenUnset() + "; microw sets none on this machine)"
                        : name + " unset (" + variable.whenUnset() + "; microw sets " + variable.value()
                                + " when started through its launcher or as java -jar)";
            };
        }
    }

    /**
     * Every variable's setting in an environment.
     *
     * @param env environment variables
     * @return one setting per {@link #VARIABLES} entry, in that order
     */
    static List<Setting> of(Map<String, String> env) {
        List<Setting> settings = new ArrayList<>();
        for (Variable v : VARIABLES) {
            settings.add(v.in(env));
        }
        return settings;
    }

    /** Every variable's setting in this process. */
    static List<Setting> current() {
        return of(System.getenv());
    }

    /**
     * Whether microw should restart with its defaults: a variable microw sets on this machine is unset and neither
     * microw nor the user has decided about the defaults yet ({@link #MARKER} absent).
     *
     * @param env environment variables
     * @return true when a restart would change something
     */
    static boolean needsDefaults(Map<String, String> env) {
        return !env.containsKey(MARKER)
                && of(env).stream().anyMatch(s -> s.value() == null && s.variable().value() != null);
    }

    /**
     * Whether microw's restart (or the build) set this environment up ({@link #MARKER} is {@code 1}): the restarted
     * command's stderr is then filtered by its parent.
     *
     * @param env environment variables
     * @return true when the marker says so
     */
    static boolean appliedByMicrow(Map<String, String> env) {
        return "1".equals(env.get(MARKER));
    }

    /**
     * Sets microw's defaults in {@code env} (a child process's environment) where no value is there, and the marker.
     *
     * @param env the environment to change
     */
    static void applyDefaults(Map<String, String> env) {
        for (Variable v : VARIABLES) {
            String ours = v.value();
            if (v.in(env).value() == null && ours != null) {
                env.put(v.name(), ours);
            }
        }
        env.put(MARKER, "1");
    }

    /**
     * Removes microw's defaults from {@code env}, keeping values the user set: what the PyTorch peer, which users run
     * without microw's defaults, should see.
     *
     * @param env the environment to change
     */
    static void removeDefaults(Map<String, String> env) {
        for (Setting s : of(env)) {
            if (SOURCE_MICROW.equals(s.source())) {
                env.remove(s.variable().name());
            }
        }
        env.remove(MARKER);
    }

    /**
     * The fields of a benchmark's JSON line: per variable its value ("unset" when unset) and its source, e.g.
     * {@code omp_wait_policy}, {@code omp_wait_policy_source}, {@code glibc_tunables}, {@code glibc_tunables_source}.
     *
     * @param env environment variables
     * @return the fields in a stable order
     */
    static Map<String, String> jsonFields(Map<String, String> env) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (Setting s : of(env)) {
            fields.put(s.variable().jsonKey(), s.value() == null ? SOURCE_UNSET : s.value());
            fields.put(s.variable().jsonKey() + "_source", s.source());
        }
        return fields;
    }

    /** {@link #jsonFields(Map)} of this process. */
    static Map<String, String> jsonFields() {
        return jsonFields(System.getenv());
    }
}
