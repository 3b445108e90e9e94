package io.microw.demo;

import io.microw.concepts.ConceptDictionary;
import io.microw.concepts.LabelledDiscovery;
import io.microw.io.hub.PretrainedOptions;
import io.microw.lm.LanguageModel;
import io.microw.sae.PretrainedSaes;
import io.microw.sae.Sae;
import io.microw.sae.SaeRelease;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The concept dictionary shipped with the embedded SAE ({@code sae-h2-topk1024/concepts.json}): it comes with
 * {@code Sae.fromPretrained}, every name is a label the Brown discovery recipe gives ({@link BrownDiscovery} over the
 * whole validation split, names of F1 >= 0.5: {@code microw concepts discover --sae brown-gpt2-res:blocks.2.hook_resid_post
 * --brown validation --min-f1 0.5 --out concepts.json}), and the named latents fire on their concept when the recipe
 * is rerun on the split's first sentences.
 */
class BrownSaeConceptsTest {

    /** Sentences of the validation split the recipe is rerun on (the shipped file used all 5,562). */
    private static final int SENTENCES = 300;
    /** A label needs this many tokens among them for its F1 there to say something. */
    private static final long MIN_TOKENS = 30;
    /** How far below the shipped F1 (over the whole split) the F1 over the first sentences may fall, per latent. */
    private static final double TOLERANCE = 0.3;
    /** ... and on average over the latents checked. */
    private static final double MEAN_TOLERANCE = 0.1;
    /** A named latent's precision must exceed its label's share of the tokens this many times. */
    private static final double PRECISION_LIFT = 5;

    @TempDir
    Path home;

    @Test
    void theEmbeddedReleaseComesWithNamesTheRecipeGivesAndTheNamedLatentsFireOnThem() {
        PretrainedOptions options = PretrainedOptions.defaults()
                .withEnvironment(Map.of("MICROW_HOME", home.toString())).withOffline(true)
                .withCacheDir(home.resolve("hub"));
        try (Sae sae = Sae.fromPretrained(BrownGpt2.SAE_RELEASE, BrownGpt2.SAE_ID, options);
             LanguageModel lm = BrownGpt2.load()) {
            SaeRelease release = PretrainedSaes.defaults().release(BrownGpt2.SAE_RELEASE);
            assertThat(PretrainedSaes.defaults().shipsConcepts(release, release.sae(BrownGpt2.SAE_ID))).isTrue();
            ConceptDictionary shipped = ConceptDictionary.ofPretrained(sae).orElseThrow();
            assertThat(shipped.dSae()).isEqualTo(sae.dSae());
            assertThat(shipped.size()).isGreaterThanOrEqualTo(20);
            assertThat(shipped.concepts()).allSatisfy(c -> {
                assertThat(c.name()).matches("(pos|genre):.+");
                assertThat(c.source()).isEqualTo(LabelledDiscovery.SOURCE);
                assertThat(c.score()).isBetween(0.5, 1.0);
            });

            LabelledDiscovery rerun = new BrownDiscovery(lm, sae, sae.pretrained().orElseThrow().hookName())
                    .run(BrownCorpus.load(), BrownCorpus.Split.VALIDATION, SENTENCES).discovery();
            List<ConceptDictionary.Concept> checkable = shipped.concepts().stream()
                    .filter(c -> rerun.labelCount(c.name()) >= MIN_TOKENS).toList();
            assertThat(checkable).hasSizeGreaterThanOrEqualTo(shipped.size() / 2);
            double shortfall = 0;
            StringBuilder seen = new StringBuilder();
            for (ConceptDictionary.Concept c : checkable) {
                LabelledDiscovery.LatentScore s = rerun.score(c.latent(), c.name());
                double baseRate = (double) s.labelled() / rerun.tokens();
                seen.append(String.format(java.util.Locale.ROOT, "%n  latent %d named %s (%.3f): %s", c.latent(),
                        c.name(), c.score(), s.describe()));
                assertThat(s.precision()).as("latent %d named %s: %s", c.latent(), c.name(), s.describe())
                        .isGreaterThan(PRECISION_LIFT * baseRate);
                assertThat(s.f1()).as("latent %d named %s (%.3f): %s", c.latent(), c.name(), c.score(), s.describe())
                        .isGreaterThanOrEqualTo(c.score() - TOLERANCE);
                shortfall += c.score() - s.f1();
            }
            assertThat(shortfall / checkable.size()).as("mean shortfall of F1 below the shipped score:" + seen)
                    .isLessThan(MEAN_TOLERANCE);
        }
    }
}
