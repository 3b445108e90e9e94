package io.microw.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.MicrowException;
import io.microw.demo.BrownGpt2;
import io.microw.io.JsonMapper;
import io.microw.server.MicrowServer;
import io.microw.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code microw bench serve}: a load check of the REST server's short greedy generations on brown-gpt2. For each
 * client count, that many clients send {@code POST /api/models/brown-gpt2/generate} (one prompt each) back to back
 * until the level's requests are done; prints requests/s, tokens/s and latency percentiles per level. By default it
 * starts its own server in-process (127.0.0.1, a free port, a temporary data directory); {@code --url} targets a
 * running one. Exit code 2 when any request failed (after printing the results).
 */
@Command(name = "serve",
        description = {"Load check of the REST server: requests/s, tokens/s and latency percentiles of short greedy "
            + "generations on brown-gpt2, per number of concurrent clients.",
            "Each client sends POST /api/models/brown-gpt2/generate (one prompt) back to back until the level's "
                + "requests are done. Starts an in-process server on 127.0.0.1 (free port, temporary data directory) "
                + "unless --url is given. Exits with 2 when any request failed (not HTTP 200, or not one result)."},
        footer = {"", "Examples:",
            "  microw bench serve                     1, 4 and 16 clients, 64 requests each",
            "  microw bench serve --clients 1,8 --requests 200 --max-new-tokens 16 --json",
            "  microw bench serve --url http://127.0.0.1:8080 --api-key \"$MICROW_API_KEY\"",
            "                                         a running `microw serve` (as started)"})
final class BenchServeCommand implements Callable<Integer> {

    static final String MODEL = BrownGpt2.NAME;

    /** Beginnings of Brown-like sentences, of varied length and genre. */
    static final List<String> DEFAULT_PROMPTS = List.of(
            "The jury said it did find that",
            "It was a bright cold morning when",
            "The President told reporters that",
            "She looked at him and",
            "In the first place, the committee",
            "The church has always been",
            "He had never seen so many",
            "According to the report, the city",
            "The new plan would allow",
            "After the war, the family moved to",
            "There is no reason to believe that",
            "The results of the experiment show",
            "When I was a boy,",
            "The team scored twice in the",
            "Most of the students in the class",
            "It is important to remember that");

    private static final ObjectMapper JSON = JsonMapper.mapper();
    private static final ObjectMapper PARSER = JsonMapper.mapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(5);

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--clients", split = ",", paramLabel = "N",
            description = "Concurrent client counts, one level each (default: 1,4,16).")
    List<Integer> clients = new ArrayList<>(List.of(1, 4, 16));

    @Option(names = "--requests", paramLabel = "N", defaultValue = "64",
            description = "Measured requests per level, shared by its clients (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "8",
            description = "Tokens generated per request, greedy (default: ${DEFAULT-VALUE}; 1..512).")
    int maxNewTokens;

    @Option(names = "--no-batching", description = "The in-process server runs every generation alone instead of "
            + "batching concurrent ones (to compare).")
    boolean noBatching;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "4",
            description = "Unmeasured requests, one after another, before the first level (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--prompts-file", paramLabel = "FILE",
            description = "A UTF-8 file with one prompt per line (blank lines skipped), used in turn "
                    + "(default: 16 short Brown-like sentence beginnings).")
    Path promptsFile;

    @Option(names = "--url", paramLabel = "URL",
            description = "A running server to load, e.g. http://127.0.0.1:8080 (default: start one in-process).")
    String url;

    @Option(names = "--api-key", paramLabel = "K",
            description = "With --url: the key sent in X-API-Key (default: $" + ServeCommand.KEY_ENV + ", else none).")
    String apiKey;

    @Option(names = "--threads", paramLabel = "N",
            description = "In-process server: PyTorch intra-op threads (default: $THREADS, else 2, as the other benchmarks).")
    Integer threads;

    @Option(names = "--json", description = "Print only the results, as one JSON document on one line.")
    boolean jsonOnly;

    /** One level's outcome; latencies are those of the successful requests, in ms, sorted. */
    record Level(int clients, int requests, int errors, double wallSeconds, double[] latenciesMs, String firstError,
                 int maxNewTokens) {

        int ok() {
            return requests - errors;
        }

        double requestsPerSecond() {
            return ok() / wallSeconds;
        }

        double tokensPerSecond() {
            return (double) ok() * maxNewTokens / wallSeconds;
        }

        /** Nearest-rank percentile of the measured latencies; NaN when none. */
        double percentile(double p) {
            return BenchServeCommand.percentile(latenciesMs, p);
        }

        double max() {
            return latenciesMs.length == 0 ? Double.NaN : latenciesMs[latenciesMs.length - 1];
        }
    }

    @Override
    public Integer call() throws Exception {
        validate();
        URI base = url == null ? null : baseUri(url);
        List<String> prompts = prompts();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Integer threadCount = null;
        String engine = null;
        if (base == null) {
            threadCount = threads != null ? threads : BenchSupport.defaultThreads();
            Engine e = Engine.getEngine("PyTorch");
            JniUtils.setNumThreads(threadCount); // global: the server's request threads pick it up too
            engine = "PyTorch " + e.getVersion() + " via DJL " + Engine.getDjlVersion();
        }
        String key = base == null ? null : (apiKey != null ? apiKey : System.getenv(ServeCommand.KEY_ENV));
        LocalServer server = null;
        List<Level> levels = new ArrayList<>();
        try {
            if (base == null) {
                server = LocalServer.start(err, !noBatching);
                base = URI.create(server.server.url());
            }
            Client client = new Client(base, key);
            err.printf(Locale.ROOT, "bench serve: %s on %s (%s), loading...%n", MODEL, base,
                    server != null ? "in-process" : "running server");
            err.flush();
            client.prepare();
            if (warmup > 0) {
                err.printf(Locale.ROOT, "bench serve: %d warm-up requests...%n", warmup);
                err.flush();
                for (int i = 0; i < warmup; i++) {
                    String problem = client.generate(prompts.get(i % prompts.size()), maxNewTokens);
                    if (problem != null) {
                        throw new MicrowException("warm-up request failed: " + problem);
                    }
                }
            }
            int offset = 0;
            for (int c : clients) {
                err.printf(Locale.ROOT, "bench serve: %d client%s, %d requests of %d new tokens...%n", c,
                        c == 1 ? "" : "s", requests, maxNewTokens);
                err.flush();
                levels.add(runLevel(client, c, prompts, offset));
                offset += requests;
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
        String where = server != null ? "in-process" : base.toString();
        if (jsonOnly) {
            out.println(JSON.writeValueAsString(json(levels, where, prompts.size(), threadCount, engine)));
        } else {
            table(out, levels, where, prompts.size(), threadCount, engine);
        }
        out.flush();
        int failed = levels.stream().mapToInt(Level::errors).sum();
        if (failed > 0) {
            Level first = levels.stream().filter(l -> l.errors() > 0).findFirst().orElseThrow();
            err.printf(Locale.ROOT, "microw: error: %d of %d requests failed (first: %s)%n", failed,
                    levels.stream().mapToInt(Level::requests).sum(), first.firstError());
            err.flush();
            return Main.EXIT_ERROR;
        }
        return 0;
    }

    private void validate() {
        if (clients.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--clients needs at least one count");
        }
        for (Integer c : clients) {
            if (c == null || c < 1 || c > 1024) {
                throw new ParameterException(spec.commandLine(), "--clients: every count must be 1..1024, got " + c);
            }
        }
        if (requests < 1 || requests > 1_000_000) {
            throw new ParameterException(spec.commandLine(), "--requests must be 1..1000000, got " + requests);
        }
        if (maxNewTokens < 1 || maxNewTokens > 512) {
            throw new ParameterException(spec.commandLine(), "--max-new-tokens must be 1..512, got " + maxNewTokens);
        }
        if (warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--warmup must be 0 or more, got " + warmup);
        }
        if (threads != null && threads < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        }
        if (url != null && noBatching) {
            throw new ParameterException(spec.commandLine(),
                    "--no-batching applies to the in-process server only; start the server at --url with it instead");
        }
        if (url != null && threads != null) {
            throw new ParameterException(spec.commandLine(),
                    "--threads applies to the in-process server only; the server at --url uses its own");
        }
    }

    /** http(s)://host:port[/api] -> http(s)://host:port/api */
    private URI baseUri(String text) {
        URI u;
        try {
            u = URI.create(text.strip());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--url: not a URL: '" + text + "'");
        }
        if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
                || u.getHost() == null) {
            throw new ParameterException(spec.commandLine(), "--url: expected http://host:port, got '" + text + "'");
        }
        String path = u.getPath() == null ? "" : u.getPath().replaceAll("/+$", "");
        if (path.endsWith("/api")) {
            path = path.substring(0, path.length() - 4);
        }
        return URI.create(u.getScheme() + "://" + u.getRawAuthority() + path + "/api");
    }

    private List<String> prompts() {
        if (promptsFile == null) {
            return DEFAULT_PROMPTS;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(promptsFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ParameterException(spec.commandLine(), "--prompts-file: " + promptsFile + " does not exist");
        } catch (IOException e) {
            throw new MicrowException("cannot read prompt file " + promptsFile + ": " + e.getMessage(), e);
        }
        List<String> prompts = lines.stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (prompts.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--prompts-file: " + promptsFile
                    + " has no prompts (one per line)");
        }
        return prompts;
    }

    /** {@code n} clients share the level's requests; each sends its next one as soon as the last returned. */
    private Level runLevel(Client client, int n, List<String> prompts, int offset) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicReference<String> firstError = new AtomicReference<>();
        double[] latencies = new double[requests];
        Arrays.fill(latencies, Double.NaN);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "bench-serve-client");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int c = 0; c < n; c++) {
                pool.execute(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                        String prompt = prompts.get((offset + i) % prompts.size());
                        long t0 = System.nanoTime();
                        String problem = client.generate(prompt, maxNewTokens);
                        long t1 = System.nanoTime();
                        if (problem == null) {
                            latencies[i] = (t1 - t0) / 1e6;
                        } else {
                            errors.incrementAndGet();
                            firstError.compareAndSet(null, problem);
                        }
                    }
                });
            }
            long t0 = System.nanoTime();
            start.countDown();
            pool.shutdown();
            if (!pool.awaitTermination(1, TimeUnit.DAYS)) {
                throw new IllegalStateException("clients did not finish");
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            double[] ok = Arrays.stream(latencies).filter(x -> !Double.isNaN(x)).sorted().toArray();
            return new Level(n, requests, errors.get(), wall, ok, firstError.get(), maxNewTokens);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Nearest rank: the smallest value with at least p% of the values at or below it. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
    }

    private Map<String, Object> json(List<Level> levels, String where, int promptCount, Integer threadCount,
                                     String engine) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workload", "serve_generate");
        m.put("model", MODEL);
        m.put("server", where);
        if (url == null) {
            m.put("batching", !noBatching);
        }
        m.put("max_new_tokens", maxNewTokens);
        m.put("sampling", "greedy");
        m.put("prompts", promptCount);
        m.put("warmup", warmup);
        m.put("processors", Runtime.getRuntime().availableProcessors());
        m.put("java", javaVersion());
        m.put("threads", threadCount);
        m.put("microw", VersionProvider.microwVersion());
        m.put("engine", engine);
        m.putAll(EngineEnvironment.jsonFields());
        List<Map<String, Object>> ls = new ArrayList<>();
        for (Level l : levels) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("clients", l.clients());
            e.put("requests", l.requests());
            e.put("errors", l.errors());
            e.put("wall_s", round3(l.wallSeconds()));
            e.put("requests_per_s", round2(l.requestsPerSecond()));
            e.put("tokens_per_s", BenchSupport.round(l.tokensPerSecond()));
            e.put("p50_ms", ms(l.percentile(50)));
            e.put("p90_ms", ms(l.percentile(90)));
            e.put("p99_ms", ms(l.percentile(99)));
            e.put("max_ms", ms(l.max()));
            if (l.firstError() != null) {
                e.put("first_error", l.firstError());
            }
            ls.add(e);
        }
        m.put("levels", ls);
        m.put("errors", levels.stream().mapToInt(Level::errors).sum());
        return m;
    }

    private void table(PrintWriter out, List<Level> levels, String where, int promptCount, Integer threadCount,
                       String engine) {
        out.printf(Locale.ROOT, "Server load: %s, POST /generate with 1 prompt (of %d) and %d new tokens (greedy), "
                + "%d warm-up requests; server %s%s%n", MODEL, promptCount, maxNewTokens, warmup, where,
                url != null ? "" : noBatching ? ", generations one at a time" : ", concurrent generations batched");
        out.printf(Locale.ROOT, "Machine: %d processors, Java %s, %s%n", Runtime.getRuntime().availableProcessors(),
                javaVersion(), threadCount != null ? threadCount + " intra-op threads (" + engine + ")"
                        : "intra-op threads: the server's own");
        out.printf(Locale.ROOT, "  %7s %8s %6s %8s %8s %9s %9s %9s %9s %9s%n", "clients", "requests", "errors",
                "wall s", "req/s", "tokens/s", "p50 ms", "p90 ms", "p99 ms", "max ms");
        for (Level l : levels) {
            out.printf(Locale.ROOT, "  %7d %8d %6d %8.2f %8.2f %9.1f %9.1f %9.1f %9.1f %9.1f%n", l.clients(),
                    l.requests(), l.errors(), l.wallSeconds(), l.requestsPerSecond(), l.tokensPerSecond(),
                    l.percentile(50), l.percentile(90), l.percentile(99), l.max());
        }
        out.println("  req/s and tokens/s = successful requests (x new tokens) / wall time of the level; latencies of the"
                + " successful requests, percentiles by nearest rank.");
    }

    private static String javaVersion() {
        return System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")";
    }

    private static Double ms(double x) {
        return Double.isNaN(x) ? null : Math.round(x * 10) / 10.0;
    }

    private static double round2(double x) {
        return Math.round(x * 100) / 100.0;
    }

    private static double round3(double x) {
        return Math.round(x * 1000) / 1000.0;
    }

    /**
     * The in-process server: 127.0.0.1, a free port, brown-gpt2 only, a temporary data directory. Closing it (or
     * the JVM's shutdown, on Ctrl-C) stops it and deletes the directory.
     */
    static final class LocalServer implements AutoCloseable {

        final MicrowServer server;
        private final Path data;
        private final PrintWriter err;
        private final Thread hook;
        private boolean closed;

        private LocalServer(MicrowServer server, Path data, PrintWriter err) {
            this.server = server;
            this.data = data;
            this.err = err;
            this.hook = new Thread(this::stop, "microw-bench-serve-shutdown");
        }

        static LocalServer start(PrintWriter err, boolean batchGenerations) throws IOException {
            Path data = Files.createTempDirectory("microw-bench-serve");
            MicrowServer server;
            try {
                server = new MicrowServer(ServerConfig.builder().host("127.0.0.1").port(0).dataDirectory(data)
                        .allowedModels(List.of(MODEL)).batchGenerations(batchGenerations).build()).start();
            } catch (RuntimeException e) {
                DemoCommand.deleteRecursively(data);
                throw e;
            }
            LocalServer local = new LocalServer(server, data, err);
            Runtime.getRuntime().addShutdownHook(local.hook);
            return local;
        }

        private synchronized void stop() {
            if (closed) {
                return;
            }
            closed = true;
            server.stop();
            try {
                DemoCommand.deleteRecursively(data);
            } catch (IOException e) {
                err.println("bench serve: could not delete " + data + ": " + e.getMessage());
                err.flush();
            }
        }

        @Override
        public void close() {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down already: the hook stops the server
            }
            stop();
        }
    }

    /** The HTTP side: one shared java.net.http client (HTTP/1.1, a connection per concurrent client). */
    static final class Client {

        private final URI base;
        private final String key;
        private final HttpClient http;

        Client(URI base, String key) {
            this.base = base;
            this.key = key;
            this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build();
        }

        private HttpRequest.Builder request(String path) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(REQUEST_TIMEOUT);
            if (key != null && !key.isBlank()) {
                b.header(ServerConfig.API_KEY_HEADER, key);
            }
            return b;
        }

        /** Health check, then loads the model (already loaded is fine). */
        void prepare() throws InterruptedException {
            HttpResponse<String> health = send(request("/health").GET().build(), "GET /api/health");
            if (health.statusCode() != 200) {
                throw new MicrowException("GET " + base + "/health answered HTTP " + health.statusCode() + ": "
                        + brief(health.body()));
            }
            HttpResponse<String> load = send(request("/models/" + MODEL + "/load").header("Content-Type",
                    "application/json").POST(HttpRequest.BodyPublishers.noBody()).build(),
                    "POST /api/models/" + MODEL + "/load");
            if (load.statusCode() != 201 && load.statusCode() != 409) { // 409: loaded already
                throw new MicrowException("loading " + MODEL + " failed: HTTP " + load.statusCode() + ": "
                        + brief(load.body()));
            }
        }

        private HttpResponse<String> send(HttpRequest r, String what) throws InterruptedException {
            try {
                return http.send(r, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new MicrowException(what + " on " + base + " failed: " + ErrorHandler.describe(e), e);
            }
        }

        /** One generation; null when it succeeded, else what went wrong. */
        String generate(String prompt, int maxNewTokens) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("prompts", List.of(prompt));
            body.put("max_new_tokens", maxNewTokens);
            try {
                HttpRequest r = request("/models/" + MODEL + "/generate").header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(PARSER.writeValueAsString(body))).build();
                HttpResponse<String> response = http.send(r, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    return "HTTP " + response.statusCode() + ": " + brief(response.body());
                }
                JsonNode results = PARSER.readTree(response.body()).path("results");
                if (!results.isArray() || results.size() != 1) {
                    return "expected 1 result, got " + (results.isArray() ? results.size() : "none");
                }
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            } catch (IOException | RuntimeException e) {
                return ErrorHandler.describe(e);
            }
        }

        private static String brief(String body) {
            String s = body == null ? "" : body.replace('\n', ' ').strip();
            return s.length() > 200 ? s.substring(0, 200) + "..." : s;
        }
    }
}
