package io.microw.io.hub;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class HubSettingsTest {

    private static HubSettings settings(Map<String, String> env) {
        return HubSettings.from(PretrainedOptions.defaults().withEnvironment(env));
    }

    @Test
    void theCacheFollowsHfHubCacheThenHfHomeThenHome() {
        assertThat(settings(Map.of("HF_HUB_CACHE", "/c", "HF_HOME", "/h", "HOME", "/u")).cacheRoot())
                .isEqualTo(Path.of("/c"));
        assertThat(settings(Map.of("HF_HOME", "/h", "HOME", "/u")).cacheRoot()).isEqualTo(Path.of("/h/hub"));
        assertThat(settings(Map.of("HOME", "/u")).cacheRoot()).isEqualTo(Path.of("/u/.cache/huggingface/hub"));
        assertThat(settings(Map.of("XDG_CACHE_HOME", "/x", "HOME", "/u")).cacheRoot())
                .isEqualTo(Path.of("/x/huggingface/hub"));
        assertThat(settings(Map.of("HF_HOME", "~/hf", "HOME", "/u")).cacheRoot()).isEqualTo(Path.of("/u/hf/hub"));
        assertThat(HubSettings.from(PretrainedOptions.defaults().withEnvironment(Map.of("HF_HUB_CACHE", "/c"))
                .withCacheDir(Path.of("/o"))).cacheRoot()).isEqualTo(Path.of("/o"));
    }

    @Test
    void endpointTokenAndOfflineComeFromTheEnvironmentUnlessSet() {
        HubSettings none = settings(Map.of("HOME", "/nonexistent-home"));
        assertThat(none.endpoint()).isEqualTo("https://huggingface.co");
        assertThat(none.token()).isNull();
        assertThat(none.offline()).isFalse();

        HubSettings env = settings(Map.of("HOME", "/nonexistent-home", "HF_ENDPOINT", "https://mirror.example/",
                "HF_TOKEN", "hf_abc", "HF_HUB_OFFLINE", "true"));
        assertThat(env.endpoint()).isEqualTo("https://mirror.example");
        assertThat(env.token()).isEqualTo("hf_abc");
        assertThat(env.offline()).isTrue();
        assertThat(settings(Map.of("HOME", "/nonexistent-home", "HF_HUB_OFFLINE", "0")).offline()).isFalse();

        HubSettings set = HubSettings.from(PretrainedOptions.defaults()
                .withEnvironment(Map.of("HF_TOKEN", "hf_env", "HF_HUB_OFFLINE", "1"))
                .withToken("hf_opt").withOffline(false).withEndpoint("http://127.0.0.1:1"));
        assertThat(set.token()).isEqualTo("hf_opt");
        assertThat(set.offline()).isFalse();
        assertThat(set.endpoint()).isEqualTo("http://127.0.0.1:1");
    }
}
