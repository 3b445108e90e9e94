package io.microw.demo;

import io.microw.MicrowException;
import io.microw.io.AtomicFiles;
import io.microw.io.MicrowHome;
import io.microw.lm.LanguageModel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The embedded default model, brown-gpt2: a 4-layer GPT-2 (d 256, 8 heads, 4096-token BPE vocabulary)
 * trained on the Brown corpus. It ships inside this jar and is unpacked once into a cache directory.
 */
public final class BrownGpt2 {

    /** The name microw uses for the demo model. */
    public static final String NAME = "brown-gpt2";
    /**
     * The embedded SAE release of the demo model (registered in {@code META-INF/microw/sae-releases.yaml}), loaded
     * with {@code Sae.fromPretrained(SAE_RELEASE, SAE_ID)} without network.
     */
    public static final String SAE_RELEASE = "brown-gpt2-res";
    /** The id of the demo SAE in {@link #SAE_RELEASE}: a TopK SAE (1,024 latents, k 16) on the third block's output. */
    public static final String SAE_ID = "blocks.2.hook_resid_post";

    private static final String RESOURCE_DIR = "/io/microw/demo/brown-gpt2/";
    private static final List<String> FILES = List.of("config.json", "model.safetensors", "tokenizer.json",
            "tokenizer_config.json", "generation_config.json", "README.md", "MODEL_CARD.json", "LICENSE-NOTE.md");

    private BrownGpt2() {
    }

    /** Loads the demo model. */
    public static LanguageModel load() {
        return LanguageModel.load(directory());
    }

    /**
     * The model directory, unpacked on first use under {@code $MICROW_HOME} (default {@code ~/.cache/microw})
     * in {@code models/brown-gpt2-<size>}; unpacking goes to a temporary directory renamed when complete.
     */
    public static synchronized Path directory() {
        Path target = MicrowHome.directory().resolve("models").resolve(NAME + "-" + fingerprint());
        if (Files.isRegularFile(target.resolve("model.safetensors"))) {
            return target;
        }
        try {
            AtomicFiles.publishDirectory(target, temp -> {
                for (String file : FILES) {
                    try (InputStream in = resource(file)) {
                        Files.copy(in, temp.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            });
            return target;
        } catch (IOException e) {
            throw new MicrowException("cannot unpack the demo model into " + target + ": " + e.getMessage()
                    + " (set MICROW_HOME to a writable directory)", e);
        }
    }

    /** Size of the packed weights: a new model version gets a new directory. */
    private static String fingerprint() {
        try (InputStream in = resource("model.safetensors")) {
            long size = 0;
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                size += n;
            }
            return Long.toString(size, 36);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String file) throws IOException {
        InputStream in = BrownGpt2.class.getResourceAsStream(RESOURCE_DIR + file);
        if (in == null) {
            throw new IOException("resource " + RESOURCE_DIR + file + " is missing from the microw-demo jar");
        }
        return in;
    }
}
