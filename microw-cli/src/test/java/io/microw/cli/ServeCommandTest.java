package io.microw.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class ServeCommandTest {

    @Test
    void servesUntilInterruptedAndPrintsTheUrl(@TempDir Path data) throws Exception {
        CommandLine cmd = Main.commandLine();
        StringWriter out = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(new StringWriter(), true));
        AtomicInteger code = new AtomicInteger(-1);
        Thread t = new Thread(() -> code.set(cmd.execute("serve", "--port", "0", "--api-key", "k",
                "--data", data.toString())));
        t.start();
        Pattern url = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+/api)");
        Matcher m = url.matcher("");
        for (int i = 0; i < 200 && !(m = url.matcher(out.toString())).find(); i++) {
            Thread.sleep(50);
        }
        assertThat(m.find(0)).as(out.toString()).isTrue();
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create(m.group(1) + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        HttpResponse<String> load = client.send(HttpRequest.newBuilder(URI.create(m.group(1) + "/models/brown-gpt2/load"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(load.statusCode()).isEqualTo(401);
        t.interrupt();
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(code.get()).isZero();
    }

    @Test
    void badPortIsAUsageError() {
        CliRun r = CliRun.of("serve", "--port", "70000");
        assertThat(r.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--port");
    }
}
