package io.microw.io;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * microw's own directory for what it unpacks and caches (the demo model, embedded SAE releases, native helpers):
 * {@code $MICROW_HOME} when set, else {@code ~/.cache/microw}.
 */
public final class MicrowHome {

    /** The environment variable that moves it. */
    public static final String VARIABLE = "MICROW_HOME";

    private MicrowHome() {
    }

    /**
     * The directory for this process's environment.
     *
     * @return {@code $MICROW_HOME}, or {@code ~/.cache/microw}
     */
    public static Path directory() {
        return directory(System::getenv);
    }

    /**
     * The directory for a given environment.
     *
     * @param environment looks up an environment variable (null when unset)
     * @return {@code $MICROW_HOME}, or {@code ~/.cache/microw} when it is unset or blank
     */
    public static Path directory(Function<String, String> environment) {
        String home = environment.apply(VARIABLE);
        if (home != null && !home.isBlank()) {
            return Path.of(home);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "microw");
    }
}
