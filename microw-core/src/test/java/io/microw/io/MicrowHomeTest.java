package io.microw.io;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class MicrowHomeTest {

    @Test
    void theVariableWinsAndBlankMeansUnset() {
        assertThat(MicrowHome.directory(Map.of("MICROW_HOME", "/data/microw")::get)).isEqualTo(Path.of("/data/microw"));
        Path fallback = Path.of(System.getProperty("user.home"), ".cache", "microw");
        assertThat(MicrowHome.directory(Map.<String, String>of()::get)).isEqualTo(fallback);
        assertThat(MicrowHome.directory(Map.of("MICROW_HOME", "  ")::get)).isEqualTo(fallback);
    }
}
