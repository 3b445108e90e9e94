package io.microw.demo;

import ai.djl.ndarray.NDArray;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.FunctionController;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's quick start, as written there, so that it keeps compiling and working. */
class ReadmeQuickStartTest {

    static class CoordinatedController extends BaseHook implements Controller {
        private final LayerActivationDetector reference;

        CoordinatedController(String layer, LayerActivationDetector reference) {
            super(HookType.FORWARD, layer);
            this.reference = reference;
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            NDArray ref = reference.getCaptured();
            if (ref == null) {
                return null;
            }
            float scale = ref.mean().getFloat();
            return call.output().mul(1f + 0.1f * scale);
        }
    }

    @Test
    void quickStartRuns() {
        try (LanguageModel lm = BrownGpt2.load()) {
            assertThat(lm.layers().names()).contains("transformer.wte", "transformer.h.0.attn.c_attn");

            Map<Integer, LayerActivationDetector> detectors = new HashMap<>();
            for (int i : new int[] {0, 1, 3}) {
                String layer = "transformer.h." + i + ".attn.c_attn";
                LayerActivationDetector det = new LayerActivationDetector(layer);
                detectors.put(i, det);
                lm.layers().registerHook(layer, det);
            }
            float[] baseline;
            try (InferenceResult out = lm.inference().executeInference(List.of("Hello, world!"))) {
                NDArray logits = out.logits();
                assertThat(logits.getShape().get(2)).isEqualTo(4096);
                baseline = logits.toFloatArray();
            }
            detectors.forEach((i, det) -> assertThat(det.getCaptured().getShape().get(2)).isEqualTo(768));

            String hook1 = lm.layers().registerHook("layer_0", new FunctionController("layer_0", x -> x.mul(1.2)));
            String hook2 = lm.layers().registerHook("layer_3", new FunctionController("layer_3", x -> x.mul(0.8)));
            try {
                try (InferenceResult out = lm.inference().executeInference(List.of("Hello, world!"))) {
                    assertThat(out.logits().toFloatArray()).isNotEqualTo(baseline);
                }
                GenerationResult g = lm.inference().generate(List.of("The jury said"), GenerationConfig.greedy(20));
                assertThat(g.texts().get(0)).startsWith("The jury said");
            } finally {
                lm.layers().unregisterHook(hook1);
                lm.layers().unregisterHook(hook2);
            }

            LayerActivationDetector ref = new LayerActivationDetector("layer_0");
            lm.layers().registerHook("layer_0", ref);
            lm.layers().registerHook("layer_2", new CoordinatedController("layer_2", ref));
            try (InferenceResult out = lm.inference().executeInference(List.of("Hello, world!"))) {
                assertThat(out.logits().toFloatArray()).isNotEqualTo(baseline);
            }
        }
    }
}
