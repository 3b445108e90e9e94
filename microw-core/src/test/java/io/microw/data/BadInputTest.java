package io.microw.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.microw.data.DataFiles.all;
import static io.microw.data.DataFiles.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BadInputTest {

    @TempDir
    Path dir;

    private static final DatasetOptions STRICT = DatasetOptions.defaults();
    private static final DatasetOptions LENIENT = DatasetOptions.defaults().withLenient(true);

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("nope.jsonl");
        assertThatThrownBy(() -> Datasets.fromFile(missing, STRICT)).isInstanceOf(DatasetException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("no such file");
    }

    @Test
    void anUnreadableFileIsAClearError() throws IOException {
        Path bad = dir.resolve("bad.txt");
        Files.write(bad, new byte[] {'o', 'k', '\n', (byte) 0xff, (byte) 0xfe, '\n'});
        assertThatThrownBy(() -> Datasets.fromFile(bad, STRICT)).isInstanceOf(DatasetException.class)
                .hasMessageContaining(bad.toString()).hasMessageContaining("could not read").hasMessageContaining("UTF-8");
        Path notParquet = write(dir, "fake.parquet", "this is not parquet");
        assertThatThrownBy(() -> Datasets.fromFile(notParquet, STRICT)).isInstanceOf(DatasetException.class)
                .hasMessageContaining(notParquet.toString()).hasMessageContaining("Parquet");
        assertThatThrownBy(() -> Datasets.fromFile(write(dir, "x.xlsx", ""), STRICT))
                .isInstanceOf(DatasetException.class).hasMessageContaining("unknown dataset format 'xlsx'");
    }

    @Test
    void aCsvRowWithTheWrongColumnCountNamesFileLineAndRow() {
        Path file = write(dir, "a.csv", "text,label\nok,pos\n\"multi\nline\",neg\nbad row,neg,extra\nfine,pos\n");
        assertThatThrownBy(() -> Datasets.fromFile(file, STRICT)).isInstanceOf(BadRowException.class)
                .hasMessageContaining(file + ":5").hasMessageContaining("3 field(s) but the header has 2")
                .hasMessageContaining("bad row,neg,extra");
        TextDataset lenient = Datasets.fromFile(file, LENIENT);
        assertThat(all(lenient)).containsExactly("ok", "multi\nline", "fine");
        assertThat(lenient.skippedRows()).isEqualTo(1);
    }

    @Test
    void aJsonlLineThatIsNotJsonNamesFileLineAndValue() {
        Path file = write(dir, "a.jsonl", "{\"text\": \"a\"}\n{not json}\n[1, 2]\n{\"other\": 1}\n{\"text\": \"b\"}\n");
        assertThatThrownBy(() -> Datasets.fromFile(file, STRICT)).isInstanceOf(BadRowException.class)
                .hasMessageContaining(file + ":2").hasMessageContaining("not valid JSON")
                .hasMessageContaining("{not json}");
        for (LoadingStrategy strategy : LoadingStrategy.values()) {
            TextDataset lenient = Datasets.fromFile(file, LENIENT.withStrategy(strategy));
            assertThat(all(lenient)).containsExactly("a", "b");
            assertThat(lenient.skippedRows()).as(strategy.name()).isEqualTo(3);
        }
    }

    @Test
    void aMissingTextColumnListsTheColumns() {
        Path csv = write(dir, "a.csv", "body,label\nx,y\n");
        assertThatThrownBy(() -> Datasets.fromFile(csv, LENIENT)).isInstanceOf(DatasetException.class)
                .hasMessageContaining(csv.toString()).hasMessageContaining("no column 'text'")
                .hasMessageContaining("[body, label]");
        Path parquet = DataFiles.parquet(dir, "a.parquet", List.of("t"), List.of("l"));
        assertThatThrownBy(() -> Datasets.fromFile(parquet, STRICT.withTextColumn("review")))
                .isInstanceOf(DatasetException.class).hasMessageContaining("no column 'review'")
                .hasMessageContaining("[text, label]");
        Path jsonl = write(dir, "a.jsonl", "{\"body\": \"x\"}\n");
        assertThatThrownBy(() -> Datasets.fromFile(jsonl, STRICT)).isInstanceOf(BadRowException.class)
                .hasMessageContaining(jsonl + ":1").hasMessageContaining("no 'text' field")
                .hasMessageContaining("[body]");
    }

    @Test
    void anEmptyDatasetIsAnError() {
        for (LoadingStrategy strategy : LoadingStrategy.values()) {
            Path empty = write(dir, "e.txt", "\n  \n");
            assertThatThrownBy(() -> Datasets.fromFile(empty, STRICT.withStrategy(strategy)))
                    .isInstanceOf(DatasetException.class).hasMessageContaining("e.txt")
                    .hasMessageContaining("the dataset is empty");
        }
        Path allBad = write(dir, "bad.jsonl", "nope\nnope\n");
        assertThatThrownBy(() -> Datasets.fromFile(allBad, LENIENT)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("all 2 row(s) were bad");
        assertThatThrownBy(() -> Datasets.fromFile(write(dir, "h.csv", ""), STRICT))
                .isInstanceOf(DatasetException.class).hasMessageContaining("expected a header row");
        assertThatThrownBy(() -> Datasets.fromTexts("nothing", List.of())).isInstanceOf(DatasetException.class)
                .hasMessageContaining("nothing");
    }

    @Test
    void badArgumentsAreRefused() {
        TextDataset data = Datasets.fromTexts("t", List.of("a"));
        assertThatThrownBy(() -> data.iterBatches(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> data.limit(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> data.shuffled(1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
