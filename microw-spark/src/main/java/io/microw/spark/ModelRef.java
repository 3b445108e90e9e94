package io.microw.spark;

import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Names a model the way every microw command does, so that each executor can load it: {@code brown-gpt2} (the
 * embedded demo model), a model directory every executor can read (shared storage or {@code --files}), or a Hugging
 * Face Hub id {@code owner/name} (each executor's Hub cache). Serializable: it is what travels to the executors,
 * and its {@link #identity()} keys the one loaded copy per executor JVM.
 *
 * @param spec the model's name as given
 */
public record ModelRef(String spec) implements Serializable {

    /** Checks the spec's form (not whether it loads). */
    public ModelRef {
        Objects.requireNonNull(spec, "spec");
        if (spec.isBlank()) {
            throw new IllegalArgumentException("model name is blank; expected brown-gpt2, a model directory or a Hub "
                    + "id like owner/name");
        }
    }

    /**
     * The model {@code spec} names.
     *
     * @param spec brown-gpt2, a model directory, or a Hub id
     * @return the reference
     */
    public static ModelRef of(String spec) {
        return new ModelRef(spec);
    }

    /**
     * The embedded demo model, brown-gpt2.
     *
     * @return the reference
     */
    public static ModelRef demo() {
        return new ModelRef(BrownGpt2.NAME);
    }

    /**
     * What identifies the model across machines: {@code brown-gpt2}, the Hub id, or the directory's absolute path.
     *
     * @return the identity key
     */
    public String identity() {
        if (isDemo()) {
            return BrownGpt2.NAME;
        }
        return isHubId() ? spec : Path.of(spec).toAbsolutePath().normalize().toString();
    }

    /**
     * Loads the model in this JVM (the caller owns and closes it).
     *
     * @return the model
     */
    public LanguageModel load() {
        if (isDemo()) {
            return BrownGpt2.load();
        }
        Path dir = Path.of(spec);
        if (Files.isDirectory(dir)) {
            return LanguageModel.load(dir);
        }
        if (!isHubId()) {
            throw new IllegalArgumentException("model '" + spec + "' is neither brown-gpt2, an existing directory on "
                    + "this machine, nor a Hub id like owner/name");
        }
        return LanguageModel.fromPretrained(spec);
    }

    private boolean isDemo() {
        return spec.equals(BrownGpt2.NAME) || spec.equals("demo");
    }

    private boolean isHubId() {
        return spec.contains("/") && !spec.startsWith("/") && !spec.startsWith(".") && !Files.isDirectory(Path.of(spec))
                && spec.chars().filter(c -> c == '/').count() == 1;
    }
}
