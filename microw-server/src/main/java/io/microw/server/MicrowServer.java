package io.microw.server;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.microw.io.ConfigException;
import io.microw.io.SafetensorsException;
import io.microw.io.hub.PretrainedOptions;
import io.microw.models.ModelLoadException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * microw's REST API: models, inference and generation with per-request hooks, SAEs, jobs, an OpenAPI document,
 * and the web UI (static pages at "/", libraries as WebJars under "/webjars"), over Javalin. {@link #start()} binds, {@link #stop()} stops and frees every loaded model and SAE.
 * Every request passes {@code RequestGuard} (Host, then for the API Origin and the JSON type), then the API key and
 * body size checks, before any handler runs.
 */
public final class MicrowServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MicrowServer.class);
    static final String VERSION = "0.1.0";
    /** Classpath folder of the web UI's static pages, served at "/". */
    static final String UI_DIRECTORY = "/microw-ui";
    /** The UI loads scripts and styles from this server only and talks to no other origin. */
    private static final String UI_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            + "object-src 'none'; frame-ancestors 'none'";

    private final ServerConfig config;
    private final ModelRegistry models;
    private final SaeRegistry saes = new SaeRegistry();
    private final PublishedSaes published;
    private final AvailableSaes available;
    private final Endpoints endpoints;
    private final JobEndpoints jobEndpoints;
    private final ConceptEndpoints conceptEndpoints;
    private final SteeringEndpoints steeringEndpoints;
    private final ManipulationEndpoints manipulationEndpoints;
    private final StoreEndpoints storeEndpoints;
    private final CircuitsEndpoints circuitsEndpoints;
    private final SaliencyEndpoints saliencyEndpoints;
    private JobRunner jobs;
    private final JobPacing pacing;
    private final List<Route> routes;
    private final List<String> registered = Collections.synchronizedList(new ArrayList<>());
    private final RequestGuard requestGuard;
    private final String openApi;
    private Javalin app;

    /**
     * A server for {@code config}; nothing is bound or loaded until {@link #start()}.
     *
     * @param config host, port, data directory, allowed models, roots, API key and limits
     */
    public MicrowServer(ServerConfig config) {
        this(config, PretrainedOptions.defaults());
    }

    /**
     * A server whose published SAEs come through {@code hub}: its Hugging Face cache and offline setting, and the
     * {@code MICROW_HOME} embedded releases are unpacked into (tests give folders of their own).
     *
     * @param config host, port, data directory, allowed models, roots, API key and limits
     * @param hub    Hub settings for loading and listing published SAEs
     */
    MicrowServer(ServerConfig config, PretrainedOptions hub) {
        this(config, hub, JobPacing.NONE);
    }

    /**
     * A server whose job runner paces its jobs with {@code pacing} after each progress report (a caller that acts on
     * a running job holds it there).
     *
     * @param config host, port, data directory, allowed models, roots, API key and limits
     * @param hub    Hub settings for loading and listing published SAEs
     * @param pacing what the job runner does after each progress report
     */
    MicrowServer(ServerConfig config, PretrainedOptions hub, JobPacing pacing) {
        this.config = Objects.requireNonNull(config, "config");
        this.pacing = Objects.requireNonNull(pacing, "pacing");
        this.models = new ModelRegistry(config);
        this.published = new PublishedSaes(config, hub);
        this.available = new AvailableSaes(config, hub, saes, () -> jobs == null ? List.of() : jobs.store().list());
        this.endpoints = new Endpoints(config, models, saes, published);
        this.jobEndpoints = new JobEndpoints(config, models);
        this.conceptEndpoints = new ConceptEndpoints(config, models, saes);
        this.steeringEndpoints = new SteeringEndpoints(models, saes);
        ManipulationStore manipulations = new ManipulationStore(config.dataDirectory().resolve("manipulations"));
        this.manipulationEndpoints = new ManipulationEndpoints(models, saes, manipulations);
        this.storeEndpoints = new StoreEndpoints(config, manipulations);
        this.circuitsEndpoints = new CircuitsEndpoints(models, jobEndpoints);
        this.saliencyEndpoints = new SaliencyEndpoints(models);
        this.routes = routeTable();
        this.requestGuard = new RequestGuard(config);
        this.openApi = OpenApi.document(routes, config.key().isPresent(), config.protectReads(), VERSION).toString();
    }

    /** Every route of the API; the server registers these and nothing else, and the OpenAPI document lists them. */
    private List<Route> routeTable() {
        Endpoints e = endpoints;
        JobEndpoints j = jobEndpoints;
        ConceptEndpoints c = conceptEndpoints;
        ManipulationEndpoints m = manipulationEndpoints;
        int[] read = {200};
        String edits = "\"edits\": [{\"latent\": 3, \"op\": \"clamp\", \"value\": 8.0}], \"scope\": \"all\"";
        String generation = "\"max_new_tokens\": 20, \"temperature\": 0, \"seed\": 1";
        return List.of(
                new Route(HandlerType.GET, "/api/health", "Liveness: always {\"status\": \"ok\"}", "server", null,
                        read, e::health),
                new Route(HandlerType.GET, "/api/metrics", "Uptime, requests served, loaded models", "server", null,
                        new int[] {200, 401}, e::metrics),
                new Route(HandlerType.GET, "/api/openapi.json", "This OpenAPI document", "server", null,
                        new int[] {200, 401}, this::serveOpenApi),
                new Route(HandlerType.GET, "/api/models", "Models that may be loaded, and those loaded", "models",
                        null, new int[] {200, 401}, e::listModels),
                new Route(HandlerType.POST, "/api/models/{id}/load", "Load an allowed model", "models", null,
                        new int[] {201, 401, 404, 409, 422, 500}, e::loadModel),
                new Route(HandlerType.POST, "/api/models/{id}/unload", "Unload a model", "models", null,
                        new int[] {200, 401, 404, 409}, e::unloadModel),
                new Route(HandlerType.GET, "/api/models/{id}/layers", "The module tree with aliases", "models", null,
                        new int[] {200, 401, 404, 409}, e::layers),
                new Route(HandlerType.GET, "/api/hooks", "The hook types a request may attach, with their fields",
                        "inference", null, new int[] {200, 401}, e::hookTypes),
                new Route(HandlerType.POST, "/api/models/{id}/infer",
                        "Forward each text with per-request hooks: tokens, top next-token probabilities, hook results",
                        "inference", "{\"texts\": [\"The jury said\"], \"top_k\": 5, \"hooks\": [{\"type\": \"capture\", "
                        + "\"layer\": \"transformer.h.1\"}, {\"type\": \"scale\", \"layer\": \"transformer.h.0.mlp\", "
                        + "\"factor\": 2.0}]}",
                        new int[] {200, 400, 401, 404, 409, 413}, e::infer),
                new Route(HandlerType.POST, "/api/models/{id}/generate",
                        "Generate continuations (greedy, or sampled when temperature > 0) with scale hooks, a repetition "
                        + "penalty and stop strings",
                        "inference", "{\"prompts\": [\"The jury said\"], \"max_new_tokens\": 20, \"temperature\": 0.8, "
                        + "\"top_k\": 50, \"top_p\": 0.95, \"seed\": 1, \"repetition_penalty\": 1.2, \"stop\": [\".\"], "
                        + "\"hooks\": [{\"type\": \"scale\", "
                        + "\"layer\": \"transformer.h.0.mlp\", \"factor\": 2.0}]}",
                        new int[] {200, 400, 401, 404, 409, 413}, e::generate),
                new Route(HandlerType.POST, "/api/models/{id}/steer",
                        "Generate each prompt without and with SAE latent edits (the SAE attached for this request only)",
                        "steering", "{\"prompts\": [\"The jury said\"], \"sae\": \"sae-1\", " + edits + ", "
                        + generation + "}",
                        new int[] {200, 400, 401, 404, 409, 413}, steeringEndpoints::steer),
                new Route(HandlerType.POST, "/api/models/{id}/patching",
                        "Activation patching: the logit difference of the corrupted prompt with each layer x position "
                        + "(or layer x head) patched from the clean one; a large sweep (or \"async\": true) answers "
                        + "202 with a patching job, whose result is GET /api/jobs/{id}/result", "circuits",
                        "{\"clean\": \"The jury said that the man\", \"corrupt\": \"The jury said that the woman\", "
                        + "\"answer\": \" was\", \"wrong\": \" had\", \"what\": \"resid-pre\"}",
                        new int[] {200, 202, 400, 401, 404, 409, 413}, circuitsEndpoints::patching,
                        "PatchingRequest", Map.of(200, "PatchingResult", 202, "Job")),
                new Route(HandlerType.POST, "/api/models/{id}/attribution",
                        "Attribution patching: the patching sweep's first-order estimate from one clean forward and "
                        + "one corrupted forward-backward; with \"compare\": true also the exact sweep and the Pearson "
                        + "correlation of the two; a large comparison (or \"async\": true) answers 202 with an "
                        + "attribution job, whose result is GET /api/jobs/{id}/result", "circuits",
                        "{\"clean\": \"The jury said that the man\", \"corrupt\": \"The jury said that the woman\", "
                        + "\"answer\": \" was\", \"wrong\": \" had\", \"what\": \"resid-pre\", \"compare\": true}",
                        new int[] {200, 202, 400, 401, 404, 409, 413}, circuitsEndpoints::attribution,
                        "AttributionRequest", Map.of(200, "AttributionResult", 202, "Job")),
                new Route(HandlerType.POST, "/api/models/{id}/lens",
                        "Logit lens: each layer's top next tokens at the last position, and the logit difference "
                        + "when answer and wrong are given", "circuits",
                        "{\"prompt\": \"The jury said that the man\", \"k\": 5, \"answer\": \" was\", "
                        + "\"wrong\": \" had\"}",
                        new int[] {200, 400, 401, 404, 409, 413}, circuitsEndpoints::lens, "LensRequest",
                        Map.of(200, "LensResult")),
                new Route(HandlerType.POST, "/api/models/{id}/saliency",
                        "Per-token saliency of a prompt: gradient x input, or integrated gradients, of the next "
                        + "token's log-probability (or of logit[answer] - logit[wrong])", "inference",
                        "{\"prompt\": \"The jury said that the man\", \"answer\": \" was\", \"wrong\": \" had\", "
                        + "\"method\": \"ig\", \"steps\": 32}",
                        new int[] {200, 400, 401, 404, 409, 413}, saliencyEndpoints::saliency, "SaliencyRequest",
                        Map.of(200, "SaliencyResult")),
                new Route(HandlerType.POST, "/api/saes/load", "Load an SAE: a folder (SAELens layout) inside a file "
                        + "root, or a published SAE by release and id (downloaded into the Hugging Face cache); a "
                        + "concepts.json beside it names its latents",
                        "saes", "{\"path\": \"saes/layer1\", \"model\": \"brown-gpt2\", \"layer\": \"transformer.h.1\"}",
                        new int[] {201, 400, 401, 403, 404, 409, 413, 502}, e::loadSae, "SaeLoadRequest", Map.of()),
                new Route(HandlerType.GET, "/api/sae-releases", "Published SAEs that POST /api/saes/load can load by "
                        + "release and id (SAELens' registry and the embedded releases); ?model=M keeps one model's",
                        "saes", null, new int[] {200, 401}, published::list),
                new Route(HandlerType.GET, "/api/saes", "Loaded SAEs", "saes", null, new int[] {200, 401},
                        e::listSaes),
                new Route(HandlerType.GET, "/api/saes/available", "SAEs that POST /api/saes/load can load, for a "
                        + "picker: the embedded releases, SAEs trained by jobs, SAE folders in the file roots and "
                        + "registry releases already in the Hugging Face cache, each with a kind and a label",
                        "saes", null, new int[] {200, 401}, available::list, null, Map.of(200, "AvailableSaes")),
                new Route(HandlerType.GET, "/api/saes/{id}", "One SAE's metadata", "saes", null,
                        new int[] {200, 401, 404}, e::getSae),
                new Route(HandlerType.DELETE, "/api/saes/{id}", "Unload an SAE", "saes", null,
                        new int[] {200, 401, 404}, e::deleteSae),
                new Route(HandlerType.POST, "/api/saes/{id}/infer", "Top latents per token and per prompt", "saes",
                        "{\"model\": \"brown-gpt2\", \"text\": \"The jury said\", \"top_k\": 5}",
                        new int[] {200, 400, 401, 404, 409, 413}, e::inferSae),
                new Route(HandlerType.GET, "/api/saes/{id}/concepts",
                        "The SAE's named latents (?q= filters names, case-insensitive)", "concepts", null,
                        new int[] {200, 401, 404}, c::listConcepts),
                new Route(HandlerType.POST, "/api/saes/{id}/concepts",
                        "Replace the SAE's concept dictionary: a mi-crow JSON or CSV file in the file roots, or a map",
                        "concepts", "{\"concepts\": {\"12\": {\"name\": \"numbers\", \"score\": 0.8}}}",
                        new int[] {201, 400, 401, 403, 404, 413}, c::loadConcepts),
                new Route(HandlerType.PUT, "/api/saes/{id}/concepts/{latent}",
                        "Name one latent (an empty name removes its concept)", "concepts",
                        "{\"name\": \"numbers\", \"score\": 0.5}",
                        new int[] {200, 400, 401, 404, 413}, c::nameConcept),
                new Route(HandlerType.POST, "/api/saes/{id}/top-texts",
                        "Run texts through the SAE's model and keep each latent's top contexts and statistics, or "
                        + "import top texts exported before (a file in the file roots, with optional statistics)",
                        "concepts", "{\"brown\": \"validation\", \"limit\": 300, \"top_k\": 5, \"window\": 4}",
                        new int[] {200, 400, 401, 403, 404, 409, 413}, c::topTexts, "TopTextsRequest", Map.of()),
                new Route(HandlerType.GET, "/api/saes/{id}/latents",
                        "Latents with statistics from the last top texts (?q=, sort=frequency|max|latent, offset, limit)",
                        "concepts", null, new int[] {200, 400, 401, 404, 409}, c::listLatents),
                new Route(HandlerType.GET, "/api/saes/{id}/latents/{latent}",
                        "One latent: name, statistics, histogram and top contexts", "concepts", null,
                        new int[] {200, 400, 401, 404, 409}, c::getLatent),
                new Route(HandlerType.POST, "/api/manipulations",
                        "Save a named manipulation config: SAE latent edits and their scope", "manipulations",
                        "{\"name\": \"more-numbers\", \"sae\": \"sae-1\", " + edits + "}",
                        new int[] {201, 400, 401, 404, 409, 413}, m::create),
                new Route(HandlerType.GET, "/api/manipulations", "Saved manipulation configs", "manipulations", null,
                        new int[] {200, 401}, m::list),
                new Route(HandlerType.GET, "/api/manipulations/{name}", "One manipulation config", "manipulations",
                        null, new int[] {200, 400, 401, 404}, m::get),
                new Route(HandlerType.DELETE, "/api/manipulations/{name}", "Delete a manipulation config",
                        "manipulations", null, new int[] {200, 400, 401, 404}, m::delete),
                new Route(HandlerType.POST, "/api/manipulations/{name}/preview",
                        "Generate with and without a manipulation (its SAE must be loaded)", "manipulations",
                        "{\"prompts\": [\"The jury said\"], " + generation + "}",
                        new int[] {200, 400, 401, 404, 409, 413}, m::preview),
                new Route(HandlerType.POST, "/api/manipulations/{name}/apply",
                        "Generate with a manipulation (its SAE must be loaded)", "manipulations",
                        "{\"prompts\": [\"The jury said\"], " + generation + "}",
                        new int[] {200, 400, 401, 404, 409, 413}, m::apply),
                new Route(HandlerType.POST, "/api/jobs/activations",
                        "Start a job saving activations of texts, Brown sentences or a dataset into a store run", "jobs",
                        "{\"model\": \"brown-gpt2\", \"brown\": \"validation\", \"limit\": 200, "
                        + "\"layers\": [\"transformer.h.1\"], \"batch_size\": 8, \"run\": \"brown-val-h1\"}",
                        new int[] {201, 400, 401, 404, 409, 413}, j::createActivations, null,
                        Map.of(201, "Job")),
                new Route(HandlerType.POST, "/api/jobs/training",
                        "Start a job training an SAE on one layer of a store run (saved under saes/<job id>)", "jobs",
                        "{\"run\": \"brown-val-h1\", \"layer\": \"transformer.h.1\", \"architecture\": \"topk\", "
                        + "\"d_sae\": 256, \"k\": 16, \"epochs\": 2, \"batch_size\": 256, \"lr\": 0.0004, "
                        + "\"metrics_every\": 5, \"checkpoint_every\": 50}",
                        new int[] {201, 400, 401, 404, 409, 413}, j::createTraining, "TrainingRequest",
                        Map.of(201, "Job")),
                new Route(HandlerType.GET, "/api/sae-architectures", "SAE architectures (built-in and registered): "
                        + "names, aliases, whether they take k and can be trained, and the training defaults", "jobs",
                        null, new int[] {200, 401}, j::architectures),
                new Route(HandlerType.GET, "/api/jobs", "Every job, newest first (?status= filters)", "jobs", null,
                        new int[] {200, 401}, j::listJobs),
                new Route(HandlerType.GET, "/api/jobs/{id}", "One job: status, progress, metric history, artifact",
                        "jobs", null, new int[] {200, 401, 404}, j::getJob, null, Map.of(200, "Job")),
                new Route(HandlerType.POST, "/api/jobs/{id}/cancel",
                        "Cancel a job: a queued one at once, a running one at its next progress report", "jobs", null,
                        new int[] {200, 202, 401, 404, 409}, j::cancelJob),
                new Route(HandlerType.POST, "/api/jobs/{id}/resume",
                        "Continue an interrupted or cancelled job where it stopped", "jobs", null,
                        new int[] {202, 401, 404, 409}, j::resumeJob),
                new Route(HandlerType.GET, "/api/jobs/{id}/events",
                        "Server-sent events: status and progress of a job until it ends", "jobs", null,
                        new int[] {200, 401, 404, 406}, j::events),
                new Route(HandlerType.GET, "/api/jobs/{id}/result",
                        "A succeeded patching or attribution job's result: what its route answers in the request (an "
                        + "attribution job's is an AttributionResult)", "jobs",
                        null, new int[] {200, 401, 404, 409}, j::result, null, Map.of(200, "PatchingResult")),
                new Route(HandlerType.GET, "/api/jobs/{id}/logs", "A job's log lines after line ?after=N", "jobs",
                        null, new int[] {200, 400, 401, 404}, j::logs),
                new Route(HandlerType.GET, "/api/runs", "Activation runs in the server's store", "runs", null,
                        new int[] {200, 401}, j::listRuns),
                new Route(HandlerType.GET, "/api/runs/{run}", "One run's metadata", "runs", null,
                        new int[] {200, 400, 401, 404}, j::getRun),
                new Route(HandlerType.DELETE, "/api/runs/{run}", "Delete a run no queued or running job uses",
                        "runs", null, new int[] {200, 400, 401, 404, 409}, j::deleteRun),
                new Route(HandlerType.GET, "/api/store", "The data directory: runs, SAE folders, manipulations, disk use",
                        "runs", null, new int[] {200, 401}, storeEndpoints::info));
    }

    private void serveOpenApi(Context ctx) {
        ctx.status(200).contentType("application/json").result(openApi);
    }

    /**
     * Binds the configured host and port and starts serving.
     *
     * @return this server
     */
    public MicrowServer start() {
        return start(config.port());
    }

    /**
     * Binds the configured host and {@code port} and starts serving.
     *
     * @param port the port, 0 for a free one (see {@link #port()})
     * @return this server
     */
    public synchronized MicrowServer start(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (app != null) {
            throw new IllegalStateException("the server is running already");
        }
        try {
            Files.createDirectories(config.dataDirectory());
        } catch (java.io.IOException ex) {
            throw new IllegalStateException("cannot create the data directory " + config.dataDirectory(), ex);
        }
        JobStore jobStore = new JobStore(config.dataDirectory().resolve("microw.db"));
        if (jobStore.interruptedAtOpen() > 0) {
            LOG.info("{} job(s) left unfinished by an earlier server are marked interrupted",
                    jobStore.interruptedAtOpen());
        }
        jobs = new JobRunner(config, jobStore, models, pacing);
        jobEndpoints.attach(jobs);
        Javalin javalin = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
            c.http.maxRequestSize = config.maxRequestBytes();
            c.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            c.staticFiles.add(files -> {
                files.hostedPath = "/";
                files.directory = UI_DIRECTORY;
                files.location = Location.CLASSPATH;
                files.headers = Map.of("Content-Security-Policy", UI_POLICY, "X-Content-Type-Options", "nosniff");
            });
            c.staticFiles.enableWebjars();
            c.events.handlerAdded(meta -> {
                if (meta.getHttpMethod().isHttpMethod()) {
                    registered.add(meta.getHttpMethod().name() + " " + meta.getPath());
                }
            });
            c.requestLogger.http((ctx, ms) -> {
                endpoints.requests.incrementAndGet();
                if (ctx.statusCode() >= 400) {
                    endpoints.errors.incrementAndGet();
                }
            });
        });
        javalin.before(requestGuard::checkHost);
        javalin.before("/api/*", requestGuard::checkApi);
        javalin.before("/api/*", this::guard);
        for (Route r : routes) {
            javalin.addHttpHandler(r.method(), r.path(), r.handler());
        }
        javalin.exception(ApiException.class, (ex, ctx) -> error(ctx, ex.status(), ex.getMessage()));
        javalin.exception(HttpResponseException.class, (ex, ctx) -> error(ctx, ex.getStatus(),
                ex.getStatus() == 413 ? tooLarge() : ex.getStatus() == 404 ? noRoute(ctx) : ex.getMessage()));
        javalin.exception(IllegalArgumentException.class, (ex, ctx) -> error(ctx, 400, ex.getMessage()));
        javalin.exception(ModelLoadException.class, this::invalidModel);
        javalin.exception(ConfigException.class, this::invalidModel);
        javalin.exception(SafetensorsException.class, this::invalidModel);
        javalin.exception(Exception.class, (ex, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), ex);
            error(ctx, 500, "internal error: " + ex.getClass().getSimpleName() + " (details are in the server log)");
        });
        javalin.error(404, ctx -> {
            if (ctx.resultInputStream() == null) {
                error(ctx, 404, noRoute(ctx));
            }
        });
        javalin.error(405, ctx -> {
            if (ctx.resultInputStream() == null) {
                error(ctx, 405, "method " + ctx.method() + " not allowed on " + ctx.path());
            }
        });
        try {
            javalin.start(config.host(), port);
        } catch (RuntimeException ex) {
            jobs.close();
            jobs.store().close();
            jobs = null;
            throw ex;
        }
        app = javalin;
        LOG.info("microw server listening on {}", url());
        return this;
    }

    /** Auth (401) and body size (413), before any handler. */
    private void guard(Context ctx) {
        if (config.key().isPresent() && !ctx.path().equals("/api/health")) {
            if (RequestGuard.changesState(ctx.method()) || config.protectReads()) {
                String given = ctx.header(ServerConfig.API_KEY_HEADER);
                if (given == null || !isKey(given)) {
                    throw new ApiException(401, given == null ? "missing API key: send it in the "
                            + ServerConfig.API_KEY_HEADER + " header" : "wrong API key");
                }
            }
        }
        ctx.attribute(Requests.BODY_LIMIT, config.maxRequestBytes()); // chunked bodies are bounded when read
        long length = ctx.contentLength();
        if (length > config.maxRequestBytes()) {
            throw new ApiException(413, tooLarge());
        }
    }

    /**
     * Whether a received X-API-Key value is the key. Jetty reads header bytes as ISO-8859-1, so a key sent as UTF-8
     * arrives as one character per byte: those bytes are compared with the key's UTF-8 bytes; a value that arrived
     * decoded (an ASCII key, or a client that sent ISO-8859-1) is compared as it is.
     */
    private boolean isKey(String given) {
        byte[] key = config.apiKey().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given.getBytes(StandardCharsets.ISO_8859_1), key)
                || MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), key);
    }

    /**
     * 422 for a model whose files cannot be used (config.json, weights), with the one-line message the CLI prints;
     * {@link #error} shows the paths in it relative to the server's roots.
     */
    private void invalidModel(RuntimeException ex, Context ctx) {
        String message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        error(ctx, 422, message.replace('\n', ' ').strip());
    }

    private static String noRoute(Context ctx) {
        return "no route " + ctx.method() + " " + ctx.path() + "; GET /api/openapi.json lists them";
    }

    private String tooLarge() {
        return "the request body is larger than this server's limit of " + config.maxRequestBytes() + " bytes";
    }

    /** A JSON error answer; paths in the message are shown relative to the server's roots, never absolute. */
    private void error(Context ctx, int status, String message) {
        ctx.status(status).contentType("application/json")
                .result(JsonErrorHandler.body(status, PathGuard.redact(message, config)));
    }

    /**
     * The bound port (the real one when the config asked for 0).
     *
     * @return the port
     */
    public synchronized int port() {
        if (app == null) {
            throw new IllegalStateException("the server is not running");
        }
        return app.port();
    }

    /**
     * The API's base address.
     *
     * @return http://host:port/api
     */
    public String url() {
        return "http://" + config.host() + ":" + port() + "/api";
    }

    /**
     * The web UI's address.
     *
     * @return http://host:port/
     */
    public String uiUrl() {
        return "http://" + config.host() + ":" + port() + "/";
    }

    /**
     * The configuration this server was made with.
     *
     * @return the configuration
     */
    public ServerConfig config() {
        return config;
    }

    /** The loaded models (for tests that look at a model's native memory). */
    ModelRegistry models() {
        return models;
    }

    /** "METHOD /path" of each route as Javalin registered it. */
    List<String> registeredRoutes() {
        return List.copyOf(registered);
    }

    /** The OpenAPI document served at /api/openapi.json. */
    String openApi() {
        return openApi;
    }

    /** Stops serving and frees every loaded model and SAE. */
    public synchronized void stop() {
        if (jobs != null) {
            jobs.close(); // the running job stops and is recorded interrupted
        }
        if (app != null) {
            app.stop();
            app = null;
        }
        if (jobs != null) {
            jobs.store().close();
            jobs = null;
        }
        saes.close();
        models.close();
    }

    @Override
    public void close() {
        stop();
    }
}
