package io.microw.demo;

import io.microw.concepts.LabelledDiscovery.LatentScore;
import io.microw.concepts.SaeHook;
import io.microw.concepts.TokenLatents;
import io.microw.lm.GenerationConfig;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Steering with a discovered concept on brown-gpt2: a TopK SAE trained on {@code transformer.h.2} (1,024 latents,
 * k 16; test resource), Brown POS discovery on validation sentences finds the latent that fires on cardinal numbers
 * (tag {@code cd}), and pinning it at twice its largest activation makes greedy continuations of neutral prompts use
 * number words (words whose commonest Brown tag is {@code cd}) where the unsteered model uses none or few; scaling it
 * to zero silences it in the codes that are decoded. (Latents for articles or commas, by contrast, mark the current
 * token: pinning them makes the model continue as after an article or comma, so those words get rarer.)
 */
class BrownSteeringTest {

    private static final String LAYER = "transformer.h.2";
    private static final List<String> PROMPTS = List.of("He said that", "It was", "They went to", "She looked at",
            "We found", "After that", "In the morning", "The man told", "I think", "There is", "This is the",
            "One of the", "When he", "Then", "For the first time", "As a result");

    private static LanguageModel lm;
    private static Sae sae;
    private static BrownCorpus corpus;

    @BeforeAll
    static void load() throws URISyntaxException {
        lm = BrownGpt2.load();
        sae = Sae.load(Path.of(BrownSteeringTest.class.getResource("sae-h2-topk1024/cfg.json").toURI()).getParent());
        corpus = BrownCorpus.load();
    }

    @AfterAll
    static void close() {
        sae.close();
        lm.close();
    }

    @Test
    void amplifyingTheNumberLatentPutsNumbersIntoContinuations() {
        List<String> sentences = corpus.sentences(BrownCorpus.Split.VALIDATION).subList(0, 300).stream()
                .map(BrownCorpus.Sentence::text).toList();
        LatentScore numbers = new BrownDiscovery(lm, sae, LAYER).run(corpus, BrownCorpus.Split.VALIDATION, 300)
                .discovery().bestLatent(BrownDiscovery.POS + "cd");
        assertThat(numbers.f1()).as("discovery finds a number latent: %s", numbers.describe()).isGreaterThan(0.5);
        Set<String> numberWords = corpus.wordsMostlyTagged("cd");

        try (SaeHook hook = SaeHook.attach(lm, sae, LAYER)) {
            hook.concepts().enableTextTracking(1);
            for (int i = 0; i < sentences.size(); i += 30) {
                lm.inference().executeInference(sentences.subList(i, i + 30)).close();
            }
            float peak = hook.concepts().statistics().maxActivation(numbers.latent());
            assertThat(peak).as("the number latent fires on the validation sentences").isPositive();
            hook.concepts().disableTextTracking();
            double baseline = WordShare.of(continuations(), numberWords);
            hook.concepts().clampConcept(numbers.latent(), 2 * peak);
            double steered = WordShare.of(continuations(), numberWords);
            assertThat(steered).as("number words steered %.3f vs baseline %.3f", steered, baseline)
                    .isGreaterThan(baseline + 0.1);

            hook.concepts().resetManipulations();
            hook.concepts().manipulateConcept(numbers.latent(), 0.0);
            lm.inference().executeInference(List.of("He paid 25 dollars for two books and 3 pens in 1961")).close();
            TokenLatents actual = hook.concepts().lastLatents().orElseThrow();
            TokenLatents decoded = hook.concepts().lastEditedLatents().orElseThrow();
            float fired = 0;
            for (int s = 0; s < actual.seqLength(); s++) {
                fired = Math.max(fired, actual.value(0, s, numbers.latent()));
                assertThat(decoded.value(0, s, numbers.latent())).isZero();
            }
            assertThat(fired).as("the latent fires on this text before the edit").isPositive();
        }
    }

    private static List<String> continuations() {
        return lm.inference().generate(PROMPTS, GenerationConfig.greedy(24)).completions();
    }
}
