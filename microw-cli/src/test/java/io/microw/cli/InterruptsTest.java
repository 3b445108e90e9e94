package io.microw.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class InterruptsTest {

    @Test
    void theHookAsksToStopAndWaitsUntilTheCommandIsDone() throws Exception {
        StringWriter err = new StringWriter();
        Interrupts interrupts = new Interrupts(new PrintWriter(err, true), "prompt", Duration.ofSeconds(30), false);
        assertThat(interrupts.stopRequested()).isFalse();
        Thread hook = new Thread(interrupts::onShutdown);
        hook.start();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!interrupts.stopRequested() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(interrupts.stopRequested()).isTrue();
        Thread.sleep(50);
        assertThat(hook.isAlive()).as("the hook waits for the command").isTrue();
        interrupts.close();
        hook.join(5000);
        assertThat(hook.isAlive()).isFalse();
        assertThat(err.toString()).contains("stopping after the current prompt");
        assertThat(interrupts.stoppedMessage(3, 10)).isEqualTo("microw: stopped by Ctrl-C after 3 of 10 prompts");
    }

    @Test
    void theHookGivesUpAfterTheGracePeriod() throws Exception {
        Interrupts interrupts = new Interrupts(new PrintWriter(new StringWriter()), "batch", Duration.ofMillis(50), false);
        long start = System.nanoTime();
        interrupts.onShutdown();
        assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
        assertThat(interrupts.stopRequested()).isTrue();
    }

    @Test
    void installedHooksAreRemovedOnClose() {
        Interrupts interrupts = Interrupts.install(new PrintWriter(new StringWriter()), "prompt");
        interrupts.close();
        interrupts.close(); // twice is harmless
        assertThat(interrupts.stopRequested()).isFalse();
    }

    @Test
    void aStopRequestedOnceIsAnnouncedOnce() {
        StringWriter err = new StringWriter();
        Interrupts interrupts = new Interrupts(new PrintWriter(err, true), "prompt", Duration.ZERO, false);
        interrupts.requestStop();
        interrupts.requestStop();
        assertThat(err.toString().split("stopping", -1)).hasSize(2);
    }

    @Test
    void commandsStopBetweenPromptsAndSaySo(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("prompts.txt");
        Files.writeString(file, "The jury said\nIt was\nThe city\n");
        Interrupts.onInstall = Interrupts::requestStop; // as if Ctrl-C came before the first prompt
        try {
            CliRun run = CliRun.of("model", "run", "--file", file.toString(), "--json");
            assertThat(run.exitCode()).isEqualTo(Interrupts.EXIT_INTERRUPTED);
            assertThat(run.err()).contains("stopped by Ctrl-C after 0 of 3 prompts");
            assertThat(new ObjectMapper().readTree(run.out()).path("complete").asBoolean()).isFalse();

            CliRun gen = CliRun.of("model", "generate", "--file", file.toString(), "--max-new-tokens", "2");
            assertThat(gen.exitCode()).isEqualTo(Interrupts.EXIT_INTERRUPTED);
            assertThat(gen.err()).contains("stopped by Ctrl-C after 0 of 3 prompts");
        } finally {
            Interrupts.onInstall = null;
        }
    }
}
