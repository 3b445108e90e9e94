package io.microw.demo;

import io.microw.data.ClassificationDataset;
import io.microw.data.Row;
import io.microw.data.TextDataset;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BrownCorpusTest {

    private final BrownCorpus brown = BrownCorpus.load();

    @Test
    void theCountsAreThePublishedOnes() {
        assertThat(brown.documents()).hasSize(500);
        assertThat(brown.sentences()).hasSize(57_340);
        assertThat(brown.words().count()).isEqualTo(1_161_192L);
        assertThat(brown.genres()).hasSize(15).startsWith("press_reportage", "press_editorial", "press_reviews")
                .contains("humor", "fiction_romance", "learned");
    }

    @Test
    void theSplitIsTheDemoModels() {
        List<BrownCorpus.Document> validation = brown.documents(BrownCorpus.Split.VALIDATION);
        assertThat(validation).hasSize(50).allMatch(d -> d.index() % 10 == 0);
        assertThat(validation.get(0).id()).isEqualTo("ca01");
        assertThat(validation.get(1).id()).isEqualTo("ca11");
        assertThat(brown.documents(BrownCorpus.Split.TRAIN)).hasSize(450);
        assertThat(brown.sentences(BrownCorpus.Split.TRAIN).size() + brown.sentences(BrownCorpus.Split.VALIDATION)
                .size()).isEqualTo(57_340);
    }

    @Test
    void documentsHaveIdsGenresAndTaggedSentences() {
        BrownCorpus.Document first = brown.documents().get(0);
        assertThat(first.id()).isEqualTo("ca01");
        assertThat(first.genre()).isEqualTo("press_reportage");
        BrownCorpus.Sentence s = first.sentences().get(0);
        assertThat(s.words()).hasSameSizeAs(s.tags()).startsWith("The", "Fulton");
        assertThat(s.taggedWords().get(0)).isEqualTo(new BrownCorpus.Word("The", "at"));
        assertThat(s.text()).startsWith("The Fulton County Grand Jury said Friday");
        assertThat(first.text()).startsWith(s.text() + " ");
        assertThat(brown.documents()).allMatch(d -> d.sentences().stream()
                .allMatch(x -> x.words().size() == x.tags().size()));
        assertThat(BrownCorpus.load()).isSameAs(brown);
    }

    @Test
    void documentsAndSentencesAreTextDatasets() {
        TextDataset docs = brown.documentDataset();
        assertThat(docs.length()).hasValue(500);
        assertThat(docs.iterBatches(64).next().get(0)).isEqualTo(brown.documents().get(0).text());
        assertThat(brown.documentDataset(BrownCorpus.Split.VALIDATION).length()).hasValue(50);
        assertThat(brown.documentDataset(BrownCorpus.Split.TRAIN).describe()).contains("train");
        assertThat(brown.sentenceDataset().length()).hasValue(57_340);
        TextDataset valSentences = brown.sentenceDataset(BrownCorpus.Split.VALIDATION);
        assertThat(valSentences.length()).hasValue(brown.sentences(BrownCorpus.Split.VALIDATION).size());
    }

    @Test
    void genresAreAClassificationDataset() {
        ClassificationDataset byGenre = brown.genreDataset();
        assertThat(byGenre.labels()).isEqualTo(brown.genres());
        assertThat(byGenre.length()).hasValue(500);
        List<Row> rows = new ArrayList<>();
        byGenre.iterLabeledBatches(100).forEachRemaining(rows::addAll);
        assertThat(rows.get(0).label()).isEqualTo("press_reportage");
        assertThat(rows.get(0).origin()).isEqualTo("ca01");
        assertThat(rows.stream().map(Row::label).distinct()).hasSize(15);
        ClassificationDataset val = brown.genreDataset(BrownCorpus.Split.VALIDATION);
        assertThat(val.length()).hasValue(50);
        assertThat(val.labels()).hasSize(15);
    }
}
