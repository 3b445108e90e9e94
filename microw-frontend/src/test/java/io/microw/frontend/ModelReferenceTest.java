package io.microw.frontend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How a model's name is read: the demo model, a directory or a Hub id, and one error for anything else. */
class ModelReferenceTest {

    @Test
    void nothingAndTheDemoNamesAreTheDemoModel() {
        for (String spec : new String[] {null, "brown-gpt2", "demo"}) {
            ModelReference r = ModelReference.parse(spec);
            assertThat(r).as(spec).isInstanceOf(ModelReference.Demo.class);
            assertThat(r.name()).isEqualTo("brown-gpt2");
            assertThat(r.runName()).isEqualTo("brown-gpt2");
            assertThat(r.source()).isEqualTo("embedded");
        }
        assertThat(ModelReference.ofId("brown-gpt2")).isInstanceOf(ModelReference.Demo.class);
    }

    @Test
    void anExistingDirectoryIsADirectoryAndRecordsNoRunName(@TempDir Path dir) {
        Path model = dir.resolve("owner").resolve("name");
        model.toFile().mkdirs();
        ModelReference r = ModelReference.parse(model.toString());
        assertThat(r).isEqualTo(new ModelReference.Directory(model));
        assertThat(r.runName()).isNull();
        assertThat(r.source()).isEqualTo(model.toString());
    }

    @Test
    void ownerSlashNameIsAHubIdWhenNoSuchDirectoryExists() {
        ModelReference r = ModelReference.parse("openai-community/gpt2");
        assertThat(r).isEqualTo(new ModelReference.Hub("openai-community/gpt2"));
        assertThat(r.runName()).isEqualTo("openai-community/gpt2");
        assertThat(r.source()).isEqualTo("hub");
    }

    @Test
    void anythingElseIsOneErrorNamingTheValueAndTheThreeForms() {
        for (String bad : new String[] {"gpt2-typo", "./no/such/dir", "/no/such/dir", "a/b/c", "owner/na me"}) {
            assertThatThrownBy(() -> ModelReference.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("model '" + bad + "' is neither brown-gpt2 (the demo model), an existing directory, "
                            + "nor a Hugging Face Hub id like owner/name");
        }
    }

    @Test
    void anAllowedIdIsTheDemoOrAHubIdALegacyBareNameIncluded() {
        assertThat(ModelReference.ofId("gpt2")).isEqualTo(new ModelReference.Hub("gpt2"));
        assertThat(ModelReference.ofId("demo")).isInstanceOf(ModelReference.Demo.class);
    }

    @Test
    void anIdTheHubRefusesIsRefusedNamingIt() {
        assertThatThrownBy(() -> ModelReference.ofId("owner/bad--name"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'owner/bad--name'");
    }

    @Test
    void theDisplayNameIsTheDemoModelsNameOrTheNameAsGiven() {
        assertThat(ModelReference.displayName(null)).isEqualTo("brown-gpt2");
        assertThat(ModelReference.displayName("demo")).isEqualTo("brown-gpt2");
        assertThat(ModelReference.displayName("gpt2-small")).isEqualTo("gpt2-small");
    }
}
