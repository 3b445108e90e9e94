package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import io.microw.frontend.ActivationsJobSpec;
import io.microw.frontend.TrainingJobSpec;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeArchitectures;
import io.microw.sae.SaeException;
import io.microw.store.LocalStore;
import io.microw.store.StoreDataLoader;
import io.microw.store.StoreException;
import io.microw.store.StoreNames;

import java.util.List;
import java.util.Locale;

/**
 * The handlers of the job and store-run routes: activation and training jobs, the patching and attribution jobs that
 * the circuits routes queue, their events and results, saved runs.
 */
final class JobEndpoints {

    static final int MAX_LAYERS = 32;
    static final int MAX_JOB_TEXTS = 10_000;

    private final ServerConfig config;
    private final ModelRegistry models;
    private volatile JobRunner runner;
    private final SseHandler sse = new SseHandler(this::stream);

    JobEndpoints(ServerConfig config, ModelRegistry models) {
        this.config = config;
        this.models = models;
    }

    /** The runner of the running server (a new one each start). */
    void attach(JobRunner runner) {
        this.runner = runner;
    }

    /** Writes a response; paths in it (job params, logs, errors, run metadata) are shown relative to the roots. */
    private void json(Context ctx, int status, JsonNode node) {
        ctx.status(status).contentType("application/json").result(Json.write(PathGuard.redact(node, config)));
    }

    private LocalStore store() {
        return new LocalStore(runner.storeDirectory());
    }

    private static String runName(String given, String what) {
        try {
            return StoreNames.check(what, given);
        } catch (StoreException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    // ---- jobs

    void createActivations(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        ObjectNode params = Json.object();
        String named = Requests.text(body, "model", false);
        String model = models.canonicalId(named == null ? ActivationsJobSpec.DEFAULT_MODEL : named);
        boolean hasTexts = body.hasNonNull("texts");
        String brown = Requests.text(body, "brown", false);
        boolean hasDataset = body.hasNonNull("dataset");
        if ((hasTexts ? 1 : 0) + (brown != null ? 1 : 0) + (hasDataset ? 1 : 0) != 1) {
            throw ApiException.badRequest("give either 'texts' (an array of strings), 'brown' (\"train\" or "
                    + "\"validation\") or 'dataset' ({\"path\", \"text_field\"} or {\"hub\", \"split\", "
                    + "\"text_field\"}): exactly one of them");
        }
        if (hasTexts) {
            ArrayNode texts = params.putArray("texts");
            Requests.texts(body, "texts", null, MAX_JOB_TEXTS, Endpoints.MAX_CHARS).forEach(texts::add);
        } else {
            if (brown != null) {
                params.put("brown", TextSources.brownSplit(brown));
            } else {
                params.set("dataset", dataset(body.get("dataset")));
            }
            if (body.hasNonNull("limit")) {
                params.put("limit", Requests.integer(body, "limit", 0, 1, 1_000_000));
            }
        }
        List<String> layers = Requests.strings(body, "layers", "layer", "layer", MAX_LAYERS, 200);
        ActivationsJobSpec spec = ActivationsJobSpec.of(model, layers)
                .withBatchSize(Requests.integer(body, "batch_size", ActivationsJobSpec.DEFAULT_BATCH_SIZE, 1, 1024))
                .withMaxLength(Requests.integer(body, "max_length", ActivationsJobSpec.DEFAULT_MAX_LENGTH, 0, 65536));
        models.checkLayers(model, layers);
        String given = Requests.text(body, "run", false);
        String run = runName(given == null ? StoreNames.newRunId() : given, "'run'");
        spec.withRun(run).writeTo(params);
        synchronized (runner) {
            if (store().hasRun(run) || runner.store().runInUse(run)) {
                throw ApiException.conflict("run '" + run + "' exists already (or a job is writing it); choose "
                        + "another name or DELETE /api/runs/" + run);
            }
            answerJob(ctx, 201, runner.submit(JobRunner.ACTIVATIONS, params));
        }
    }

    /** A checked dataset source: a file in the file roots, or a Hub dataset and split. */
    private ObjectNode dataset(JsonNode d) {
        if (!d.isObject()) {
            throw ApiException.badRequest("'dataset' must be an object {\"path\"} or {\"hub\", \"split\"}");
        }
        ObjectNode out = Json.object();
        String path = Requests.text(d, "path", false);
        String hub = Requests.text(d, "hub", false);
        if ((path == null) == (hub == null)) {
            throw ApiException.badRequest("'dataset' needs exactly one of 'path' (a file in the file roots) or 'hub' "
                    + "(\"owner/name\")");
        }
        if (path != null) {
            java.nio.file.Path file = PathGuard.confine(path, config.allFileRoots(), "dataset.path");
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw ApiException.notFound("no dataset file at " + PathGuard.display(file, config));
            }
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT).replaceFirst("\\.gz$", "");
            if (!name.matches(".*\\.(txt|jsonl|ndjson|csv|tsv|parquet)")) {
                throw ApiException.badRequest("'dataset.path' must be a .txt, .jsonl, .csv, .tsv or .parquet file, got "
                        + file.getFileName());
            }
            out.put("path", file.toString());
        } else {
            if (!hub.matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")) {
                throw ApiException.badRequest("'dataset.hub' must be a Hub dataset id \"owner/name\", got '" + hub + "'");
            }
            out.put("hub", hub);
            String split = Requests.text(d, "split", false);
            out.put("split", split == null ? "train" : split);
        }
        String field = Requests.text(d, "text_field", false);
        out.put("text_field", field == null || field.isBlank() ? "text" : field);
        return out;
    }

    void createTraining(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        ObjectNode params = Json.object();
        String run = runName(Requests.text(body, "run", true), "'run'");
        LocalStore store = store();
        if (!store.hasRun(run)) {
            throw ApiException.notFound("no run '" + run + "' in the store; GET /api/runs lists them");
        }
        ObjectNode meta = store.runMetadata(run);
        if (runner.store().runInUse(run) || !"complete".equals(meta.path("status").asText())) {
            throw ApiException.conflict("run '" + run + "' is not complete (" + meta.path("status").asText("unknown")
                    + "); train once its activations job has succeeded");
        }
        List<String> runLayers = Json.MAPPER.convertValue(meta.path("layers"),
                Json.MAPPER.getTypeFactory().constructCollectionType(List.class, String.class));
        String layer = Requests.text(body, "layer", false);
        if (layer == null) {
            if (runLayers.size() != 1) {
                throw ApiException.badRequest("missing 'layer': run '" + run + "' holds " + runLayers);
            }
            layer = runLayers.get(0);
        } else if (!runLayers.contains(layer)) {
            throw ApiException.badRequest("run '" + run + "' holds no layer '" + layer + "'; it holds " + runLayers);
        }
        params.put("run", run);
        params.put("layer", layer);
        TrainingJobSpec d = TrainingJobSpec.defaults();
        String arch = Requests.text(body, "architecture", false);
        SaeArchitecture architecture;
        try {
            architecture = SaeArchitectures.requireTrainable(arch == null ? d.architecture() : arch);
        } catch (SaeException e) {
            throw ApiException.badRequest("'architecture': " + e.getMessage());
        }
        int dSae = Requests.integer(body, "d_sae", d.dSae(), 1, 1 << 17);
        int k = JobLimits.k(body, architecture, dSae, d.k());
        int batchSize = Requests.integer(body, "batch_size", d.batchSize(), 1, 1 << 16);
        int dIn = StoreDataLoader.builder(store, run, layer).build().width();
        JobLimits.requireTrainingFits(architecture, dIn, dSae, batchSize, JobLimits.Memory.ofThisMachine());
        Double lr = Requests.number(body, "lr");
        if (lr != null && lr <= 0) {
            throw ApiException.badRequest("'lr' must be positive");
        }
        Double l1 = Requests.number(body, "l1_coefficient");
        Double l0 = Requests.number(body, "l0_coefficient");
        if ((l1 != null && l1 < 0) || (l0 != null && l0 < 0)) {
            throw ApiException.badRequest("'l1_coefficient' and 'l0_coefficient' must be >= 0");
        }
        int metricsEvery = Requests.integer(body, "metrics_every", d.metricsEvery(), 1, 100_000);
        TrainingJobSpec.Builder spec = TrainingJobSpec.builder().architecture(architecture.saeLensName()).dSae(dSae)
                .k(k)
                .epochs(Requests.integer(body, "epochs", d.epochs(), 1, 1000)).batchSize(batchSize)
                .lr(lr == null ? d.lr() : lr)
                .lrWarmUpSteps(Requests.integer(body, "lr_warm_up_steps", d.lrWarmUpSteps(), 0, 1_000_000))
                .lrDecaySteps(Requests.integer(body, "lr_decay_steps", d.lrDecaySteps(), 0, 1_000_000))
                .l1Coefficient(l1 == null ? d.l1Coefficient() : l1).l0Coefficient(l0 == null ? d.l0Coefficient() : l0)
                .metricsEvery(metricsEvery)
                .seed(Requests.integer(body, "seed", (int) d.seed(), 0, Integer.MAX_VALUE))
                .threads(JobLimits.threads(body, d.threads()));
        if (body.hasNonNull("checkpoint_every")) {
            int checkpointEvery = Requests.integer(body, "checkpoint_every", 0, 1, 1_000_000);
            if (checkpointEvery % metricsEvery != 0) {
                throw ApiException.badRequest("'checkpoint_every' must be a multiple of 'metrics_every'");
            }
            spec.checkpointEvery(checkpointEvery);
        }
        params.setAll(Json.MAPPER.<ObjectNode>valueToTree(spec.build().toParams()));
        String model = Requests.text(body, "model", false);
        if (model != null) {
            params.put("model", model);
        }
        answerJob(ctx, 201, runner.submit(JobRunner.TRAINING, params));
    }

    /** {@code GET /api/sae-architectures}: the registry's SAE architectures, with what a training request needs. */
    void architectures(Context ctx) {
        ObjectNode out = Json.object();
        var list = out.putArray("architectures");
        for (SaeArchitecture a : SaeArchitectures.all()) {
            ObjectNode n = list.addObject();
            n.put("name", a.saeLensName());
            a.aliases().forEach(n.putArray("aliases")::add);
            n.put("uses_k", a.usesK());
            n.put("trainable", a.training().isPresent());
        }
        out.set("training_defaults", Json.MAPPER.valueToTree(TrainingJobSpec.defaults().toParams()));
        json(ctx, 200, out);
    }

    /**
     * Queues a job that a route outside /api/jobs hands over (a large patching or attribution sweep), and answers 202
     * with it and its Location.
     */
    void accepted(Context ctx, String kind, ObjectNode params) {
        answerJob(ctx, 202, runner.submit(kind, params));
    }

    /** Answers a job just made (201 from /api/jobs, 202 from another route) and its Location. */
    private void answerJob(Context ctx, int status, JobStore.Job job) {
        ctx.header("Location", "/api/jobs/" + job.id());
        json(ctx, status, job.toJson(true));
    }

    void listJobs(Context ctx) {
        ObjectNode n = Json.object();
        ArrayNode jobs = n.putArray("jobs");
        String status = ctx.queryParam("status");
        for (JobStore.Job j : runner.store().list()) {
            if (status == null || status.equals(j.status().id())) {
                jobs.add(j.toJson(false));
            }
        }
        json(ctx, 200, n);
    }

    void getJob(Context ctx) {
        json(ctx, 200, runner.require(ctx.pathParam("id")).toJson(true));
    }

    /**
     * GET /api/jobs/{id}/result: what a succeeded patching or attribution job computed, the JSON the route would have
     * answered in the request; 409 while the job has not succeeded, 404 for a job of another kind (its result is its
     * artifact).
     */
    void result(Context ctx) throws java.io.IOException {
        JobStore.Job job = runner.require(ctx.pathParam("id"));
        if (!JobRunner.answers(job.kind())) {
            throw ApiException.notFound("job " + job.id() + " (" + job.kind() + ") has no result to read here; what it "
                    + "made is its 'artifact'");
        }
        if (job.status() != JobStore.Status.SUCCEEDED) {
            throw ApiException.conflict("job " + job.id() + " is " + job.status().id() + ": its result comes once it "
                    + "has succeeded" + (job.status().terminal() ? "" : " (GET /api/jobs/" + job.id()
                    + "/events follows it)"));
        }
        Endpoints.json(ctx, 200, Json.MAPPER.readTree(runner.resultFile(job.id()).toFile()));
    }

    /** GET /api/jobs/{id}/logs?after=N: the job's log lines numbered above N. */
    void logs(Context ctx) {
        String id = runner.require(ctx.pathParam("id")).id();
        int after = Requests.queryInt(ctx, "after", 0, 0, Integer.MAX_VALUE);
        ObjectNode n = Json.object();
        n.put("job", id);
        ArrayNode lines = n.putArray("lines");
        for (JobStore.LogLine line : runner.store().logs(id, after)) {
            lines.add(line.toJson());
        }
        n.put("last", lines.isEmpty() ? after : lines.get(lines.size() - 1).path("n").asLong());
        json(ctx, 200, n);
    }

    void cancelJob(Context ctx) {
        JobStore.Job job = runner.cancel(ctx.pathParam("id"));
        ObjectNode n = job.toJson(false);
        n.put("cancel_requested", true);
        json(ctx, job.status().terminal() ? 200 : 202, n);
    }

    void resumeJob(Context ctx) {
        json(ctx, 202, runner.resume(ctx.pathParam("id")).toJson(false));
    }

    /** GET /api/jobs/{id}/events: 404 when there is no such job, 406 without Accept: text/event-stream, else the stream. */
    void events(Context ctx) throws Exception {
        runner.require(ctx.pathParam("id"));
        if (!"text/event-stream".equals(ctx.header("Accept"))) {
            throw new ApiException(406, "this route is a server-sent event stream: send 'Accept: text/event-stream'");
        }
        sse.handle(ctx);
    }

    private void stream(SseClient client) {
        String id = client.ctx().pathParam("id");
        client.keepAlive();
        Runnable unsubscribe = runner.subscribe(id, e -> send(client, e.name(), e.data(), e.last()));
        client.onClose(unsubscribe);
        JobStore.Job now = runner.require(id);
        send(client, "status", now.toJson(false), now.status().terminal());
    }

    private void send(SseClient client, String name, ObjectNode data, boolean last) {
        synchronized (client) {
            if (client.terminated()) {
                return;
            }
            client.sendEvent(name, Json.write(PathGuard.redact(data, config)));
            if (last) {
                client.close();
            }
        }
    }

    // ---- runs

    void listRuns(Context ctx) {
        LocalStore store = store();
        ObjectNode n = Json.object();
        ArrayNode runs = n.putArray("runs");
        for (String run : store.listRuns()) {
            runs.add(describeRun(store, run));
        }
        json(ctx, 200, n);
    }

    private static ObjectNode describeRun(LocalStore store, String run) {
        ObjectNode r = Json.object();
        r.put("run", run);
        try {
            ObjectNode meta = store.runMetadata(run);
            r.put("status", meta.path("status").asText("unknown"));
            r.set("layers", meta.path("layers"));
            r.set("model", meta.path("model"));
            r.put("batches", store.listBatches(run).size());
            r.set("metadata", meta);
        } catch (StoreException e) {
            r.put("status", "unreadable");
            r.put("error", e.getMessage());
        }
        return r;
    }

    void getRun(Context ctx) {
        String run = runName(ctx.pathParam("run"), "run");
        LocalStore store = store();
        if (!store.hasRun(run)) {
            throw ApiException.notFound("no run '" + run + "' in the store; GET /api/runs lists them");
        }
        json(ctx, 200, describeRun(store, run));
    }

    void deleteRun(Context ctx) {
        String run = runName(ctx.pathParam("run"), "run");
        LocalStore store = store();
        synchronized (runner) {
            if (runner.store().runInUse(run)) {
                throw ApiException.conflict("run '" + run + "' is used by a queued or running job; cancel it first");
            }
            if (!store.hasRun(run)) {
                throw ApiException.notFound("no run '" + run + "' in the store; GET /api/runs lists them");
            }
            store.deleteRun(run);
        }
        ObjectNode n = Json.object();
        n.put("deleted", run);
        json(ctx, 200, n);
    }
}
