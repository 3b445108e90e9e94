package io.microw.cli;

import io.microw.demo.BrownGpt2;
import io.microw.server.MicrowServer;
import io.microw.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code microw serve}: the REST API ({@link MicrowServer}) until Ctrl-C. Prints the URL it listens on, the
 * OpenAPI document's address ({@code <url>/openapi.json}) and how requests are authenticated. Refuses a blank key,
 * and an address other machines can reach without a key unless {@code --insecure-no-auth} says so.
 */
@Command(name = "serve",
        description = {"Serve the microw REST API (models, inference, generation, SAEs) until Ctrl-C.",
            "Prints the URL; GET <url>/openapi.json describes every endpoint."},
        footer = {"", "Examples:", "  microw serve                         http://127.0.0.1:8080/api, brown-gpt2 only",
            "  microw serve --port 0                a free port (printed)",
            "  MICROW_API_KEY=... microw serve --host 0.0.0.0 --allowed-host mybox.lan --model-root ~/models",
            "", "With an API key, POST/PUT/DELETE need the X-API-Key header (GET too with --protect-reads).",
            "POST/PUT/DELETE need Content-Type: application/json; requests from other web origins get 403,",
            "and Host headers other than localhost, 127.0.0.1, [::1], the bound address and --allowed-host get 421."})
final class ServeCommand implements Callable<Integer> {

    /** Environment variable read when --api-key is not given (keeps the key out of the process list). */
    static final String KEY_ENV = "MICROW_API_KEY";
    /** Addresses only this machine can reach: serving them without a key is the default. */

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080",
            description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", paramLabel = "H", defaultValue = "127.0.0.1",
            description = "Interface to bind (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface). An address "
                    + "other than loopback needs an API key, or --insecure-no-auth.")
    String host;

    @Option(names = "--insecure-no-auth", description = "Serve an address other machines can reach without an API "
            + "key: anyone who reaches it may load models and run jobs.")
    boolean insecureNoAuth;

    @Option(names = "--allowed-origin", paramLabel = "ORIGIN", description = "A web origin (scheme://host[:port]) "
            + "whose pages may call the API besides the server's own (repeatable); others get 403.")
    List<String> allowedOrigins = new ArrayList<>();

    @Option(names = "--allowed-host", paramLabel = "NAME", description = "A name accepted in the Host header besides "
            + "localhost, 127.0.0.1, [::1] and the bound address (repeatable): the name clients use for a server on "
            + "0.0.0.0 or a LAN address. Others get 421.")
    List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--api-key", paramLabel = "K",
            description = "Key clients send in X-API-Key (default: $" + KEY_ENV + ", else none).")
    String apiKey;

    @Option(names = "--protect-reads", description = "Require the API key for GET requests too.")
    boolean protectReads;

    @Option(names = "--no-batching", description = "Run every generation request alone (by default concurrent greedy "
            + "generations without hooks on one model run as one batch).")
    boolean noBatching;

    @Option(names = "--data", paramLabel = "DIR",
            description = "The server's data directory; SAE paths may point inside it (default: ~/.microw/server).")
    Path data;

    @Option(names = "--model", paramLabel = "ID",
            description = "A model id that may be loaded (repeatable; default: " + BrownGpt2.NAME + ").")
    List<String> allowed = new ArrayList<>();

    @Option(names = "--model-root", paramLabel = "DIR",
            description = "A folder whose subfolders are local models that may be loaded (repeatable).")
    List<Path> modelRoots = new ArrayList<>();

    @Option(names = "--file-root", paramLabel = "DIR",
            description = "A folder that SAE paths may point into, besides --data (repeatable).")
    List<Path> fileRoots = new ArrayList<>();

    @Option(names = "--max-request-bytes", paramLabel = "N", defaultValue = "1048576",
            description = "Largest request body accepted (default: ${DEFAULT-VALUE}).")
    long maxRequestBytes;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "--port must be 0..65535, got " + port);
        }
        if (maxRequestBytes < 1) {
            throw new ParameterException(spec.commandLine(), "--max-request-bytes must be positive");
        }
        String key = apiKey != null ? apiKey : System.getenv(KEY_ENV);
        if (key != null && key.isBlank()) {
            return refuse((apiKey != null ? "--api-key" : "$" + KEY_ENV) + " is blank, which would leave the server "
                    + "without a key; give a key with visible characters, or leave it out for no key");
        }
        ServeAuth auth = ServeAuth.of(host, key, insecureNoAuth);
        if (auth == ServeAuth.REFUSED) {
            return refuse("--host " + host + " can be reached from other machines, and there is no API key; set one "
                    + "with --api-key or $" + KEY_ENV + ", or pass --insecure-no-auth to serve without one");
        }
        ServerConfig.Builder b = ServerConfig.builder().host(host).port(port).apiKey(key).protectReads(protectReads)
                .maxRequestBytes(maxRequestBytes).batchGenerations(!noBatching);
        allowedOrigins.forEach(b::allowedOrigin);
        allowedHosts.forEach(b::allowedHost);
        if (data != null) {
            b.dataDirectory(data);
        }
        if (!allowed.isEmpty()) {
            b.allowedModels(allowed);
        }
        modelRoots.forEach(b::modelRoot);
        fileRoots.forEach(b::fileRoot);
        ServerConfig config;
        try {
            config = b.build();
        } catch (IllegalArgumentException e) {
            return refuse(e.getMessage()); // an --allowed-origin or --allowed-host that is not one
        }
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch stopped = new CountDownLatch(1);
        MicrowServer server = new MicrowServer(config).start();
        Thread hook = new Thread(() -> {
            server.stop();
            stopped.countDown();
        }, "microw-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("microw server listening on " + server.url());
        out.println("Web UI: " + server.uiUrl());
        out.println("OpenAPI: " + server.url() + "/openapi.json");
        out.println(auth.banner(protectReads));
        if (auth == ServeAuth.INSECURE) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("microw: warning: no API key on " + host + ": anyone who can reach port " + server.port()
                    + " can load models, run jobs and write to " + config.dataDirectory());
            err.flush();
        }
        out.println("Press Ctrl-C to stop.");
        out.flush();
        boolean interrupted = false;
        try {
            stopped.await();
        } catch (InterruptedException e) {
            interrupted = true; // stop first (Jetty cannot stop from an interrupted thread), then restore the flag
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down already: the hook stops the server
            }
            server.stop();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        out.println("microw server stopped");
        out.flush();
        return 0;
    }

    /** A command line that must not be served: one line on stderr, and the usage exit code. */
    private int refuse(String reason) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("microw: error: " + reason);
        err.flush();
        return Main.EXIT_USAGE;
    }
}
