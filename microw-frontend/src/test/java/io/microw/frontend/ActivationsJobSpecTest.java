package io.microw.frontend;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The activation job's defaults, checks, and the job parameters it is stored as. */
class ActivationsJobSpecTest {

    @Test
    void theDefaultsAreBatchesOfEightAtTheModelsContextIntoAMadeRun() {
        ActivationsJobSpec spec = ActivationsJobSpec.of("brown-gpt2", List.of("layer_1"));
        assertThat(spec).isEqualTo(new ActivationsJobSpec("brown-gpt2", List.of("layer_1"), 8, 0, null));
        assertThat(ActivationsJobSpec.DEFAULT_MODEL).isEqualTo("brown-gpt2");
    }

    @Test
    void theParametersReadBackAsTheSpecAndAbsentOnesTakeTheDefaults() {
        ActivationsJobSpec spec = ActivationsJobSpec.of("owner/name", List.of("a", "b")).withBatchSize(3)
                .withMaxLength(64).withRun("r1");
        ObjectNode params = JsonNodeFactory.instance.objectNode();
        spec.writeTo(params);
        assertThat(params.toString()).isEqualTo("{\"model\":\"owner/name\",\"layers\":[\"a\",\"b\"],\"batch_size\":3,"
                + "\"max_length\":64,\"run\":\"r1\"}");
        assertThat(ActivationsJobSpec.readFrom(params)).isEqualTo(spec);
        ObjectNode minimal = JsonNodeFactory.instance.objectNode();
        minimal.putArray("layers").add("a");
        assertThat(ActivationsJobSpec.readFrom(minimal))
                .isEqualTo(new ActivationsJobSpec("brown-gpt2", List.of("a"), 8, 0, null));
    }

    @Test
    void badFieldsAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> ActivationsJobSpec.of("m", List.of()))
                .hasMessage("an activations job needs at least one layer");
        assertThatThrownBy(() -> ActivationsJobSpec.of("m", List.of("a")).withBatchSize(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("the batch size must be at least 1, got 0");
        assertThatThrownBy(() -> ActivationsJobSpec.of("m", List.of("a")).withMaxLength(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the max length must be 0 (the model's context) or more, got -1");
    }
}
