package io.microw.io.hub;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ConsoleProgressTest {

    @Test
    void drawsPercentAndSizesAndEndsTheLineWhenDone() {
        assertThat(ConsoleProgress.line("model.safetensors", 250_000_000L, 500_000_000L))
                .isEqualTo("model.safetensors   50%  250.0 MB / 500.0 MB");
        assertThat(ConsoleProgress.line("config.json", 512, -1)).isEqualTo("config.json  512 B");

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleProgress progress = new ConsoleProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        progress.onProgress("a.bin", 0, 2000);
        progress.onProgress("a.bin", 1000, 2000); // throttled
        progress.onProgress("a.bin", 2000, 2000);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).startsWith("\ra.bin    0%").endsWith("\ra.bin  100%  2.0 kB / 2.0 kB\n");
    }
}
