package io.microw.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfConfigTest {

    private static final String GPT2 = """
            {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "layer_norm_epsilon": 1e-05,
             "activation_function": "gelu_new", "scale_attn_weights": true, "eos_token_id": 50256,
             "n_inner": null, "bad_int": "768", "big": 3000000000, "frac": 1.5,
             "eos_list": [1, 2, 3], "bad_list": [1, "x"]}
            """;

    @TempDir
    Path dir;

    private final HfConfig cfg = HfConfig.parse(GPT2);

    @Test
    void typedGetters() {
        assertThat(cfg.modelType()).isEqualTo("gpt2");
        assertThat(cfg.requireInt("n_embd")).isEqualTo(768);
        assertThat(cfg.requireDouble("layer_norm_epsilon")).isEqualTo(1e-5);
        assertThat(cfg.requireDouble("n_layer")).isEqualTo(12.0);
        assertThat(cfg.requireString("activation_function")).isEqualTo("gelu_new");
        assertThat(cfg.getBoolean("scale_attn_weights", false)).isTrue();
        assertThat(cfg.has("n_embd")).isTrue();
        assertThat(cfg.has("n_inner")).as("null counts as absent").isFalse();
        assertThat(cfg.has("hidden_size")).isFalse();
        assertThat(cfg.source()).isEqualTo("<inline>");
        assertThat(cfg.json().get("n_layer").intValue()).isEqualTo(12);
    }

    @Test
    void defaultsForAbsentAndNull() {
        assertThat(cfg.getInt("n_inner", 3072)).isEqualTo(3072);
        assertThat(cfg.getInt("n_positions", 1024)).isEqualTo(1024);
        assertThat(cfg.getInt("n_layer", 1)).isEqualTo(12);
        assertThat(cfg.getDouble("rope_theta", 10000.0)).isEqualTo(10000.0);
        assertThat(cfg.getString("hidden_act", "gelu")).isEqualTo("gelu");
        assertThat(cfg.getBoolean("tie_word_embeddings", true)).isTrue();
        assertThat(cfg.optionalInt("n_inner")).isEqualTo(OptionalInt.empty());
        assertThat(cfg.optionalInt("absent")).isEqualTo(OptionalInt.empty());
        assertThat(cfg.optionalInt("n_layer")).isEqualTo(OptionalInt.of(12));
    }

    @Test
    void missingKeyIsNamed() {
        assertThatThrownBy(() -> cfg.requireInt("hidden_size"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'hidden_size'")
                .hasMessageContaining("missing");
        assertThatThrownBy(() -> cfg.requireInt("n_inner"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'n_inner'")
                .hasMessageContaining("null");
        assertThatThrownBy(() -> HfConfig.parse("{}").modelType())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'model_type'");
    }

    @Test
    void wrongTypeNamesKeyValueAndExpectedType() {
        assertThatThrownBy(() -> cfg.requireInt("bad_int"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'bad_int'")
                .hasMessageContaining("\"768\"")
                .hasMessageContaining("expected an int");
        assertThatThrownBy(() -> cfg.getInt("frac", 0))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("1.5")
                .hasMessageContaining("expected an int");
        assertThatThrownBy(() -> cfg.requireInt("big"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("3000000000");
        assertThatThrownBy(() -> cfg.requireString("n_embd"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'n_embd' is 768")
                .hasMessageContaining("expected a string");
        assertThatThrownBy(() -> cfg.getDouble("activation_function", 0))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("expected a number");
        assertThatThrownBy(() -> cfg.getBoolean("n_layer", false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("expected a boolean");
        assertThatThrownBy(() -> cfg.optionalInt("activation_function"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("\"gelu_new\"");
    }

    @Test
    void firstIntTakesFirstPresentKey() {
        assertThat(cfg.firstInt("hidden_size", "n_embd")).isEqualTo(768);
        assertThat(cfg.firstInt("n_inner", "n_layer")).as("null is skipped").isEqualTo(12);
        assertThatThrownBy(() -> cfg.firstInt("hidden_size", "d_model"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("hidden_size")
                .hasMessageContaining("d_model");
    }

    @Test
    void intListAcceptsIntOrArray() {
        assertThat(cfg.intList("eos_token_id")).containsExactly(50256);
        assertThat(cfg.intList("eos_list")).containsExactly(1, 2, 3);
        assertThat(cfg.intList("n_inner")).isEmpty();
        assertThat(cfg.intList("absent")).isEmpty();
        assertThatThrownBy(() -> cfg.intList("bad_list"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'bad_list'")
                .hasMessageContaining("[1,\"x\"]")
                .hasMessageContaining("an int or a list of ints");
        assertThatThrownBy(() -> cfg.intList("activation_function"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("an int or a list of ints");
    }

    @Test
    void readsFileAndNamesItInErrors() throws IOException {
        Path file = Files.writeString(dir.resolve("config.json"), GPT2);
        HfConfig fromFile = HfConfig.read(file);
        assertThat(fromFile.source()).isEqualTo(file.toString());
        assertThat(fromFile.requireInt("n_layer")).isEqualTo(12);
        assertThatThrownBy(() -> fromFile.requireInt("vocab_size"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString());
    }

    @Test
    void missingFile() {
        Path file = dir.resolve("config.json");
        assertThatThrownBy(() -> HfConfig.read(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("not found");
    }

    @Test
    void invalidJson() throws IOException {
        Path file = Files.writeString(dir.resolve("config.json"), "{\"n_embd\": 768,");
        assertThatThrownBy(() -> HfConfig.read(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> HfConfig.parse("[1]"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("must be a JSON object");
    }

    @Test
    void wrapsObjectNode() throws IOException {
        HfConfig c = HfConfig.of((com.fasterxml.jackson.databind.node.ObjectNode)
                new ObjectMapper().readTree("{\"hidden_size\": 64}"));
        assertThat(c.firstInt("n_embd", "hidden_size")).isEqualTo(64);
        assertThat(c.source()).isEqualTo("<inline>");
    }
}
