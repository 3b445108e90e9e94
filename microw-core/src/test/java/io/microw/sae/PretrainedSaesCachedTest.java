package io.microw.sae;

import io.microw.io.hub.PretrainedOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link PretrainedSaes#cached}: the registry SAEs whose needed files are all in a Hugging Face cache laid out by hand. */
class PretrainedSaesCachedTest {

    static final String REPO = "models--jbloom--GPT2-Small-SAEs-Reformatted";
    static final String COMMIT = "89abcdef0123456789abcdef0123456789abcdef";

    @TempDir
    Path cache;

    void snapshotFile(String file) throws IOException {
        Path f = cache.resolve(REPO).resolve("snapshots").resolve(COMMIT).resolve(file);
        Files.createDirectories(f.getParent());
        Files.writeString(f, "x");
    }

    @Test
    void listsOnlySaesWithEveryNeededFileAtTheRevision() throws IOException {
        PretrainedOptions options = PretrainedOptions.defaults().withCacheDir(cache).withOffline(true);
        assertThat(PretrainedSaes.defaults().cached(options)).isEmpty();
        snapshotFile("blocks.8.hook_resid_pre/cfg.json");
        snapshotFile("blocks.8.hook_resid_pre/sae_weights.safetensors");
        snapshotFile("blocks.7.hook_resid_pre/cfg.json"); // its weights are missing
        assertThat(PretrainedSaes.defaults().cached(options)).as("no refs/main yet").isEmpty();
        Files.createDirectories(cache.resolve(REPO).resolve("refs"));
        Files.writeString(cache.resolve(REPO).resolve("refs/main"), COMMIT);
        assertThat(PretrainedSaes.defaults().cached(options))
                .extracting(c -> c.release().name() + ":" + c.sae().id())
                .containsExactly("gpt2-small-res-jb:blocks.8.hook_resid_pre");
        assertThat(PretrainedSaes.defaults().cached(options.withRevision("other-branch"))).isEmpty();
        SaeRelease hubRelease = PretrainedSaes.defaults().release("gpt2-small-res-jb");
        assertThat(PretrainedSaes.defaults().shipsConcepts(hubRelease, hubRelease.sae("blocks.8.hook_resid_pre")))
                .as("Hub releases ship no concept names").isFalse();
    }
}
