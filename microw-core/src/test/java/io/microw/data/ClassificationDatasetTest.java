package io.microw.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.microw.data.DataFiles.all;
import static io.microw.data.DataFiles.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClassificationDatasetTest {

    @TempDir
    Path dir;

    private Path reviews() {
        return write(dir, "r.csv", "review,stars\ngreat,good\nawful,bad\n\"fine, ok\",meh\nlovely,good\n");
    }

    private static final DatasetOptions COLUMNS = DatasetOptions.defaults().withTextColumn("review")
            .withLabelColumn("stars");

    @Test
    void labelsAreFoundAndSorted() {
        ClassificationDataset data = Datasets.classificationFromFile(reviews(), COLUMNS);
        assertThat(data.labels()).containsExactly("bad", "good", "meh");
        assertThat(data.labelIndex("meh")).isEqualTo(2);
        assertThat(all(data)).containsExactly("great", "awful", "fine, ok", "lovely");
        List<Row> rows = data.iterLabeledBatches(10).next();
        assertThat(rows).extracting(Row::label).containsExactly("good", "bad", "meh", "good");
        assertThat(rows.get(2).origin()).endsWith("r.csv:4");
        assertThat(data.filterRows(r -> r.label().equals("good")).length()).hasValue(2);
        assertThat(data.shuffled(5).labels()).isEqualTo(data.labels());
        assertThat(data.describe()).contains("label column 'stars'");
        assertThatThrownBy(() -> data.labelIndex("great")).hasMessageContaining("[bad, good, meh]");
    }

    @Test
    void aGivenLabelSetIsEnforced() {
        DatasetOptions options = COLUMNS.withLabels(List.of("good", "bad"));
        assertThatThrownBy(() -> Datasets.classificationFromFile(reviews(), options))
                .isInstanceOf(BadRowException.class).hasMessageContaining("r.csv:4")
                .hasMessageContaining("'meh' is not in the label set [good, bad]");
        ClassificationDataset lenient = Datasets.classificationFromFile(reviews(), options.withLenient(true));
        assertThat(lenient.labels()).containsExactly("good", "bad");
        assertThat(lenient.length()).hasValue(3);
        assertThat(lenient.skippedRows()).isEqualTo(1);
    }

    @Test
    void streamingNeedsTheLabelSet() {
        DatasetOptions streaming = COLUMNS.withStrategy(LoadingStrategy.STREAMING);
        assertThatThrownBy(() -> Datasets.classificationFromFile(reviews(), streaming))
                .hasMessageContaining("withLabels");
        ClassificationDataset data = Datasets.classificationFromFile(reviews(),
                streaming.withLabels(List.of("bad", "good", "meh")));
        assertThat(data.length()).isEmpty();
        List<String> labels = new ArrayList<>();
        data.limit(3).iterLabeledBatches(2).forEachRemaining(b -> b.forEach(r -> labels.add(r.label())));
        assertThat(labels).containsExactly("good", "bad", "meh");
    }

    @Test
    void aMissingLabelColumnAndTextOnlyFormatsAreErrors() {
        assertThatThrownBy(() -> Datasets.classificationFromFile(reviews(), COLUMNS.withLabelColumn("label")))
                .isInstanceOf(DatasetException.class).hasMessageContaining("no column 'label'")
                .hasMessageContaining("withLabelColumn");
        assertThatThrownBy(() -> Datasets.classificationFromFile(write(dir, "a.txt", "x\n"), COLUMNS))
                .isInstanceOf(DatasetException.class).hasMessageContaining("no label column");
    }

    @Test
    void inMemoryRowsCheckTheirLabels() {
        ClassificationDataset data = Datasets.fromRows("rows", List.of(new Row("a", "x", "r0"),
                new Row("b", "y", "r1")), List.of("x", "y"));
        assertThat(all(data.filter(t -> t.equals("b")))).containsExactly("b");
        assertThatThrownBy(() -> Datasets.fromRows("rows", List.of(new Row("a", "z", "r0")), List.of("x")))
                .hasMessageContaining("r0").hasMessageContaining("'z'");
    }
}
