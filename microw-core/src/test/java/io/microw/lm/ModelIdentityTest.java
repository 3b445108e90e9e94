package io.microw.lm;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ModelIdentityTest {

    @Test
    void aHubCacheSnapshotIsNamedByItsRepoId() {
        assertThat(ModelIdentity.hubRepo(Path.of("/home/a/.cache/huggingface/hub/models--openai-community--gpt2"
                + "/snapshots/607a30d783dfa663caf39e06633721c8d4cfcd7e"))).contains("openai-community/gpt2");
        assertThat(ModelIdentity.hubRepo(Path.of("/models/gpt2"))).isEmpty();
        assertThat(ModelIdentity.hubRepo(Path.of("/x/models--a--b/other/c"))).isEmpty();
        assertThat(ModelIdentity.hubRepo(Path.of("/snapshots/c"))).isEmpty();
    }

    @Test
    void theSameModelHasTheSameNameRevisionAndConfigWhereverItLies() {
        ModelIdentity here = new ModelIdentity("owner/m", "abc", "GPT2LMHeadModel", "sha256:0123456789abcdef0123",
                "/home/a/hub/models--owner--m/snapshots/abc");
        ModelIdentity there = ModelIdentity.fromJson(new ModelIdentity("owner/m", "abc", "GPT2LMHeadModel",
                "sha256:0123456789abcdef0123", "/elsewhere").toJson());
        assertThat(here.sameModel(there)).isTrue();
        assertThat(here.sameModel(new ModelIdentity("owner/m", "def", "GPT2LMHeadModel",
                "sha256:0123456789abcdef0123", null))).isFalse();
        assertThat(here.sameModel(new ModelIdentity("owner/m", "abc", "GPT2LMHeadModel",
                "sha256:ffff", null))).isFalse();
        assertThat(here.sameModel(new ModelIdentity("other/m", "abc", "GPT2LMHeadModel",
                "sha256:0123456789abcdef0123", null))).isFalse();
        assertThat(here.describe()).isEqualTo("owner/m at revision abc (config sha256:0123456789ab…)");
        assertThat(here.toJson().get("id").asText()).isEqualTo("owner/m");
    }
}
