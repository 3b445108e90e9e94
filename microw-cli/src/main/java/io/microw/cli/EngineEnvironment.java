package io.microw.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The OpenMP wait policy that libtorch's threads run under ({@code OMP_WAIT_POLICY}), and who chose it. microw's
 * default is {@code PASSIVE}: GNU OpenMP (the libgomp bundled with DJL's libtorch) reads the variable once, when the
 * library loads, and its default lets idle threads spin, which halves microw's speed when another process shares the
 * cores (BENCHMARKS.md, "Threads under contention"). A value the user set is always kept.
 *
 * @param value  the variable's value, or {@code null} when unset
 * @param source who set it: {@link #SOURCE_MICROW} (microw's launcher or relaunch), {@link #SOURCE_USER}, or
 *               {@link #SOURCE_UNSET}
 */
record OmpWaitPolicy(String value, String source) {

    /** The environment variable libgomp reads at load time. */
    static final String VARIABLE = "OMP_WAIT_POLICY";
    /** microw's default value. */
    static final String DEFAULT = "PASSIVE";
    /** Set (to "1") beside {@link #VARIABLE} by microw's launcher and relaunch, so that the default is told apart. */
    static final String MARKER = "MICROW_OMP_DEFAULT";
    /** The policy was set by microw's launcher script or by the CLI's relaunch. */
    static final String SOURCE_MICROW = "microw";
    /** The user set the variable. */
    static final String SOURCE_USER = "user";
    /** Nobody set it: libgomp's own default (spinning waits). */
    static final String SOURCE_UNSET = "unset";

    /** The policy of this process. */
    static OmpWaitPolicy current() {
        return of(System.getenv());
    }

    /**
     * The policy an environment gives.
     *
     * @param env environment variables
     * @return its value and who set it
     */
    static OmpWaitPolicy of(Map<String, String> env) {
        String value = env.get(VARIABLE);
        if (value == null || value.isEmpty()) {
            return new OmpWaitPolicy(null, SOURCE_UNSET);
        }
        boolean ours = "1".equals(env.get(MARKER)) && DEFAULT.equals(value);
        return new OmpWaitPolicy(value, ours ? SOURCE_MICROW : SOURCE_USER);
    }

    /** Whether microw should set its default: the variable is unset and microw has not already tried. */
    static boolean needsDefault(Map<String, String> env) {
        return of(env).value == null && !env.containsKey(MARKER);
    }

    /**
     * Sets microw's default in {@code env} (a child process's environment) unless a value is there.
     *
     * @param env the environment to change
     */
    static void applyDefault(Map<String, String> env) {
        if (of(env).value == null) {
            env.put(VARIABLE, DEFAULT);
        }
        env.put(MARKER, "1");
    }

    /**
     * Removes microw's default from {@code env}, keeping a value the user set: what the PyTorch peer, which users
     * run without microw's default, should see.
     *
     * @param env the environment to change
     */
    static void removeDefault(Map<String, String> env) {
        if (SOURCE_MICROW.equals(of(env).source)) {
            env.remove(VARIABLE);
        }
        env.remove(MARKER);
    }

    /** The fields of a benchmark's JSON line: {@code omp_wait_policy} (the value, or "unset") and its source. */
    Map<String, String> jsonFields() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("omp_wait_policy", value == null ? SOURCE_UNSET : value);
        fields.put("omp_wait_policy_source", source);
        return fields;
    }

    /** One line for people, e.g. {@code OMP_WAIT_POLICY=PASSIVE (microw's default)}. */
    String describe() {
        return switch (source) {
            case SOURCE_MICROW -> VARIABLE + "=" + value + " (microw's default; set " + VARIABLE + " to override)";
            case SOURCE_USER -> VARIABLE + "=" + value + " (set by the user)";
            default -> VARIABLE + " unset (libgomp's default: idle threads spin; microw sets " + DEFAULT
                    + " when started through its launcher or as java -jar)";
        };
    }
}
