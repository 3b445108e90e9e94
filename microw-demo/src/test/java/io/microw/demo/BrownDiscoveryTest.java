package io.microw.demo;

import io.microw.concepts.ConceptDictionary;
import io.microw.concepts.LabelledDiscovery;
import io.microw.concepts.LabelledDiscovery.LatentScore;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.train.ModelActivationSource;
import io.microw.sae.train.SaeTrainer;
import io.microw.sae.train.SaeTrainingConfig;
import io.microw.tokenizer.PaddingSide;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** BrownDiscovery on brown-gpt2 with a tiny TopK SAE (d_sae 512, k 8) trained here on 300 sentences. */
class BrownDiscoveryTest {

    private static final String LAYER = "transformer.h.2";

    private static LanguageModel lm;
    private static BrownCorpus corpus;
    private static Sae sae;

    @BeforeAll
    static void train() {
        lm = BrownGpt2.load();
        corpus = BrownCorpus.load();
        List<String> texts = corpus.sentences(BrownCorpus.Split.TRAIN).subList(0, 300).stream()
                .map(BrownCorpus.Sentence::text).toList();
        sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 256, 512, 8), 5);
        ModelActivationSource source = ModelActivationSource.builder(lm, texts, List.of(LAYER)).textBatchSize(32)
                .build();
        SaeTrainingConfig config = SaeTrainingConfig.builder().batchSize(256).epochs(1).lr(1e-3).initSampleRows(256)
                .threads(1).seed(5).build();
        new SaeTrainer(sae, config).train(source.layer(LAYER));
    }

    @AfterAll
    static void close() {
        if (sae != null) {
            sae.close();
        }
        if (lm != null) {
            lm.close();
        }
    }

    @Test
    void alignsTokensToWordsAndTags() {
        BrownCorpus.Sentence s = corpus.documents().get(0).sentences().get(0);
        String[] tokens = lm.tokenizer().encodeBatch(List.of(s.text()), 256, true, PaddingSide.RIGHT).tokens()[0];
        BrownDiscovery.Alignment al = BrownDiscovery.align(s.text(), s.words(), tokens);
        List<String> got = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            int w = al.wordOfToken()[i];
            got.add(tokens[i] + "=" + s.words().get(w) + "/" + s.tags().get(w));
        }
        // checked by hand against the text: The Fulton County Grand Jury said Friday an investigation of Atlanta's
        // recent primary election produced "no evidence" that any irregularities took place.
        assertThat(got).containsExactly("The=The/at", "ĠF=Fulton/np-tl", "ult=Fulton/np-tl", "on=Fulton/np-tl",
                "ĠCounty=County/nn-tl", "ĠGr=Grand/jj-tl", "and=Grand/jj-tl", "ĠJ=Jury/nn-tl", "ury=Jury/nn-tl",
                "Ġsaid=said/vbd", "ĠFr=Friday/nr", "iday=Friday/nr", "Ġan=an/at", "Ġinvestig=investigation/nn",
                "ation=investigation/nn", "Ġof=of/in", "ĠAt=Atlanta's/np$", "l=Atlanta's/np$", "ant=Atlanta's/np$",
                "a=Atlanta's/np$", "'s=Atlanta's/np$", "Ġrecent=recent/jj", "Ġprimary=primary/nn",
                "Ġele=election/nn", "ction=election/nn", "Ġproduced=produced/vbd", "Ġ\"=``/``", "n=no/at", "o=no/at",
                "Ġevidence=evidence/nn", "\"=''/''", "Ġthat=that/cs", "Ġany=any/dti", "Ġir=irregularities/nns",
                "reg=irregularities/nns", "ular=irregularities/nns", "ities=irregularities/nns", "Ġtook=took/vbd",
                "Ġplace=place/nn", ".=./.");
        assertThat(al.outsideWords()).isZero();
        assertThat(al.spanningWords()).isZero();
        // a token covering two words is labelled by the first; a whitespace-only token by none
        BrownDiscovery.Alignment two = BrownDiscovery.align("He left.\"  Then", List.of("He", "left", ".", "''",
                "Then"), new String[] {"He", "Ġleft", ".\"", "Ġ", "ĠThen"});
        assertThat(two.wordOfToken()).containsExactly(0, 1, 2, -1, 4);
        assertThat(two.spanningWords()).isEqualTo(1);
        assertThat(two.outsideWords()).isEqualTo(1);
        // tokens that do not spell the text
        assertThat(BrownDiscovery.align("He left", List.of("He", "left"), new String[] {"He", "Ġright"})).isNull();
    }

    @Test
    void runsAndScoresConsistently(@TempDir Path dir) {
        BrownDiscovery.Result r = new BrownDiscovery(lm, sae, LAYER).batchSize(16)
                .run(corpus, BrownCorpus.Split.VALIDATION, 200);
        LabelledDiscovery d = r.discovery();
        BrownDiscovery.Stats st = r.stats();
        assertThat(st.sentences()).isEqualTo(200);
        assertThat(st.sentencesSkipped()).isZero();
        assertThat(st.tokens()).isEqualTo(d.tokens()).isGreaterThan(3000);
        // every token has exactly one genre; every token inside a word has one tag (ALL mode)
        long genreTokens = d.labels(BrownDiscovery.GENRE).stream().mapToLong(d::labelCount).sum();
        long tagTokens = d.labels(BrownDiscovery.POS).stream().mapToLong(d::labelCount).sum();
        assertThat(genreTokens).isEqualTo(d.tokens());
        assertThat(tagTokens).isEqualTo(d.tokens() - st.tokensOutsideWords());
        assertThat(d.labels(BrownDiscovery.GENRE)).contains("genre:press_reportage");
        assertThat(d.labels(BrownDiscovery.POS)).contains("pos:nn", "pos:at", "pos:in");

        for (String label : d.labels()) {
            LatentScore best = d.bestLatent(label);
            List<LatentScore> all = d.topLatents(label, sae.dSae());
            assertThat(all).hasSize(512);
            double max = 0;
            for (LatentScore s : all) {
                boolean inRange = s.f1() >= 0 && s.f1() <= 1 && s.precision() >= 0 && s.precision() <= 1
                        && s.recall() >= 0 && s.recall() <= 1;
                assertThat(inRange).as("%s latent %d: %s", label, s.latent(), s).isTrue();
                max = Math.max(max, s.f1());
            }
            assertThat(best.f1()).as(label).isEqualTo(max);
            assertThat(all.get(0).f1()).isEqualTo(max);
        }
        // the most frequent tag has a latent that is clearly better than chance on 200 sentences
        BrownDiscovery.Report report = r.report(0.5, 10);
        assertThat(report.topTags()).hasSize(10);
        assertThat(report.topTags().get(0).labelled()).isGreaterThanOrEqualTo(report.topTags().get(9).labelled());
        assertThat(report.topTags().get(0).f1()).isGreaterThan(0.2);
        assertThat(report.tagsAtLeastMinF1()).allSatisfy(s -> assertThat(s.f1()).isGreaterThanOrEqualTo(0.5));
        assertThat(report.toText()).contains("POS tags with a latent of F1 >= 0.50").contains("pos:nn");

        ConceptDictionary dict = ConceptDictionary.forLatents(sae.dSae());
        List<ConceptDictionary.Concept> named = d.proposeNames(dict, 0.3);
        assertThat(named).isNotEmpty().allSatisfy(c -> assertThat(c.score()).isGreaterThanOrEqualTo(0.3));
        dict.save(dir.resolve("concepts.json"));
        assertThat(ConceptDictionary.load(dir.resolve("concepts.json"), sae.dSae()).concepts())
                .isEqualTo(dict.concepts());
    }

    @Test
    void firstTokenModeTagsOneTokenPerWord() {
        BrownDiscovery.Result all = new BrownDiscovery(lm, sae, LAYER).run(corpus, BrownCorpus.Split.VALIDATION, 40);
        BrownDiscovery.Result first = new BrownDiscovery(lm, sae, LAYER).wordTokens(BrownDiscovery.WordTokens.FIRST)
                .run(corpus, BrownCorpus.Split.VALIDATION, 40);
        LabelledDiscovery a = all.discovery();
        LabelledDiscovery f = first.discovery();
        assertThat(f.tokens()).isEqualTo(a.tokens());
        long tagged = f.labels(BrownDiscovery.POS).stream().mapToLong(f::labelCount).sum();
        assertThat(tagged).isEqualTo(first.stats().words());
        assertThat(first.stats().multiTokenWords()).isGreaterThan(0);
        assertThat(a.labelCount("genre:press_reportage")).isEqualTo(f.labelCount("genre:press_reportage"));
        assertThatThrownBy(() -> new BrownDiscovery(lm, sae, "no.such.layer")).hasMessageContaining("no.such.layer");
    }
}
