package io.microw.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** How the server shows its paths: relative to the root they lie in, after the root's label. */
class PathGuardTest {

    @TempDir
    Path data;
    @TempDir
    Path files;
    @TempDir
    Path models;

    @Test
    void redactionShowsRootsByLabelAndLeavesOtherPathsAlone() {
        ServerConfig c = ServerConfig.builder().dataDirectory(data).fileRoot(files).modelRoot(models).build();
        String message = "cannot read " + data.resolve("saes/x/cfg.json") + " or " + files + ", nor '" + data + "'; "
                + "see " + data + "2/y and POST /api/saes/load";
        assertThat(PathGuard.redact(message, c)).isEqualTo("cannot read data:saes/x/cfg.json or files1:, nor "
                + "'data:'; see " + data + "2/y and POST /api/saes/load");
        assertThat(PathGuard.redact(System.getProperty("user.home") + "/.cache/m", c)).isEqualTo("~/.cache/m");
        assertThat(PathGuard.redact((String) null, c)).isNull();
        assertThat(PathGuard.display(models.resolve("mini"), c)).isEqualTo("models1:mini");
        assertThat(PathGuard.display(data, c)).isEqualTo("data:");
        assertThat(PathGuard.display(Path.of("/elsewhere/dir/model"), c)).isEqualTo("model");
    }

    @Test
    void aRootInsideAnotherIsShownByItsOwnLabel() {
        Path nested = data.resolve("shared");
        ServerConfig c = ServerConfig.builder().dataDirectory(data).fileRoot(nested).build();
        assertThat(PathGuard.display(nested.resolve("sae"), c)).isEqualTo("files1:sae");
        assertThat(PathGuard.redact("at " + nested.resolve("sae") + " and " + data.resolve("x"), c))
                .isEqualTo("at files1:sae and data:x");
    }
}
