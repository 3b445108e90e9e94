package io.microw.demo;

import ai.djl.ndarray.NDArray;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BrownGpt2Test {

    @Test
    void loadsWithTokenizerAndRunsTexts() {
        try (LanguageModel lm = BrownGpt2.load()) {
            assertThat(lm.config().numLayers()).isEqualTo(4);
            assertThat(lm.tokenizer().eosTokenId()).hasValue(0);
            LayerActivationDetector det = new LayerActivationDetector("layer_1");
            lm.layers().registerHook("layer_1", det);
            try (InferenceResult r = lm.inference().executeInference(List.of("The jury said it", "Hello"))) {
                assertThat(r.logits().getShape().getShape()).containsExactly(2, r.encodings().seqLength(), 4096);
                NDArray captured = det.getCaptured();
                assertThat(captured.getShape().getShape()).containsExactly(2, r.encodings().seqLength(), 256);
            }
            GenerationResult g = lm.inference().generate(List.of("The jury said"), GenerationConfig.greedy(8));
            assertThat(g.completions().get(0)).isNotBlank();
            System.out.println(g.texts());
        }
    }
}
