package io.microw.lm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.hooks.LayerActivationDetector;
import io.microw.store.LocalStore;
import io.microw.store.Store;
import io.microw.testing.WordTokenizers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static io.microw.testing.WordTokenizers.GPT2_BOS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * TransformerLens' {@code prepend_bos} on the model (the gpt2 fixture with a GPT-2 style tokenizer, whose BOS is
 * {@code <|endoftext|>}): {@link LoadOptions#withPrependBos}, {@link InferenceOptions#withPrependBos} and hooks that
 * ask for it decide whether texts start with the BOS token in executeInference, run, generate and saved runs; the
 * values are those of a forward on the token ids with the BOS id written first by hand.
 */
class PrependBosTest {

    private static final String LAYER = "blocks.1.hook_resid_post";
    private static final long[] WITH_BOS = {GPT2_BOS, 10, 11, 12};

    @TempDir
    Path tmp;
    private Path dir;

    @BeforeEach
    void model() throws IOException {
        dir = WordTokenizers.gpt2ModelWith(tmp.resolve("model"));
    }

    @Test
    void activationsAreThoseOfAForwardOnTheBosIdAndTheTextsIds() {
        try (LanguageModel lm = LanguageModel.load(dir, LoadOptions.defaults().withPrependBos(true));
             RunResult texts = lm.inference().run(List.of("the cat sat"), Interventions.capture(LAYER));
             RunResult manual = lm.inference().runWithCache(new long[][] {WITH_BOS}, null, LAYER);
             RunResult plain = lm.inference().runWithCache(new long[][] {{10, 11, 12}}, null, LAYER);
             InferenceResult inference = lm.inference().executeInference(List.of("the cat sat"))) {
            assertThat(texts.encodings().inputIds()[0]).containsExactly(WITH_BOS);
            assertThat(inference.encodings().inputIds()[0]).containsExactly(WITH_BOS);
            float[] got = texts.cache().get(LAYER).toFloatArray();
            float[] want = manual.cache().get(LAYER).toFloatArray();
            assertThat(got).hasSize(4 * 64).containsExactly(want, within(1e-6f));
            assertThat(inference.output().toFloatArray()).containsExactly(manual.logits().toFloatArray(), within(1e-5f));
            float[] without = plain.cache().get(LAYER).toFloatArray();
            assertThat(got[64 + 5]).as("the BOS changes the text's activations")
                    .isNotCloseTo(without[5], within(1e-3f));
        }
    }

    @Test
    void theCallsOptionOverridesTheModels() {
        try (LanguageModel lm = LanguageModel.load(dir, LoadOptions.defaults().withPrependBos(true));
             LanguageModel plain = LanguageModel.load(dir)) {
            InferenceOptions off = InferenceOptions.defaults().withPrependBos(false);
            assertThat(lm.inference().tokenize(List.of("the cat sat"), off).inputIds()[0]).containsExactly(10, 11, 12);
            assertThat(plain.inference().prependBos(InferenceOptions.defaults())).isEmpty();
            assertThat(plain.inference().tokenize(List.of("the cat sat"), InferenceOptions.defaults()).inputIds()[0])
                    .containsExactly(10, 11, 12);
            InferenceOptions on = InferenceOptions.defaults().withPrependBos(true);
            assertThat(plain.inference().tokenize(List.of("the cat sat"), on).inputIds()[0]).containsExactly(WITH_BOS);
        }
    }

    @Test
    void generationFromTextStartsWithTheBos() {
        try (LanguageModel lm = LanguageModel.load(dir, LoadOptions.defaults().withPrependBos(true))) {
            GenerationResult fromText = lm.inference().generate(List.of("the cat sat"), GenerationConfig.greedy(2));
            GenerationResult fromIds = lm.inference().generate(new long[][] {WITH_BOS}, GenerationConfig.greedy(2));
            assertThat(fromText.sequences()[0]).startsWith(WITH_BOS).containsExactly(fromIds.sequences()[0]);
        }
    }

    @Test
    void enabledHooksAskingForTheBosAreFollowedUnlessTheyDisagree() {
        try (LanguageModel lm = LanguageModel.load(dir)) {
            LayerActivationDetector wantsBos = asking(LAYER, true);
            lm.layers().registerHook(LAYER, wantsBos);
            assertThat(lm.inference().prependBos(InferenceOptions.defaults())).contains(true);
            try (InferenceResult r = lm.inference().executeInference(List.of("the cat sat"))) {
                assertThat(r.encodings().inputIds()[0]).containsExactly(WITH_BOS);
            }
            assertThat(lm.inference().prependBos(InferenceOptions.defaults().withHooks(false)))
                    .as("a call that runs no hook").isEmpty();
            LayerActivationDetector wantsNone = asking("blocks.0.hook_resid_post", false);
            lm.layers().registerHook("blocks.0.hook_resid_post", wantsNone);
            assertThatThrownBy(() -> lm.inference().executeInference(List.of("the cat")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(wantsBos.id()).hasMessageContaining(wantsNone.id())
                    .hasMessageContaining("InferenceOptions.defaults().withPrependBos(");
            assertThat(lm.inference().prependBos(InferenceOptions.defaults().withPrependBos(false))).contains(false);
            lm.layers().disableHook(wantsBos.id());
            assertThat(lm.inference().prependBos(InferenceOptions.defaults())).contains(false);
            lm.layers().unregisterHook(wantsNone.id());
            assertThat(lm.inference().prependBos(InferenceOptions.defaults())).as("only disabled ones left").isEmpty();
        }
        try (LanguageModel lm = LanguageModel.load(dir, LoadOptions.defaults().withPrependBos(false))) {
            lm.layers().registerHook(LAYER, asking(LAYER, true));
            assertThat(lm.inference().prependBos(InferenceOptions.defaults())).as("set on the model").contains(false);
        }
    }

    @Test
    void aSavedRunHoldsTheBosMarkedSpecialAndRecordsTheSetting() {
        LocalStore store = new LocalStore(tmp.resolve("store"));
        try (LanguageModel lm = LanguageModel.load(dir, LoadOptions.defaults().withPrependBos(true));
             LanguageModel plain = LanguageModel.load(dir);
             RunResult manual = lm.inference().runWithCache(new long[][] {WITH_BOS}, null, LAYER)) {
            String run = lm.activations().saveActivations(List.of("the cat sat", "a dog"), List.of(LAYER),
                    SaveOptions.into(store).withRunName("bos"));
            assertThat(store.readTensor(run, 0, Store.INPUT_IDS, Store.INPUT_IDS).requireLongs())
                    .containsExactly(GPT2_BOS, 10, 11, 12, GPT2_BOS, 14, 16, GPT2_BOS);
            assertThat(store.readTensor(run, 0, Store.SPECIAL_TOKENS_MASK, Store.SPECIAL_TOKENS_MASK).requireLongs())
                    .containsExactly(1, 0, 0, 0, 1, 0, 0, 1);
            float[] saved = store.readTensor(run, 0, Activations.dirName(lm.layers().resolve(LAYER)), Store.ACTIVATIONS)
                    .requireFloats();
            float[] want = manual.cache().get(LAYER).toFloatArray();
            assertThat(java.util.Arrays.copyOf(saved, want.length)).containsExactly(want, within(1e-5f));
            ObjectNode options = (ObjectNode) store.runMetadata(run).get("options");
            assertThat(options.get("prepend_bos").asBoolean(false)).isTrue();
            String unset = plain.activations().saveActivations(List.of("the cat"), List.of(LAYER),
                    SaveOptions.into(store).withRunName("plain"));
            assertThat(store.runMetadata(unset).get("options").has("prepend_bos")).isFalse();
        }
    }

    /** A detector for {@code layer} that asks for {@code prependBos}. */
    private static LayerActivationDetector asking(String layer, boolean prependBos) {
        return new LayerActivationDetector(layer) {
            @Override
            public Optional<Boolean> prependBos() {
                return Optional.of(prependBos);
            }
        };
    }
}
