package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.data.DatasetOptions;
import io.microw.data.Datasets;
import io.microw.data.HubDatasets;
import io.microw.data.TextDataset;
import io.microw.frontend.ActivationsJobSpec;
import io.microw.frontend.TrainingJobSpec;
import io.microw.io.hub.PretrainedOptions;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.lm.SaveProgress;
import io.microw.lm.SaveStoppedException;
import io.microw.sae.Sae;
import io.microw.sae.SaeConfig;
import io.microw.sae.train.SaeTrainer;
import io.microw.sae.train.SaeTrainingConfig;
import io.microw.sae.train.StoreActivationSource;
import io.microw.sae.train.TrainingMetrics;
import io.microw.store.DatasetIdentity;
import io.microw.store.LocalStore;
import io.microw.store.RunStatus;
import io.microw.store.StoreDataLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Runs jobs one at a time on a single thread. Cancelling sets a flag that the save progress callback or the
 * training metrics listener checks: it throws ({@link SaveStoppedException}, which the run's {@code meta.json}
 * records as {@code cancelled}, or {@link Stopped} in training), the work unwinds, and the job ends
 * {@code cancelled} with its partial run or checkpoints kept, so it can be resumed. Stopping the server stops the
 * running job the same way and records it (and its run) {@code interrupted}. An activation job records its model's
 * name and its dataset's identity in the run, and a resume refuses a run saved with another model or dataset.
 * A patching or attribution job holds a lease on its loaded model while it runs (failing when the model is not
 * loaded), checks its request again, reports the cells measured after each forward (where a cancel stops it), and
 * writes its answer to {@link #resultFile}; it keeps nothing when stopped (its cancel says so), and a resume runs it
 * again from the start.
 */
final class JobRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);
    static final String ACTIVATIONS = "activations";
    static final String TRAINING = "training";
    static final String PATCHING = "patching";
    static final String ATTRIBUTION = "attribution";

    /**
     * Thrown from the training metrics listener or a patching progress report, or before a job's work starts, to stop
     * the job.
     */
    static final class Stopped extends RuntimeException {
        Stopped() {
            super("stopped", null, false, false);
        }
    }

    /** Flags of one queued or running job. */
    private static final class Control {
        volatile boolean cancel;
        volatile boolean resume;
    }

    private final ServerConfig config;
    private final JobStore store;
    private final ModelRegistry models;
    private final JobPacing pacing;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "microw-jobs");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Control> controls = new ConcurrentHashMap<>();
    private final Map<String, List<Consumer<Event>>> listeners = new ConcurrentHashMap<>();
    private volatile boolean shuttingDown;

    /** An event for the job's SSE stream: {@code progress} or {@code status}, with the job's JSON. */
    record Event(String name, ObjectNode data, boolean last) {
    }

    JobRunner(ServerConfig config, JobStore store, ModelRegistry models, JobPacing pacing) {
        this.config = config;
        this.store = store;
        this.models = models;
        this.pacing = pacing;
    }

    Path storeDirectory() {
        return config.dataDirectory().resolve("store");
    }

    Path saeDirectory(String jobId) {
        return config.dataDirectory().resolve("saes").resolve(jobId);
    }

    Path checkpointDirectory(String jobId) {
        return config.dataDirectory().resolve("jobs").resolve(jobId).resolve("checkpoints");
    }

    /** Where a patching job's answer is written. */
    Path resultFile(String jobId) {
        return config.dataDirectory().resolve("jobs").resolve(jobId).resolve("result.json");
    }

    JobStore store() {
        return store;
    }

    /** Records and queues a new job. */
    JobStore.Job submit(String kind, ObjectNode params) {
        JobStore.Job job = store.create(kind, params);
        enqueue(job.id(), false);
        return job;
    }

    /** Queues an interrupted or cancelled job again, to continue where it stopped; 409 in any other status. */
    synchronized JobStore.Job resume(String id) {
        JobStore.Job job = require(id);
        if (job.status() != JobStore.Status.INTERRUPTED && job.status() != JobStore.Status.CANCELLED) {
            throw ApiException.conflict("job " + id + " is " + job.status().id()
                    + "; only interrupted or cancelled jobs can be resumed");
        }
        store.requeue(id);
        enqueue(id, true);
        publish(id, "status", false);
        return store.get(id).orElseThrow();
    }

    /** Cancels a queued job at once, or asks a running one to stop; 409 when it has ended. */
    synchronized JobStore.Job cancel(String id) {
        JobStore.Job job = require(id);
        if (job.status().terminal()) {
            throw ApiException.conflict("job " + id + " has ended (" + job.status().id() + "); nothing to cancel");
        }
        Control c = controls.get(id);
        if (c != null) {
            c.cancel = true;
        }
        if (job.status() == JobStore.Status.QUEUED) {
            store.log(id, "cancelled before it started");
            store.finish(id, JobStore.Status.CANCELLED, "cancelled before it started", null, null);
            publish(id, "status", true);
        }
        return store.get(id).orElseThrow();
    }

    JobStore.Job require(String id) {
        return store.get(id).orElseThrow(() -> ApiException.notFound("no job '" + id + "'; GET /api/jobs lists them"));
    }

    /** Subscribes to a job's events; returns the unsubscriber. */
    Runnable subscribe(String id, Consumer<Event> listener) {
        listeners.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(listener);
        return () -> {
            List<Consumer<Event>> l = listeners.get(id);
            if (l != null) {
                l.remove(listener);
            }
        };
    }

    private void publish(String id, String name, boolean last) {
        List<Consumer<Event>> l = listeners.get(id);
        if (l == null || l.isEmpty()) {
            return;
        }
        Event e = new Event(name, store.get(id).orElseThrow().toJson(false), last);
        for (Consumer<Event> c : l) {
            try {
                c.accept(e);
            } catch (RuntimeException ex) {
                LOG.debug("an event listener of job {} failed", id, ex);
            }
        }
    }

    private void enqueue(String id, boolean resume) {
        Control c = new Control();
        c.resume = resume;
        controls.put(id, c);
        executor.execute(() -> run(id, c));
    }

    /**
     * Runs a queued job. Each ending is logged before it is recorded, so a client that sees the job ended also reads
     * its last log line.
     */
    private void run(String id, Control control) {
        try {
            JobStore.Job job = store.get(id).orElse(null);
            if (job == null || job.status() != JobStore.Status.QUEUED || control.cancel) {
                return;
            }
            if (shuttingDown) {
                store.log(id, "interrupted: the server stopped before the job started");
                store.finish(id, JobStore.Status.INTERRUPTED, "the server stopped before the job started", null, null);
                return;
            }
            store.started(id);
            store.log(id, (control.resume ? "resumed " : "started ") + job.kind() + " job");
            publish(id, "status", false);
            try {
                String artifact = switch (job.kind()) {
                    case ACTIVATIONS -> activations(job, control);
                    case TRAINING -> training(job, control);
                    case PATCHING -> sweep(job, control, PatchingRequest::of);
                    case ATTRIBUTION -> sweep(job, control, AttributionRequest::of);
                    default -> throw new IllegalStateException("unknown job kind " + job.kind());
                };
                store.log(id, "finished: succeeded, artifact " + artifact);
                store.finish(id, JobStore.Status.SUCCEEDED, "done", null, artifact);
            } catch (Throwable t) {
                if (control.cancel) {
                    boolean keeps = keepsPartialWork(job.kind());
                    store.log(id, "cancelled; " + (keeps ? "its partial work is kept for a resume"
                            : "nothing is kept: a resume runs it again from the start"));
                    store.finish(id, JobStore.Status.CANCELLED, "cancelled; POST /api/jobs/" + id + "/resume "
                            + (keeps ? "continues it" : "runs it again from the start"), null, null);
                } else if (shuttingDown) {
                    store.log(id, "interrupted: the server stopped while the job was running");
                    store.finish(id, JobStore.Status.INTERRUPTED, "the server stopped while the job was running",
                            null, null);
                } else {
                    LOG.warn("job {} failed", id, t);
                    String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
                    store.log(id, "failed: " + msg);
                    store.finish(id, JobStore.Status.FAILED, "failed", msg, null);
                }
            }
            publish(id, "status", true);
        } catch (RuntimeException e) {
            LOG.error("job {} could not be recorded", id, e);
        } finally {
            controls.remove(id, control);
        }
    }

    /** Whether a stopped job of this kind leaves partial work that a resume continues (a circuits job does not). */
    private static boolean keepsPartialWork(String kind) {
        return !answers(kind);
    }

    /** Whether jobs of this kind (patching, attribution) answer a route's request, in {@link #resultFile}. */
    static boolean answers(String kind) {
        return PATCHING.equals(kind) || ATTRIBUTION.equals(kind);
    }

    private void checkStop(Control control) {
        if (control.cancel || shuttingDown) {
            throw new Stopped();
        }
    }

    // ---- activations

    private String activations(JobStore.Job job, Control control) {
        ObjectNode p = job.params();
        List<String> texts = new ArrayList<>();
        int limit = p.path("limit").asInt(Integer.MAX_VALUE);
        String source;
        if (p.hasNonNull("texts")) {
            p.get("texts").forEach(t -> texts.add(t.asText()));
            source = "the request";
        } else if (p.hasNonNull("dataset")) {
            source = datasetTexts(p.get("dataset"), limit, texts);
        } else {
            texts.addAll(TextSources.brown(p.path("brown").asText(), limit));
            source = "Brown " + p.path("brown").asText();
        }
        store.log(job.id(), "source: " + texts.size() + " texts from " + source);
        ActivationsJobSpec spec = ActivationsJobSpec.readFrom(p);
        String run = spec.run();
        LocalStore local = new LocalStore(storeDirectory());
        try (LanguageModel lm = models.open(spec.model())) {
            List<String> layers = new ArrayList<>();
            for (String l : spec.layers()) {
                layers.add(lm.layers().resolve(l));
            }
            SaveOptions options = spec.saveOptions(local)
                    .withResume(control.resume || local.hasRun(run) && resumable(job))
                    .withModelName(spec.model()).withDataset(datasetIdentity(p))
                    .withProgress(sp -> onSave(job.id(), sp, control));
            checkStop(control);
            lm.activations().saveActivations(texts, layers, options);
        }
        return local.runDirectory(run).toString();
    }

    /**
     * Reads up to {@code limit} texts of a dataset source ({@code {"path"}} in the file roots, checked when the job
     * was made, or {@code {"hub", "split"}}) into {@code texts}; returns a description of the source. A Hub dataset
     * that cannot be read (no network and no cache) fails the job with a message that says so.
     */
    private static String datasetTexts(JsonNode d, int limit, List<String> texts) {
        DatasetOptions options = readOptions(d);
        TextDataset dataset;
        String description;
        if (d.hasNonNull("path")) {
            description = "dataset " + d.get("path").asText();
            dataset = Datasets.fromFile(Path.of(d.get("path").asText()), options);
        } else {
            String split = d.path("split").asText("train");
            description = "Hub dataset " + d.path("hub").asText() + " (" + split + ")";
            try {
                dataset = HubDatasets.text(d.path("hub").asText(), split, options, PretrainedOptions.defaults());
            } catch (RuntimeException e) {
                throw new IllegalStateException("cannot read the " + description + ": " + e.getMessage(), e);
            }
        }
        for (Iterator<List<String>> it = dataset.limit(limit).iterBatches(256); it.hasNext(); ) {
            texts.addAll(it.next());
        }
        if (texts.isEmpty()) {
            throw new IllegalStateException("the " + description + " holds no texts");
        }
        return description;
    }

    private static DatasetOptions readOptions(JsonNode dataset) {
        return DatasetOptions.defaults().withTextColumn(dataset.path("text_field").asText("text"));
    }

    /**
     * What the job's run records as its dataset, and a resume checks (with the hash of the first texts, added when
     * saving): the texts of the request, a dataset file or Hub split read with its text field, or a Brown split;
     * and the limit when one was given.
     */
    private static DatasetIdentity datasetIdentity(ObjectNode p) {
        if (p.hasNonNull("texts")) {
            return DatasetIdentity.of(DatasetIdentity.Kind.TEXTS, "inline");
        }
        DatasetIdentity identity;
        JsonNode d = p.get("dataset");
        if (d == null || d.isNull()) {
            identity = DatasetIdentity.of(DatasetIdentity.Kind.BROWN, p.path("brown").asText());
        } else if (d.hasNonNull("path")) {
            identity = DatasetIdentity.file(Path.of(d.get("path").asText()), readOptions(d));
        } else {
            identity = DatasetIdentity.hub(d.path("hub").asText(), d.path("split").asText("train"), readOptions(d));
        }
        return p.hasNonNull("limit") ? identity.withLimit(p.get("limit").asLong()) : identity;
    }

    /** A run left by this same job (an earlier attempt) is continued rather than refused. */
    private static boolean resumable(JobStore.Job job) {
        return job.startedAt() != null;
    }

    private void onSave(String id, SaveProgress sp, Control control) {
        double fraction = sp.fraction() < 0 ? 0 : sp.fraction();
        String message = "batch " + sp.batchesDone() + (sp.batchesTotal() > 0 ? " of " + sp.batchesTotal() : "")
                + String.format(Locale.ROOT, ", %.0f tokens/s", sp.tokensPerSecond());
        report(id, fraction, message);
        if (control.cancel || shuttingDown) {
            // the run's meta.json records why it stopped
            throw control.cancel ? new SaveStoppedException(RunStatus.CANCELLED, "the job was cancelled")
                    : new SaveStoppedException(RunStatus.INTERRUPTED, "the server stopped");
        }
    }

    /** Records, logs and publishes a progress report. */
    private void report(String id, double fraction, String message) {
        store.progress(id, fraction, message);
        store.log(id, message);
        publish(id, "progress", false);
        pacing.afterReport(id);
    }

    // ---- patching and attribution

    private String sweep(JobStore.Job job, Control control,
                         BiFunction<ObjectNode, ModelRegistry.Loaded, CircuitSweep> check)
            throws java.io.IOException {
        ObjectNode p = job.params();
        ObjectNode answer;
        try (ModelRegistry.Lease lease = models.lease(p.path("model").asText())) {
            ModelRegistry.Loaded l = lease.model();
            CircuitSweep request = check.apply(p, l);
            int cells = request.cells(l.lm.config());
            store.log(job.id(), request.what() + " on " + l.id + ": " + cells + " cells, prompts of "
                    + request.clean().length + " and " + request.corrupt().length + " tokens");
            checkStop(control);
            answer = request.answer(l, done -> {
                report(job.id(), (double) done / cells, "cells " + done + " of " + cells);
                checkStop(control);
            });
        }
        Path file = resultFile(job.id());
        java.nio.file.Files.createDirectories(file.getParent());
        java.nio.file.Files.writeString(file, Json.write(answer));
        return file.toString();
    }

    // ---- training

    private String training(JobStore.Job job, Control control) throws java.io.IOException {
        ObjectNode p = job.params();
        String id = job.id();
        LocalStore local = new LocalStore(storeDirectory());
        String run = p.path("run").asText();
        String layer = p.path("layer").asText();
        TrainingJobSpec spec = TrainingJobSpec.fromParams(p);
        long seed = spec.seed();
        StoreDataLoader loader = StoreDataLoader.builder(local, run, layer).excludeSpecialTokens(true)
                .shuffleBufferRows(1 << 14).seed(seed).build();
        StoreActivationSource source = new StoreActivationSource(loader);
        String model = p.hasNonNull("model") ? p.get("model").asText()
                : local.runMetadata(run).path("model").path("id").asText("unknown");
        SaeConfig saeConfig = spec.saeConfig(source.width(), model, layer);
        int checkpointEvery = spec.checkpointEvery();
        Path checkpoints = checkpointDirectory(id);
        java.nio.file.Files.createDirectories(checkpoints);
        SaeTrainingConfig cfg = spec.trainingConfig(checkpoints);
        Path out = saeDirectory(id);
        try (Sae sae = Sae.create(saeConfig, seed)) {
            SaeTrainer trainer = new SaeTrainer(sae, cfg).onMetrics(m -> onMetrics(id, m, checkpointEvery, control));
            checkStop(control);
            trainer.resume(source); // starts afresh when there is no checkpoint yet
            if (java.nio.file.Files.exists(out)) {
                deleteTree(out);
            }
            sae.save(out);
        }
        return out.toString();
    }

    static void deleteTree(Path root) throws java.io.IOException {
        try (java.util.stream.Stream<Path> all = java.nio.file.Files.walk(root)) {
            for (Path f : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
                java.nio.file.Files.delete(f);
            }
        }
    }

    private void onMetrics(String id, TrainingMetrics m, int checkpointEvery, Control control) {
        ObjectNode line = Json.object();
        for (Map.Entry<String, Object> e : m.toMap().entrySet()) {
            if (e.getValue() instanceof Number n) {
                if (n instanceof Long || n instanceof Integer) {
                    line.put(e.getKey(), n.longValue());
                } else {
                    Json.putNumber(line, e.getKey(), n.doubleValue());
                }
            }
        }
        double fraction = m.totalSteps() > 0 ? (double) m.step() / m.totalSteps() : 0;
        String message = String.format(Locale.ROOT, "step %d of %d, mse %.4g, l0 %.1f", m.step(), m.totalSteps(),
                m.mse(), m.l0());
        store.addMetrics(id, line, fraction, message);
        store.log(id, message);
        if (checkpointEvery > 0 && m.step() > 0 && m.step() % checkpointEvery == 0) {
            store.log(id, "checkpoint at step " + m.step());
        }
        publish(id, "progress", false);
        pacing.afterReport(id);
        checkStop(control);
    }

    /** Stops the running job (it is recorded interrupted) and waits for it. */
    @Override
    public void close() {
        shuttingDown = true;
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
