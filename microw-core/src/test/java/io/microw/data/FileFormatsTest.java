package io.microw.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static io.microw.data.DataFiles.all;
import static io.microw.data.DataFiles.write;
import static org.assertj.core.api.Assertions.assertThat;

class FileFormatsTest {

    @TempDir
    Path dir;

    private static final DatasetOptions OPTIONS = DatasetOptions.defaults();

    @Test
    void txtHasOneTextPerNonBlankLine() {
        Path file = write(dir, "a.txt", "first line\n\nsecond, with comma\n  \nthird\n");
        TextDataset data = Datasets.fromFile(file, OPTIONS);
        assertThat(all(data)).containsExactly("first line", "second, with comma", "third");
        assertThat(data.length()).hasValue(3);
        assertThat(data.describe()).contains("a.txt").contains("in_memory");
    }

    @Test
    void folderHasOneTextPerFileInNameOrder() {
        write(dir, "docs/b.txt", "bee\nline two\n");
        write(dir, "docs/a.txt", "ay");
        write(dir, "docs/.hidden", "no");
        TextDataset data = Datasets.fromFile(dir.resolve("docs"), OPTIONS);
        assertThat(all(data)).containsExactly("ay", "bee\nline two");
    }

    @Test
    void jsonlPicksTheTextField() {
        Path file = write(dir, "a.jsonl", "{\"text\": \"one\", \"n\": 1}\n\n{\"n\": 2, \"text\": \"two \\\"q\\\"\"}\n");
        assertThat(all(Datasets.fromFile(file, OPTIONS))).containsExactly("one", "two \"q\"");
        assertThat(all(Datasets.fromFile(file, OPTIONS.withTextColumn("n")))).containsExactly("1", "2");
    }

    @Test
    void gzippedJsonlIsReadToo() throws IOException {
        Path file = dir.resolve("a.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write("{\"text\": \"zipped\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(all(Datasets.fromFile(file, OPTIONS))).containsExactly("zipped");
    }

    @Test
    void csvFollowsRfc4180Quoting() {
        Path file = write(dir, "a.csv", "id,text,label\n"
                + "1,plain,pos\n"
                + "2,\"with, comma\",neg\n"
                + "3,\"say \"\"hi\"\"\",pos\n"
                + "4,\"two\nlines\",neg\n"
                + "5,,pos\n");
        TextDataset data = Datasets.fromFile(file, OPTIONS);
        assertThat(all(data)).containsExactly("plain", "with, comma", "say \"hi\"", "two\nlines", "");
        assertThat(all(Datasets.fromFile(file, OPTIONS.withTextColumn("id")))).containsExactly("1", "2", "3", "4", "5");
    }

    @Test
    void tsvSplitsOnTabs() {
        Path file = write(dir, "a.tsv", "text\tlabel\nhello, world\tx\n\"quoted\ttab\"\ty\n");
        assertThat(all(Datasets.fromFile(file, OPTIONS))).containsExactly("hello, world", "quoted\ttab");
    }

    @Test
    void parquetIsReadWithItsSchema() {
        List<String> texts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            texts.add("text number " + i + (i == 3 ? " with 'quote'" : ""));
            labels.add(i % 2 == 0 ? "even" : "odd");
        }
        Path file = DataFiles.parquet(dir, "a.parquet", texts, labels);
        for (LoadingStrategy strategy : LoadingStrategy.values()) {
            TextDataset data = Datasets.fromFile(file, OPTIONS.withStrategy(strategy));
            assertThat(all(data, 7)).as(strategy.name()).isEqualTo(texts);
        }
        ClassificationDataset labeled = Datasets.classificationFromFile(file, OPTIONS);
        assertThat(labeled.labels()).containsExactly("even", "odd");
        assertThat(labeled.iterLabeledBatches(100).next().get(3).label()).isEqualTo("odd");
    }

    @Test
    void theFormatCanBeNamedWhateverTheFileName() {
        Path file = write(dir, "data.dat", "{\"text\": \"x\"}\n");
        assertThat(all(Datasets.fromFile(file, OPTIONS.withFormat(DataFormat.JSONL)))).containsExactly("x");
    }
}
