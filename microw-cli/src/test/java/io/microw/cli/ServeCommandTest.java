package io.microw.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class ServeCommandTest {

    /**
     * Runs {@code microw serve args} in a thread until it prints its banner, hands the printed API URL to
     * {@code whileServing}, then interrupts it, which must stop it with exit code 0.
     *
     * @return what it printed on stdout and stderr
     */
    static CliRun serve(Consumer<String> whileServing, String... args) throws Exception {
        CommandLine cmd = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        AtomicInteger code = new AtomicInteger(-1);
        Thread t = new Thread(() -> code.set(cmd.execute(args)));
        t.start();
        Pattern url = Pattern.compile("listening on (http://[0-9.]+:\\d+/api)");
        for (int i = 0; i < 200 && !out.toString().contains("Press Ctrl-C"); i++) {
            Thread.sleep(50);
        }
        Matcher m = url.matcher(out.toString());
        assertThat(m.find()).as(out + " / " + err).isTrue();
        try {
            whileServing.accept(m.group(1));
        } finally {
            t.interrupt();
            t.join(10_000);
        }
        assertThat(t.isAlive()).isFalse();
        assertThat(code.get()).isZero();
        return new CliRun(code.get(), out.toString(), err.toString());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(request + " failed", e);
        }
    }

    @Test
    void servesUntilInterruptedAndPrintsTheUrlAndTheAuthMode(@TempDir Path data) throws Exception {
        CliRun r = serve(api -> {
            assertThat(api).startsWith("http://127.0.0.1:");
            assertThat(send(HttpRequest.newBuilder(URI.create(api + "/health")).build()).statusCode()).isEqualTo(200);
            HttpResponse<String> load = send(HttpRequest.newBuilder(URI.create(api + "/models/brown-gpt2/load"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody()).build());
            assertThat(load.statusCode()).as(load.body()).isEqualTo(401);
        }, "serve", "--port", "0", "--api-key", "k", "--data", data.toString());
        assertThat(r.out()).contains("Auth: API key required for requests that change state");
        assertThat(serve(api -> { }, "serve", "--port", "0", "--api-key", "k", "--protect-reads", "--data",
                data.toString()).out()).contains("Auth: API key required for every request");
        assertThat(serve(api -> { }, "serve", "--port", "0", "--data", data.toString()).out())
                .contains("Auth: none (loopback only)");
    }

    @Test
    @Timeout(60) // a command line that is wrongly accepted serves until interrupted
    void aBlankKeyIsRefused(@TempDir Path data) {
        for (String blank : new String[] {"", "   "}) {
            CliRun r = CliRun.of("serve", "--port", "0", "--api-key", blank, "--data", data.toString());
            assertThat(r.exitCode()).isEqualTo(Main.EXIT_USAGE);
            assertThat(r.err()).startsWith("microw: error: --api-key is blank").hasLineCount(1);
            assertThat(r.out()).doesNotContain("listening");
        }
    }

    @Test
    @Timeout(60) // a command line that is wrongly accepted serves until interrupted
    void anAddressOtherMachinesReachNeedsAKeyOrInsecureNoAuth(@TempDir Path data) throws Exception {
        CliRun refused = CliRun.of("serve", "--host", "0.0.0.0", "--port", "0", "--data", data.toString());
        assertThat(refused.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(refused.err()).contains("--host 0.0.0.0 can be reached from other machines")
                .contains("--insecure-no-auth").hasLineCount(1);
        assertThat(refused.out()).doesNotContain("listening");
        // with --insecure-no-auth it would serve; tests bind 127.0.0.1 only, so the decision is checked unbound
        assertThat(ServeAuth.of("0.0.0.0", null, true)).isEqualTo(ServeAuth.INSECURE);
        assertThat(ServeAuth.INSECURE.banner(false)).isEqualTo("Auth: none (--insecure-no-auth)");
        assertThat(ServeAuth.of("0.0.0.0", null, false)).isEqualTo(ServeAuth.REFUSED);
        assertThat(ServeAuth.of("LOCALHOST", null, false)).isEqualTo(ServeAuth.LOOPBACK);
        assertThat(ServeAuth.of("0.0.0.0", "k", false)).isEqualTo(ServeAuth.KEY);
    }

    @Test
    @Timeout(60) // a command line that is wrongly accepted serves until interrupted
    void badAllowedOriginsAndHostsAreRefused(@TempDir Path data) {
        CliRun origin = CliRun.of("serve", "--port", "0", "--allowed-origin", "localhost:3000", "--data",
                data.toString());
        assertThat(origin.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(origin.err()).contains("allowed origin 'localhost:3000' must be scheme://host[:port]")
                .hasLineCount(1);
        CliRun host = CliRun.of("serve", "--port", "0", "--allowed-host", "http://mybox.lan", "--data",
                data.toString());
        assertThat(host.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(host.err()).contains("allowed host 'http://mybox.lan'").hasLineCount(1);
    }

    @Test
    void allowedOriginsAndHostsReachTheServer(@TempDir Path data) throws Exception {
        serve(api -> {
            HttpResponse<String> foreign = send(HttpRequest.newBuilder(URI.create(api + "/jobs"))
                    .header("Origin", "http://localhost:3001").build());
            assertThat(foreign.statusCode()).as(foreign.body()).isEqualTo(403);
            HttpResponse<String> allowed = send(HttpRequest.newBuilder(URI.create(api + "/jobs"))
                    .header("Origin", "http://localhost:3000").build());
            assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(200);
            int port = URI.create(api).getPort();
            assertThat(statusLine(port, "mybox.lan:" + port)).isEqualTo("HTTP/1.1 200 OK");
            assertThat(statusLine(port, "otherbox.lan:" + port)).startsWith("HTTP/1.1 421");
        }, "serve", "--port", "0", "--allowed-origin", "http://localhost:3000", "--allowed-host", "mybox.lan",
                "--data", data.toString());
    }

    /** The status line of GET /api/health with this Host header (java.net.http will not send one of its own). */
    static String statusLine(int port, String host) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(("GET /api/health HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).split("\r\n", 2)[0];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void badPortIsAUsageError() {
        CliRun r = CliRun.of("serve", "--port", "70000");
        assertThat(r.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--port");
    }
}
