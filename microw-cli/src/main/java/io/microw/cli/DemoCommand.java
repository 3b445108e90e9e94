package io.microw.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.microw.concepts.LabelledDiscovery.LatentScore;
import io.microw.concepts.LabelledDiscovery;
import io.microw.concepts.SaeHook;
import io.microw.concepts.TopTextTracker;
import io.microw.data.Datasets;
import io.microw.demo.BrownCorpus;
import io.microw.demo.BrownDiscovery;
import io.microw.demo.BrownGpt2;
import io.microw.demo.WordShare;
import io.microw.eval.SaeEvaluation;
import io.microw.eval.SaeEvaluator;
import io.microw.io.JsonMapper;
import io.microw.lm.GenerationConfig;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.TopKSae;
import io.microw.sae.train.SaeTrainer;
import io.microw.sae.train.SaeTrainingConfig;
import io.microw.sae.train.StoreActivationSource;
import io.microw.sae.train.TrainingMetrics;
import io.microw.sae.train.TrainingResult;
import io.microw.store.LocalStore;
import io.microw.store.StoreDataLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code microw demo}: the whole workflow on the embedded brown-gpt2 model, in a few minutes on two cores. It saves
 * {@code transformer.h.2}'s activations over the first sentences of the Brown training split into a store, trains a
 * TopK SAE on them, evaluates it on Brown validation sentences, tracks each latent's top contexts, runs Brown POS and
 * genre discovery, steers generation with the discovered cardinal-number latent ({@code pos:cd}), and writes a
 * report folder ({@code index.html}, PNG plots, {@code results.json}). Finished steps (the saved run, the trained
 * SAE, its evaluation) are recorded in {@code state.json} and reused by the next run with the same sizes.
 */
@Command(name = "demo",
        description = {"The whole workflow on the embedded brown-gpt2 model in a few minutes: save activations, train "
            + "a TopK SAE, evaluate it, find top contexts and POS/genre concepts, steer with a discovered concept, "
            + "and write an HTML report with plots."},
        footer = {"", "Examples:",
            "  microw demo                       # about 3-5 minutes on 2 cores; report in microw-demo-out/report/",
            "  microw demo --quick --out /tmp/d  # tiny sizes, well under a minute",
            "  microw demo --fresh               # redo every step instead of reusing finished ones"})
final class DemoCommand implements Callable<Integer> {

    static final String LAYER = "transformer.h.2";
    static final String RUN = "brown-train-h2";
    static final long SEED = 42;
    /** Neutral prompts whose greedy continuations are steered (as in BrownSteeringTest). */
    static final List<String> PROMPTS = List.of("He said that", "It was", "They went to", "She looked at",
            "We found", "After that", "In the morning", "The man told", "I think", "There is", "This is the",
            "One of the", "When he", "Then", "For the first time", "As a result");

    private static final ObjectMapper JSON = JsonMapper.mapper();

    private static final ObjectWriter PRETTY = JsonMapper.pretty();

    /** Sizes of one demo mode. */
    record Sizes(String mode, int trainSentences, int evalSentences, int conceptSentences, int dSae, int k,
                 int epochs, int batchSize, int prompts, int newTokens) {

        static final Sizes FULL = new Sizes("full", 16_000, 1_000, 1_000, 1024, 16, 2, 2048, 16, 24);
        static final Sizes QUICK = new Sizes("quick", 300, 60, 120, 256, 8, 1, 512, 4, 8);

        String storeKey() {
            return "brown train sentences 0.." + trainSentences + ", " + LAYER + ", max length 128";
        }

        String saeKey() {
            return storeKey() + "; TopK d_sae " + dSae + " k " + k + ", " + epochs + " epochs, batch " + batchSize
                    + ", seed " + SEED;
        }

        String evalKey() {
            return saeKey() + "; eval on validation sentences 0.." + evalSentences;
        }
    }

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--out", defaultValue = "microw-demo-out", paramLabel = "DIR",
            description = "Folder for the store, the SAE, state.json and report/ (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quick", description = "Tiny sizes (a few hundred sentences, a small SAE, a few steps).")
    boolean quick;

    @Option(names = "--fresh", description = "Ignore finished steps recorded in state.json and redo everything.")
    boolean fresh;

    @Option(names = "--threads", description = "Engine threads (default: $THREADS, else 2).")
    Integer threads;

    @Option(names = "--no-progress", description = "No progress lines.")
    boolean noProgress;

    private PrintWriter stdout;
    private PrintWriter err;
    private Map<String, Object> state;
    private final Map<String, Double> seconds = new LinkedHashMap<>();

    @Override
    public Integer call() throws IOException {
        Sizes sizes = quick ? Sizes.QUICK : Sizes.FULL;
        stdout = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        int threadCount = threads != null ? threads : BenchSupport.defaultThreads();
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threadCount);
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        Path stateFile = out.resolve("state.json");
        state = !fresh && Files.isRegularFile(stateFile)
                ? JSON.readValue(stateFile.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { })
                : new LinkedHashMap<>();
        stdout.printf(Locale.ROOT, "microw demo (%s): brown-gpt2, %s, %d threads; output in %s%n", sizes.mode(),
                LAYER, threadCount, out.toAbsolutePath().normalize());
        stdout.flush();
        BrownCorpus corpus = BrownCorpus.load();
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("mode", sizes.mode());
        results.put("model", BrownGpt2.NAME);
        results.put("layer", LAYER);
        try (LanguageModel lm = BrownGpt2.load()) {
            step(1, "Save activations");
            Map<String, Object> store = saveActivations(lm, corpus, sizes);
            results.put("store", store);

            step(2, "Train a TopK SAE");
            Path saeDir = out.resolve("sae");
            Map<String, Object> training = train(sizes, saeDir);
            results.put("training", training);

            try (Sae sae = Sae.load(saeDir)) {
                step(3, "Evaluate on the validation split");
                Map<String, Object> eval = evaluate(lm, sae, corpus, sizes);
                results.put("eval", eval.get("metrics"));

                step(4, "Concepts: POS/genre discovery and top contexts");
                long t = System.nanoTime();
                BrownDiscovery.Result discovery = new BrownDiscovery(lm, sae, LAYER).batchSize(32)
                        .run(corpus, BrownCorpus.Split.VALIDATION, sizes.conceptSentences());
                BrownDiscovery.Report report = discovery.report(0.5, 10);
                List<String> sentences = corpus.sentences(BrownCorpus.Split.VALIDATION)
                        .subList(0, sizes.conceptSentences()).stream().map(BrownCorpus.Sentence::text).toList();
                try (SaeHook hook = SaeHook.attach(lm, sae, LAYER)) {
                    hook.concepts().enableTextTracking(5, 0, 8);
                    for (int i = 0; i < sentences.size(); i += 32) {
                        lm.inference().executeInference(sentences.subList(i, Math.min(sentences.size(), i + 32)))
                                .close();
                    }
                    TopTextTracker tracker = hook.concepts().tracker();
                    hook.concepts().disableTextTracking();
                    seconds.put("concepts", elapsed(t));
                    stdout.printf(Locale.ROOT, "  %d POS tags of %d have a latent with F1 >= 0.5 (%d sentences, "
                                    + "%,d tokens); top contexts of %d latents tracked  (%.1f s)%n",
                            report.tagsAtLeastMinF1().size(), report.tagCount(), discovery.stats().sentences(),
                            discovery.stats().tokens(), sae.dSae(), seconds.get("concepts"));
                    Map<String, Object> concepts = concepts(discovery, report, tracker);
                    results.put("concepts", concepts);

                    step(5, "Steer with a discovered concept");
                    t = System.nanoTime();
                    Map<String, Object> steering = steer(lm, hook, corpus, discovery.discovery(), tracker, sizes);
                    seconds.put("steering", elapsed(t));
                    results.put("steering", steering);
                    stdout.printf(Locale.ROOT, "  latent %s (%s): number words in %d greedy continuations %.1f%% -> "
                                    + "%.1f%%  (%.1f s)%n", steering.get("latent"), steering.get("label"),
                            PROMPTS.subList(0, sizes.prompts()).size(), 100 * (double) steering.get("share_before"),
                            100 * (double) steering.get("share_after"), seconds.get("steering"));

                    step(6, "Write the report");
                    results.put("seconds", seconds);
                    Path reportDir = out.resolve("report");
                    new DemoReport(reportDir, sizes, tracker, sae.dSae()).write(results,
                            historyOf(training), (double[]) eval.get("density"));
                    double total = elapsed(t0);
                    stdout.printf(Locale.ROOT, "%nDone in %s. Report: %s%n", ProgressLine.clock(total),
                            reportDir.resolve("index.html").toAbsolutePath().normalize());
                }
            }
        }
        stdout.flush();
        return 0;
    }

    // ---- steps ----

    private Map<String, Object> saveActivations(LanguageModel lm, BrownCorpus corpus, Sizes sizes) throws IOException {
        Path storeDir = out.resolve("store");
        LocalStore store = new LocalStore(storeDir);
        Map<String, Object> done = finished("store", sizes.storeKey());
        if (done != null && store.hasRun(RUN)) {
            stdout.printf(Locale.ROOT, "  reusing run %s in %s: %,d real tokens of %d sentences%n", RUN, storeDir,
                    ((Number) done.get("real_tokens")).longValue(), sizes.trainSentences());
            return done;
        }
        boolean resume = store.hasRun(RUN) && sizes.storeKey().equals(state.get("store_started"))
                && !store.listBatches(RUN).isEmpty();
        if (store.hasRun(RUN) && !resume) {
            store.deleteRun(RUN); // made with other sizes: start over
        }
        if (resume) {
            stdout.printf(Locale.ROOT, "  resuming the interrupted run %s after its %d complete batches%n", RUN,
                    store.listBatches(RUN).size());
        } else {
            state.put("store_started", sizes.storeKey());
            writeState();
        }
        List<String> texts = corpus.sentences(BrownCorpus.Split.TRAIN).subList(0, sizes.trainSentences()).stream()
                .map(BrownCorpus.Sentence::text).toList();
        stdout.printf(Locale.ROOT, "  %s over the first %,d sentences of the Brown training split -> %s%n", LAYER,
                texts.size(), storeDir);
        stdout.flush();
        long t = System.nanoTime();
        SaveProgressBar bar = new SaveProgressBar(err);
        SaveOptions options = SaveOptions.into(store).withRunName(RUN).withBatchSize(32).withMaxLength(128)
                .withResume(resume);
        if (!noProgress) {
            options = options.withProgress(bar);
        }
        try {
            lm.activations().saveActivations(Datasets.fromTexts("the first " + texts.size()
                    + " Brown training sentences", texts), List.of(LAYER), options);
        } finally {
            bar.finish();
        }
        var meta = store.runMetadata(RUN);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("key", sizes.storeKey());
        result.put("run", RUN);
        result.put("sentences", texts.size());
        result.put("batches", meta.path("batches").asLong());
        result.put("real_tokens", meta.path("real_tokens").asLong());
        result.put("seconds", round1(elapsed(t)));
        stdout.printf(Locale.ROOT, "  saved %,d real tokens in %d batches  (%.1f s)%n",
                meta.path("real_tokens").asLong(), meta.path("batches").asLong(), elapsed(t));
        record("store", result);
        return result;
    }

    private Map<String, Object> train(Sizes sizes, Path saeDir) throws IOException {
        Map<String, Object> done = finished("training", sizes.saeKey());
        if (done != null && Files.isRegularFile(saeDir.resolve("cfg.json"))
                && Files.isRegularFile(out.resolve("history.json"))) {
            stdout.printf(Locale.ROOT, "  reusing the SAE in %s (trained %d steps, explained variance %.3f at the "
                    + "end)%n", saeDir, ((Number) done.get("steps")).longValue(),
                    ((Number) done.get("train_explained_variance_last")).doubleValue());
            done.put("history", JSON.readValue(out.resolve("history.json").toFile(),
                    new TypeReference<List<Map<String, Object>>>() { }));
            return done;
        }
        long t = System.nanoTime();
        StoreDataLoader loader = StoreDataLoader.builder(new LocalStore(out.resolve("store")), RUN, LAYER)
                .excludeSpecialTokens(true).shuffleBufferRows(1 << 17).seed(SEED).build();
        StoreActivationSource source = new StoreActivationSource(loader);
        long rows = source.rowsPerEpoch();
        int batch = sizes.batchSize();
        long steps = (sizes.epochs() * rows + batch - 1) / batch;
        int metricsEvery = (int) Math.max(1, steps / 100);
        SaeTrainingConfig config = SaeTrainingConfig.builder().lr(4e-4)
                .lrWarmUpSteps((int) Math.min(100, Math.max(1, steps / 10))).lrDecaySteps((int) (steps / 5))
                .batchSize(batch).epochs(sizes.epochs()).auxLossCoefficient(1.0 / 32).kAux(Math.min(256, sizes.dSae() / 2))
                .deadFeatureWindow(Math.min(200_000, Math.max(batch, rows / 2))).maxGradNorm(1.0)
                .normalizeActivations(true).initBDecToMean(true).metricsEvery(metricsEvery).seed(SEED)
                .threads(threads != null ? threads : BenchSupport.defaultThreads()).build();
        stdout.printf(Locale.ROOT, "  TopK SAE d_in %d, d_sae %d, k %d on %,d tokens x %d epochs = %d steps of %d%n",
                source.width(), sizes.dSae(), sizes.k(), rows, sizes.epochs(), steps, batch);
        stdout.flush();
        SaeConfig saeConfig = SaeConfig.of(SaeArchitecture.TOPK, source.width(), sizes.dSae(), sizes.k())
                .withSource(BrownGpt2.NAME, LAYER);
        ProgressLine progress = new ProgressLine(err, !noProgress);
        TrainingResult training;
        try (TopKSae sae = new TopKSae(saeConfig, SEED)) {
            training = new SaeTrainer(sae, config).onMetrics(m -> progress.update(m.step(), m.totalSteps(), "steps",
                    String.format(Locale.ROOT, "mse %.3f  ev %.3f  l0 %.1f  dead %.3f  %,.0f tok/s", m.mse(),
                            m.explainedVariance(), m.l0(), m.deadFraction(), m.tokensPerSecond()))).train(source);
            progress.finish();
            deleteRecursively(saeDir);
            sae.save(saeDir);
        }
        List<Map<String, Object>> history = training.history().stream().map(TrainingMetrics::toMap).toList();
        PRETTY.writeValue(out.resolve("history.json").toFile(), history);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("key", sizes.saeKey());
        result.put("d_in", source.width());
        result.put("d_sae", sizes.dSae());
        result.put("k", sizes.k());
        result.put("epochs", sizes.epochs());
        result.put("batch_size", batch);
        result.put("training_tokens_per_epoch", rows);
        result.put("steps", training.steps());
        result.put("seconds", round1(training.seconds()));
        result.put("tokens_per_s", Math.round(training.tokensPerSecond()));
        result.put("train_explained_variance_last", training.last().explainedVariance());
        result.put("dead_fraction_last", training.last().deadFraction());
        stdout.printf(Locale.ROOT, "  trained %d steps in %.1f s (%,.0f tok/s): explained variance %.3f, L0 %.1f, "
                        + "dead %.1f%%; saved to %s%n", training.steps(), training.seconds(),
                training.tokensPerSecond(), training.last().explainedVariance(), training.last().l0(),
                100 * training.last().deadFraction(), saeDir);
        record("training", result);
        Map<String, Object> withHistory = new LinkedHashMap<>(result);
        withHistory.put("history", history);
        return withHistory;
    }

    private Map<String, Object> evaluate(LanguageModel lm, Sae sae, BrownCorpus corpus, Sizes sizes)
            throws IOException {
        Path evalFile = out.resolve("eval.json");
        Map<String, Object> done = finished("eval", sizes.evalKey());
        if (done != null && Files.isRegularFile(evalFile)) {
            Map<String, Object> saved = JSON.readValue(evalFile.toFile(), new TypeReference<LinkedHashMap<String,
                    Object>>() { });
            @SuppressWarnings("unchecked")
            Map<String, Object> metrics = (Map<String, Object>) saved.get("metrics");
            @SuppressWarnings("unchecked")
            List<Number> density = (List<Number>) saved.get("density");
            stdout.printf(Locale.ROOT, "  reusing the evaluation in %s: explained variance %s, CE loss score %s%n",
                    evalFile, fmt(metrics.get("explained_variance")), fmt(metrics.get("ce_loss_score")));
            return Map.of("metrics", metrics, "density", density.stream().mapToDouble(Number::doubleValue).toArray());
        }
        List<String> texts = corpus.sentences(BrownCorpus.Split.VALIDATION).subList(0, sizes.evalSentences())
                .stream().map(BrownCorpus.Sentence::text).toList();
        stdout.printf(Locale.ROOT, "  the first %,d sentences of the Brown validation split%n", texts.size());
        stdout.flush();
        long t = System.nanoTime();
        ProgressLine progress = new ProgressLine(err, !noProgress);
        SaeEvaluation eval = new SaeEvaluator(lm).batchSize(32)
                .progress(p -> progress.update(p.texts(), p.totalTexts(), "sentences",
                        String.format(Locale.ROOT, "%,d tokens", p.tokens())))
                .evaluate(sae, LAYER, texts);
        progress.finish();
        Map<String, Object> metrics = new LinkedHashMap<>(eval.toMap());
        metrics.put("sentences", texts.size());
        metrics.put("seconds", round1(elapsed(t)));
        Map<String, Object> saved = new LinkedHashMap<>();
        saved.put("metrics", metrics);
        saved.put("density", eval.featureDensity());
        PRETTY.writeValue(evalFile.toFile(), saved);
        stdout.printf(Locale.ROOT, "  explained variance %.3f, CE loss score %.4f, KL score %.4f, L0 %.1f, dead %.1f%%"
                        + " on %,d tokens  (%.1f s)%n", eval.explainedVariance(), eval.ceLossScore(),
                eval.klDivScore(), eval.l0(), 100 * eval.deadFraction(), eval.tokens(), elapsed(t));
        record("eval", Map.of("key", sizes.evalKey()));
        return Map.of("metrics", metrics, "density", eval.featureDensity());
    }

    /** The discovery's headline numbers, its best tags with their latents' top contexts, and the genres. */
    private static Map<String, Object> concepts(BrownDiscovery.Result discovery, BrownDiscovery.Report report,
                                                TopTextTracker tracker) {
        Map<String, Object> m = new LinkedHashMap<>();
        BrownDiscovery.Stats stats = discovery.stats();
        m.put("sentences", stats.sentences());
        m.put("tokens", stats.tokens());
        m.put("pos_tags_seen", report.tagCount());
        m.put("pos_tags_f1_at_least_0_5", report.tagsAtLeastMinF1().size());
        List<LatentScore> best = new ArrayList<>(report.tagsAtLeastMinF1());
        best.sort(Comparator.comparingDouble(LatentScore::f1).reversed());
        List<Map<String, Object>> tags = new ArrayList<>();
        Set<Integer> shown = new LinkedHashSet<>();
        for (LatentScore s : best) {
            tags.add(score(s));
            shown.add(s.latent());
        }
        m.put("tags", tags);
        m.put("top_tags", report.topTags().stream().map(DemoCommand::score).toList());
        m.put("genres", report.genres().stream().map(DemoCommand::score).toList());
        m.put("tracked_texts", tracker.textsSeen());
        return m;
    }

    static Map<String, Object> score(LatentScore s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", s.label());
        m.put("latent", s.latent());
        m.put("precision", s.precision());
        m.put("recall", s.recall());
        m.put("f1", s.f1());
        m.put("tokens", s.labelled());
        return m;
    }

    /**
     * Pins the discovered number latent ({@code pos:cd}) at twice its largest tracked activation and compares greedy
     * continuations of neutral prompts: the share of number words (words whose commonest Brown tag is cd).
     */
    private Map<String, Object> steer(LanguageModel lm, SaeHook hook, BrownCorpus corpus, LabelledDiscovery discovery,
                                      TopTextTracker tracker, Sizes sizes) {
        String label = BrownDiscovery.POS + "cd";
        LatentScore cd = discovery.bestLatent(label);
        int latent = cd.latent();
        float peak = tracker.statistics().maxActivation(latent);
        if (!(peak > 0)) {
            peak = 1f;
        }
        Set<String> numberWords = corpus.wordsMostlyTagged("cd");
        List<String> prompts = PROMPTS.subList(0, sizes.prompts());
        GenerationConfig greedy = GenerationConfig.greedy(sizes.newTokens());
        hook.concepts().resetManipulations();
        List<String> before = lm.inference().generate(prompts, greedy).completions();
        hook.concepts().clampConcept(latent, 2 * peak);
        List<String> after;
        try {
            after = lm.inference().generate(prompts, greedy).completions();
        } finally {
            hook.concepts().resetManipulations();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", label);
        m.put("latent", latent);
        m.put("f1", cd.f1());
        m.put("precision", cd.precision());
        m.put("recall", cd.recall());
        m.put("peak_activation", (double) peak);
        m.put("clamp", 2.0 * peak);
        m.put("new_tokens", sizes.newTokens());
        m.put("share_before", WordShare.of(before, numberWords));
        m.put("share_after", WordShare.of(after, numberWords));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("prompt", prompts.get(i));
            r.put("before", before.get(i));
            r.put("after", after.get(i));
            rows.add(r);
        }
        m.put("texts", rows);
        m.put("number_word_count", numberWords.size());
        return m;
    }

    // ---- state ----

    /** The recorded result of a finished step whose key matches, else null. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> finished(String step, String key) {
        Object v = state.get(step);
        if (v instanceof Map<?, ?> m && key.equals(m.get("key"))) {
            return new LinkedHashMap<>((Map<String, Object>) m);
        }
        return null;
    }

    /** Records a finished step; later steps (which depend on it) are forgotten. */
    private void record(String step, Map<String, Object> result) throws IOException {
        List<String> order = List.of("store", "training", "eval");
        for (int i = order.indexOf(step) + 1; i < order.size(); i++) {
            state.remove(order.get(i));
        }
        state.put(step, result);
        writeState();
    }

    private void writeState() throws IOException {
        Path tmp = out.resolve("state.json.tmp");
        PRETTY.writeValue(tmp.toFile(), state);
        Files.move(tmp, out.resolve("state.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> historyOf(Map<String, Object> training) {
        return (List<Map<String, Object>>) training.getOrDefault("history", List.of());
    }

    private void step(int n, String title) {
        stdout.printf(Locale.ROOT, "%n[%d/6] %s%n", n, title);
        stdout.flush();
    }

    private static double elapsed(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double round1(double x) {
        return Math.round(x * 10) / 10.0;
    }

    private static String fmt(Object v) {
        return v instanceof Number n ? String.format(Locale.ROOT, "%.4f", n.doubleValue()) : String.valueOf(v);
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
