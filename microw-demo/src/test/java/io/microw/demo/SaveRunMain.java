package io.microw.demo;

import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A run of activation saving that a test can start in a JVM of its own and kill: args are the store directory,
 * the run id, {@code resume} or {@code fresh}, and milliseconds to sleep after each batch (to be killed mid-run).
 * Prints {@code batch <n>} after each batch is on disk.
 */
public final class SaveRunMain {

    /** The layers the run saves, out of model order on purpose. */
    static final List<String> LAYERS = List.of("transformer.h.2", "transformer.h.0.mlp");

    private SaveRunMain() {
    }

    /** 45 texts of different lengths, the same every time. */
    static List<String> texts() {
        String[] words = "the jury said that the city election was conducted well and the grand jury praised it"
                .split(" ");
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 45; i++) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < 3 + (i * 7) % 23; j++) {
                sb.append(words[(i + j * 5) % words.length]).append(' ');
            }
            texts.add(sb.toString().strip());
        }
        return texts;
    }

    static String save(LanguageModel lm, Path store, String runId, boolean resume, long sleepMs) {
        SaveOptions options = SaveOptions.into(store).withRunName(runId).withBatchSize(3).withResume(resume)
                .withQueueCapacity(2)
                .withProgress(p -> {
                    System.out.println("batch " + p.batchesDone());
                    System.out.flush();
                    if (sleepMs > 0) {
                        try {
                            Thread.sleep(sleepMs);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
        return lm.activations().saveActivations(texts(), LAYERS, options);
    }

    public static void main(String[] args) {
        try (LanguageModel lm = BrownGpt2.load()) {
            save(lm, Path.of(args[0]), args[1], args[2].equals("resume"), Long.parseLong(args[3]));
        }
        System.out.println("done");
    }
}
