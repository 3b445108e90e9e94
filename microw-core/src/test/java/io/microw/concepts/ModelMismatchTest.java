package io.microw.concepts;

import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.LoadOptions;
import io.microw.models.WeightProcessing;
import io.microw.sae.SaeConfig;
import io.microw.sae.SaeLensFormat;
import io.microw.sae.TopKSae;
import io.microw.testing.Fixture;
import io.microw.testing.WordTokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.microw.testing.WordTokenizers.GPT2_BOS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An SAE whose SAELens config names {@code model_from_pretrained_kwargs}: the kwargs are read from cfg.json, and
 * attaching or splicing it into a model loaded with other weight processing warns, or with
 * {@link ModelMismatch#REFUSE} refuses, naming the LoadOptions settings to use. An SAE's {@code prepend_bos}: an
 * attached hook makes the model follow it (so nothing is reported), unless the model sets its own; a splice does not.
 */
class ModelMismatchTest {

    private static final String LAYER = "blocks.0.hook_resid_post";

    @TempDir
    Path tmp;

    @Test
    void kwargsAreReadFromSaeLensMetadata() throws IOException {
        Files.writeString(tmp.resolve(SaeLensFormat.CONFIG_FILE), """
                {"architecture": "topk", "d_in": 3, "d_sae": 4, "k": 2, "apply_b_dec_to_input": true,
                 "normalize_activations": "none", "reshape_activations": "none",
                 "metadata": {"model_name": "gpt2", "hook_name": "blocks.0.hook_resid_post", "prepend_bos": true,
                              "model_from_pretrained_kwargs": {"center_writing_weights": true, "fold_ln": false}}}
                """);
        SaeConfig config = SaeLensFormat.readConfig(tmp);
        assertThat(config.modelFromPretrainedKwargs())
                .containsExactlyInAnyOrderEntriesOf(Map.of("center_writing_weights", true, "fold_ln", false));
        assertThat(SaeConfig.of(io.microw.sae.SaeArchitecture.TOPK, 3, 4, 2).modelFromPretrainedKwargs()).isEmpty();
    }

    @Test
    void describeNamesEachDifferingSettingAndTheLoadOptionsToUse() {
        SaeConfig config = withKwargs(Map.of("center_writing_weights", true));
        assertThat(ModelMismatch.describe(config, new WeightProcessing(false, true, false, false))).isEmpty();
        String problem = ModelMismatch.describe(config, new WeightProcessing(true, false, false, false)).orElseThrow();
        assertThat(problem).contains("fold_ln=false (model: true)", "center_writing_weights=true (model: false)",
                "LoadOptions.defaults().withFoldLn(false).withCenterWritingWeights(true)", LAYER);
        assertThat(ModelMismatch.describe(withKwargs(Map.of()), new WeightProcessing(true, true, true, true)))
                .as("no kwargs, no claim").isEmpty();
        assertThat(ModelMismatch.describe(withKwargs(Map.of("refactor_factored_attn_matrices", true)),
                WeightProcessing.none()).orElseThrow()).contains("does not implement");
    }

    @Test
    void prependBosDisagreeingWithTheModelNamesTheOptionToSet() {
        SaeConfig trainedWithBos = withKwargs(Map.of()).withMetadata(Map.of("prepend_bos", true));
        assertThat(ModelMismatch.trainedPrependBos(trainedWithBos)).contains(true);
        assertThat(ModelMismatch.describePrependBos(trainedWithBos, true)).isEmpty();
        assertThat(ModelMismatch.describePrependBos(trainedWithBos, false).orElseThrow())
                .contains("prepend_bos=true", "without a BOS token first", "LoadOptions.defaults().withPrependBos(true)",
                        "InferenceOptions.defaults().withPrependBos(true)", "put the BOS token id first");
        SaeConfig trainedWithout = withKwargs(Map.of()).withMetadata(Map.of("prepend_bos", false));
        assertThat(ModelMismatch.describePrependBos(trainedWithout, true).orElseThrow())
                .contains("withPrependBos(false)", "drop the BOS token");
        assertThat(ModelMismatch.describePrependBos(withKwargs(Map.of()), false)).as("the SAE does not say").isEmpty();
        assertThat(ModelMismatch.trainedPrependBos(withKwargs(Map.of()))).isEmpty();
    }

    @Test
    void anAttachedSaeMakesTheModelFollowItsPrependBosUnlessTheModelSetsOne() throws IOException {
        Path dir = WordTokenizers.gpt2ModelWith(tmp.resolve("model"));
        SaeConfig config = trainedWithBos();
        try (LanguageModel lm = LanguageModel.load(dir);
             LanguageModel without = LanguageModel.load(dir, LoadOptions.defaults().withPrependBos(false));
             TopKSae sae = new TopKSae(config, 1)) {
            try (SaeHook hook = new SaeHook(sae).onModelMismatch(ModelMismatch.REFUSE).attachTo(lm, LAYER)) {
                assertThat(hook.prependBos()).contains(true);
                assertThat(lm.inference().prependBos(InferenceOptions.defaults())).as("followed, so no mismatch")
                        .contains(true);
                try (InferenceResult r = lm.inference().executeInference(List.of("the cat sat"))) {
                    assertThat(r.encodings().inputIds()[0]).containsExactly(GPT2_BOS, 10, 11, 12);
                }
            }
            assertThat(lm.inference().prependBos(InferenceOptions.defaults())).as("detached").isEmpty();
            assertThatThrownBy(() -> new SaeHook(sae).onModelMismatch(ModelMismatch.REFUSE).attachTo(without, LAYER))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("LoadOptions.defaults().withPrependBos(true)");
            try (SaeHook warned = SaeHook.attach(without, sae, LAYER)) {
                assertThat(without.inference().prependBos(InferenceOptions.defaults())).as("the model's own setting")
                        .contains(false);
            }
        }
    }

    @Test
    void anSaeAskingForABosTheTokenizerLacksIsReportedAndPassedOver() throws IOException {
        Path dir = WordTokenizers.gpt2ModelWith(tmp.resolve("model"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|endoftext|>\"}");
        try (LanguageModel lm = LanguageModel.load(dir);
             TopKSae sae = new TopKSae(trainedWithBos(), 1)) {
            assertThatThrownBy(() -> new SaeHook(sae).onModelMismatch(ModelMismatch.REFUSE).attachTo(lm, LAYER))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no BOS token");
            try (SaeHook warned = SaeHook.attach(lm, sae, LAYER);
                 InferenceResult r = lm.inference().executeInference(List.of("the cat"))) {
                assertThat(r.encodings().inputIds()[0]).containsExactly(10, 11);
            }
        }
    }

    @Test
    void aSpliceFollowsNothingSoTheModelMustPrependItself() throws IOException {
        Path dir = WordTokenizers.gpt2ModelWith(tmp.resolve("model"));
        try (LanguageModel lm = LanguageModel.load(dir);
             LanguageModel withBos = LanguageModel.load(dir, LoadOptions.defaults().withPrependBos(true));
             TopKSae sae = new TopKSae(trainedWithBos(), 1)) {
            ConceptManipulations none = new ConceptManipulations(sae.dSae());
            assertThatThrownBy(() -> SaeHook.splice(lm, LAYER, sae, SaeMode.STEER, none, ModelMismatch.REFUSE))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("without a BOS token first")
                    .hasMessageContaining("LoadOptions.defaults().withPrependBos(true)");
            assertThat(SaeHook.splice(withBos, LAYER, sae, SaeMode.STEER, none, ModelMismatch.REFUSE)).isNotNull();
        }
    }

    @Test
    void topTextsLeaveTheBosOutAndLineUpWithTheText() throws IOException {
        Path dir = WordTokenizers.gpt2ModelWith(tmp.resolve("model"));
        List<String> words = List.of("the", "cat", "sat", "on", "a", "mat");
        try (LanguageModel lm = LanguageModel.load(dir);
             TopKSae sae = new TopKSae(trainedWithBos(), 1);
             SaeHook hook = SaeHook.attach(lm, sae, LAYER)) {
            assertThat(hook.concepts().isTextTrackingEnabled()).isFalse();
            hook.concepts().enableTextTracking(3);
            assertThat(hook.concepts().isTextTrackingEnabled()).isTrue();
            lm.inference().executeInference(List.of(String.join(" ", words))).close();
            TokenLatents latents = hook.concepts().lastLatents().orElseThrow();
            assertThat(latents.tokenIds(0)[0]).isEqualTo(GPT2_BOS);
            assertThat(latents.counted(0, 0)).as("the BOS is special").isFalse();
            assertThat(latents.counted(0, 1)).isTrue();
            int contexts = 0;
            for (int latent = 0; latent < sae.dSae(); latent++) {
                for (LatentContext c : hook.concepts().topTexts(latent)) {
                    assertThat(c.token()).isEqualTo(words.get(c.position()));
                    assertThat(c.window().get(c.position() - c.windowStart())).isEqualTo(c.token());
                    contexts++;
                }
            }
            assertThat(contexts).as("k latents fire on each of the 6 words").isGreaterThan(0);
            hook.concepts().disableTextTracking();
            assertThat(hook.concepts().isTextTrackingEnabled()).isFalse();
            assertThatThrownBy(() -> hook.concepts().topTexts(0)).hasMessageContaining("text tracking is off");
        }
    }

    private static SaeConfig trainedWithBos() {
        return SaeConfig.of(io.microw.sae.SaeArchitecture.TOPK, 64, 32, 4).withSource("gpt2", LAYER)
                .withMetadata(Map.of("prepend_bos", true));
    }

    @Test
    void attachAndSpliceRefuseOnlyAMismatchWhenStrict() {
        SaeConfig config = withKwargs(Map.of("center_writing_weights", true));
        try (Fixture fixture = Fixture.open("gpt2");
             LanguageModel plain = LanguageModel.load(fixture.modelDir());
             LanguageModel centred = LanguageModel.load(fixture.modelDir(),
                     LoadOptions.defaults().withCenterWritingWeights(true));
             TopKSae sae = new TopKSae(config, 1)) {
            assertThatThrownBy(() -> new SaeHook(sae).onModelMismatch(ModelMismatch.REFUSE).attachTo(plain, LAYER))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("withCenterWritingWeights(true)");
            assertThat(plain.layers().allHooks()).isEmpty();
            assertThatThrownBy(() -> SaeHook.splice(plain, LAYER, sae, SaeMode.STEER,
                    new ConceptManipulations(sae.dSae()), ModelMismatch.REFUSE))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("withCenterWritingWeights(true)");
            try (SaeHook warned = SaeHook.attach(plain, sae, LAYER)) {
                assertThat(warned.attachedLayer()).as("a warning still attaches").isPresent();
            }
            try (SaeHook strict = new SaeHook(sae).onModelMismatch(ModelMismatch.REFUSE).attachTo(centred, LAYER)) {
                assertThat(strict.attachedLayer()).isPresent();
            }
        }
    }

    private static SaeConfig withKwargs(Map<String, Object> kwargs) {
        return SaeConfig.of(io.microw.sae.SaeArchitecture.TOPK, 64, 32, 4).withSource("gpt2", LAYER)
                .withMetadata(Map.of("model_from_pretrained_kwargs", kwargs));
    }
}
