package io.microw.cli;

import io.microw.concepts.LatentStatistics;
import io.microw.concepts.OfflineTopTexts;
import io.microw.concepts.TopTextTracker;
import io.microw.data.TextDataset;
import io.microw.frontend.ModelReference;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import io.microw.store.LocalStore;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import java.util.stream.IntStream;

/**
 * Where the {@code concepts} commands find the contexts of latents: a saved activation run (encoded offline; the
 * model is only used for its tokenizer), or texts streamed through the model with the SAE attached.
 */
final class ContextSourceOptions {

    @Option(names = "--store", paramLabel = "DIR", description = "Store of a saved activation run (with --run).")
    Path store;

    @Option(names = "--run", paramLabel = "ID", description = "Saved run to encode offline (with --store).")
    String run;

    @Option(names = "--brown", paramLabel = "train|validation", description = "Texts: Brown sentences of this split.")
    String brown;

    @Option(names = "--texts-file", paramLabel = "FILE", description = "Texts: .txt (one per line), .jsonl, .csv...")
    Path textsFile;

    @Option(names = "--limit", defaultValue = "0", description = "With texts: at most this many (default 0: all).")
    int limit;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "brown-gpt2",
            description = "brown-gpt2, a model directory or a Hub id (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--top-k", defaultValue = "5", paramLabel = "K",
            description = "Contexts kept per latent (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--window", defaultValue = "8", paramLabel = "N",
            description = "Tokens shown on each side of the firing token (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--batch-size", defaultValue = "16", description = "Texts per forward (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--no-progress", description = "No progress line.")
    boolean noProgress;

    /** Checks the options before anything is loaded. */
    void validate(CommandLine cmd) {
        boolean fromStore = store != null || run != null;
        boolean fromTexts = brown != null || textsFile != null;
        if (fromStore == fromTexts || (brown != null && textsFile != null)) {
            throw new ParameterException(cmd, "give the contexts' source as one of --store DIR --run ID, "
                    + "--brown SPLIT or --texts-file FILE");
        }
        if (fromStore && (store == null || run == null)) {
            throw new ParameterException(cmd, store == null ? "--run needs --store DIR" : "--store needs --run ID");
        }
        if (topK < 1) {
            throw new ParameterException(cmd, "--top-k must be at least 1, got " + topK);
        }
        if (window < 0) {
            throw new ParameterException(cmd, "--window must be >= 0, got " + window);
        }
        if (batchSize < 1) {
            throw new ParameterException(cmd, "--batch-size must be at least 1, got " + batchSize);
        }
        if (limit < 0) {
            throw new ParameterException(cmd, "--limit must be >= 0 (0: all), got " + limit);
        }
    }

    /** The contexts' source in a few words: {@code brown:SPLIT}, the texts file's name, or {@code run:ID}. */
    String describe() {
        if (run != null) {
            return "run:" + run;
        }
        return brown != null ? "brown:" + brown : textsFile.getFileName().toString();
    }

    /** The longest context a tracker keeps: the firing token and {@code --window} tokens each side. */
    int contextTokens() {
        return 2 * window + 1;
    }

    LanguageModel openModel() {
        return ModelReference.parse(model).open();
    }

    /** The layer as the source names it: the run's stored name, or the model's canonical name. */
    String resolveLayer(CommandLine cmd, LanguageModel lm, String layer) {
        if (store != null) {
            return SaeSupport.storeLayer(cmd, new LocalStore(store), run, layer, lm.layers()::resolve);
        }
        return lm.layers().resolve(layer);
    }

    /** Fills a tracker with the SAE's top contexts from the source. */
    TopTextTracker track(CommandLine cmd, LanguageModel lm, Sae sae, String layer) {
        PrintWriter err = cmd.getErr();
        TopTextTracker tracker = new TopTextTracker(sae.dSae(), topK, 0, window,
                lm.hasTokenizer() ? lm.tokenizer()::tokenText : id -> "<" + id + ">");
        ProgressLine progress = new ProgressLine(err, !noProgress);
        if (store != null) {
            err.println("encoding run '" + run + "' layer " + layer + " with " + sae);
            err.flush();
            OfflineTopTexts.fromStore(new LocalStore(store), run, layer, sae, tracker);
            return tracker;
        }
        TextDataset texts = SaeSupport.texts(cmd, brown, textsFile, limit, "--brown SPLIT or --texts-file FILE");
        long total = texts.length().orElse(-1);
        long[] seen = {0};
        TextDataset counted = texts.filter(t -> {
            progress.update(++seen[0], total, "texts", "");
            return true;
        });
        OfflineTopTexts.fromDataset(lm, sae, layer, counted, batchSize, tracker);
        progress.finish();
        return tracker;
    }

    /** The latents asked for, else the {@code n} that fired most often (fewer if fewer fired). */
    static List<Integer> chooseLatents(CommandLine cmd, List<Integer> given, TopTextTracker tracker, int nLatents,
                                       int n) {
        if (given != null && !given.isEmpty()) {
            return SaeSupport.latents(cmd, given, nLatents);
        }
        LatentStatistics stats = tracker.statistics();
        return highest(nLatents, n, stats::firings);
    }

    /** The {@code n} latents of highest positive {@code score}, highest first (ties: the smaller index). */
    static List<Integer> highest(int nLatents, int n, IntToDoubleFunction score) {
        return new ArrayList<>(IntStream.range(0, nLatents).filter(l -> score.applyAsDouble(l) > 0).boxed()
                .sorted(Comparator.comparingDouble((Integer l) -> score.applyAsDouble(l)).reversed()
                        .thenComparing(Comparator.naturalOrder()))
                .limit(n).toList());
    }

    /** Whether any option naming a source of contexts was given. */
    boolean given() {
        return store != null || run != null || brown != null || textsFile != null;
    }
}
