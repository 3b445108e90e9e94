package io.microw.cli;

import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.models.ModelConfig;

import java.nio.file.Path;

/** Opens the model a command was given: a directory, or the embedded demo model when none is named. */
final class Models {

    private Models() {
    }

    /** Loads {@code dir}, or brown-gpt2 when {@code dir} is {@code null}. */
    static LanguageModel open(Path dir) {
        return dir == null ? BrownGpt2.load() : LanguageModel.load(dir);
    }

    /**
     * Loads a model named on the command line: {@code brown-gpt2} (or nothing) for the embedded demo model, an
     * existing directory, or else a Hugging Face Hub id ({@code owner/name}, downloaded to the cache).
     */
    static LanguageModel open(String spec) {
        if (isDemo(spec)) {
            return BrownGpt2.load();
        }
        Path dir = Path.of(spec);
        if (java.nio.file.Files.isDirectory(dir)) {
            return LanguageModel.load(dir);
        }
        if (!spec.contains("/") || spec.startsWith("/") || spec.startsWith(".")) {
            throw new IllegalArgumentException("model '" + spec + "' is neither brown-gpt2, an existing directory, nor a "
                    + "Hub id like owner/name");
        }
        return LanguageModel.fromPretrained(spec);
    }

    /**
     * The name a saved run records for the model {@code spec} names, independent of where the model lies:
     * {@code brown-gpt2} for the demo model, the Hub id for a Hub model, and {@code null} for a directory (the run
     * then records the directory's name).
     */
    static String runName(String spec) {
        if (isDemo(spec)) {
            return BrownGpt2.NAME;
        }
        return java.nio.file.Files.isDirectory(Path.of(spec)) ? null : spec;
    }

    private static boolean isDemo(String spec) {
        return spec == null || spec.equals(BrownGpt2.NAME) || spec.equals("demo");
    }

    /** A short name for the model a command was given. */
    static String label(Path dir) {
        return dir == null ? BrownGpt2.NAME + " (the embedded demo model)" : dir.toString();
    }

    /** One line about the architecture: "GPT2LMHeadModel, 4 layers, d 256, 8 heads, vocab 4096, context 256". */
    static String describe(ModelConfig c) {
        return c.architecture() + ", " + c.numLayers() + " layers, d " + c.hiddenSize() + ", " + c.numHeads()
                + " heads, vocab " + c.vocabSize() + ", context " + c.maxPositions();
    }
}
