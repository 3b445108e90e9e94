package io.microw.models;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.ConfigException;
import io.microw.io.HfConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A config.json whose sizes, counts, epsilons or rotary base are zero or negative is refused when its config is read,
 * for every architecture, with a {@link ConfigException} naming the key and the value.
 */
class ConfigSizesTest {

    /** A small valid config of each model type. */
    private static final Map<String, String> VALID = Map.of(
            "gpt2", "{\"model_type\":\"gpt2\",\"vocab_size\":50,\"n_embd\":16,\"n_layer\":2,\"n_head\":4,"
                    + "\"n_positions\":32}",
            "llama", "{\"model_type\":\"llama\",\"vocab_size\":50,\"hidden_size\":16,\"intermediate_size\":32,"
                    + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
                    + "\"max_position_embeddings\":32}",
            "gpt_neox", "{\"model_type\":\"gpt_neox\",\"vocab_size\":50,\"hidden_size\":16,\"num_hidden_layers\":2,"
                    + "\"num_attention_heads\":4}",
            "bert", "{\"model_type\":\"bert\",\"vocab_size\":50,\"hidden_size\":16,\"num_hidden_layers\":2,"
                    + "\"num_attention_heads\":4,\"intermediate_size\":32}",
            "gemma2", "{\"model_type\":\"gemma2\",\"vocab_size\":50,\"hidden_size\":16,\"num_hidden_layers\":2,"
                    + "\"num_attention_heads\":4,\"num_key_value_heads\":2,\"head_dim\":4,\"intermediate_size\":32}");

    private static ModelConfig read(String type, String key, String value) {
        HfConfig c = HfConfig.parse(VALID.get(type));
        ObjectNode json = c.json();
        json.set(key, HfConfig.parse("{\"v\":" + value + "}").json().get("v"));
        return ModelFamilies.forModelType(type).parseConfig(c);
    }

    @ParameterizedTest(name = "{0} {1}: {2}")
    @CsvSource({
        "gpt2, n_layer, -1", "gpt2, n_head, 0", "gpt2, n_embd, 0", "gpt2, vocab_size, -50257",
        "gpt2, n_positions, 0", "gpt2, n_inner, -4", "gpt2, layer_norm_epsilon, -1",
        "llama, hidden_size, -16", "llama, num_hidden_layers, 0", "llama, num_attention_heads, 0",
        "llama, num_key_value_heads, 0", "llama, head_dim, -4", "llama, intermediate_size, 0",
        "llama, vocab_size, 0", "llama, max_position_embeddings, -1", "llama, rms_norm_eps, 0",
        "llama, rope_theta, -1", "llama, rope_theta, 0",
        "gpt_neox, hidden_size, 0", "gpt_neox, num_attention_heads, -4", "gpt_neox, intermediate_size, -1",
        "gpt_neox, max_position_embeddings, 0", "gpt_neox, layer_norm_eps, -0.5", "gpt_neox, rotary_emb_base, -2",
        "bert, num_hidden_layers, -1", "bert, intermediate_size, 0", "bert, max_position_embeddings, 0",
        "bert, type_vocab_size, 0", "bert, layer_norm_eps, 0",
        "gemma2, head_dim, 0", "gemma2, num_key_value_heads, -1", "gemma2, query_pre_attn_scalar, -256",
        "gemma2, rms_norm_eps, -1"})
    void aSizeThatIsNotPositiveIsRefusedNamingKeyAndValue(String type, String key, String value) {
        assertThat(ModelFamilies.forModelType(type).parseConfig(HfConfig.parse(VALID.get(type))).numLayers())
                .as("the valid config reads").isEqualTo(2);
        String named = key.equals("rotary_emb_base") ? "rope_theta" : key;
        assertThatThrownBy(() -> read(type, key, value))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(named)
                .hasMessageContaining(value)
                .hasMessageContaining("expected a positive");
    }
}
