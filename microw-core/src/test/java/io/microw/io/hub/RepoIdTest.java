package io.microw.io.hub;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RepoIdTest {

    @Test
    void validIdsAndTheirCacheFolders() {
        assertThat(RepoId.parse("openai-community/gpt2").cacheFolderName()).isEqualTo("models--openai-community--gpt2");
        assertThat(RepoId.parse("gpt2").cacheFolderName()).isEqualTo("models--gpt2");
        for (String ok : List.of("meta-llama/Llama-3.2-1B", "Qwen/Qwen2.5-0.5B", "a_b/c.d-e", "_x/y_", "x".repeat(96))) {
            assertThat(RepoId.isValid(ok)).as(ok).isTrue();
        }
    }

    @Test
    void invalidIdsAreNamedWithTheRule() {
        List<String> bad = List.of("", "a--b", "a..b", "-a/b", "a/b-", ".a/b", "a/b.", "a/b/c", "a b/c", "a/b@c",
                "/a", "a/", "x".repeat(97), "ü/b");
        for (String id : bad) {
            assertThat(RepoId.isValid(id)).as(id).isFalse();
            assertThatThrownBy(() -> RepoId.parse(id)).as(id)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + id + "'")
                    .hasMessageContaining("not a valid Hugging Face repo id");
        }
    }
}
