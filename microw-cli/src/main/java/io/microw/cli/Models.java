package io.microw.cli;

import io.microw.demo.BrownGpt2;
import io.microw.models.ModelConfig;

import java.nio.file.Path;

/** How the commands name and describe a model ({@link io.microw.frontend.ModelReference} parses and opens it). */
final class Models {

    private Models() {
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
