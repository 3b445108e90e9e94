package io.microw.store;

import io.microw.data.DatasetOptions;
import io.microw.data.Datasets;
import io.microw.data.LoadingStrategy;
import io.microw.data.TextDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatasetIdentityTest {

    /** Texts in memory. */
    private static TextDataset texts(List<String> all) {
        return new TextDataset() {
            @Override
            public Iterator<List<String>> iterBatches(int batchSize) {
                List<List<String>> batches = new ArrayList<>();
                for (int i = 0; i < all.size(); i += batchSize) {
                    batches.add(all.subList(i, Math.min(all.size(), i + batchSize)));
                }
                return batches.iterator();
            }

            @Override
            public OptionalLong length() {
                return OptionalLong.of(all.size());
            }

            @Override
            public String describe() {
                return all.size() + " texts";
            }
        };
    }

    private static List<String> numbered(int n, String prefix) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(prefix + i);
        }
        return out;
    }

    @Test
    void theSameSourceAndFirstRowsAreTheSameTexts() {
        DatasetIdentity validation = DatasetIdentity.of(DatasetIdentity.Kind.BROWN, "validation").withLimit(200)
                .withFirstRows(texts(numbered(300, "v")));
        DatasetIdentity again = DatasetIdentity.of(DatasetIdentity.Kind.BROWN, "validation").withLimit(200)
                .withFirstRows(texts(numbered(300, "v")));
        assertThat(validation.sameTexts(again)).isTrue();
        assertThat(validation.firstRowsSha256()).isPresent().get().asString().hasSize(64);
        // the JSON of meta.json reads back as the same texts (numbers and booleans keep their kind)
        DatasetIdentity read = DatasetIdentity.fromJson(validation.toJson()).orElseThrow();
        assertThat(read.sameTexts(validation)).isTrue();
        assertThat(validation.toJson().toString()).contains("\"kind\":\"brown\"", "\"source\":\"validation\"",
                "\"limit\":200", "\"first_rows\":64");
        assertThat(validation.describe()).startsWith("brown validation (limit 200; first 64 rows sha256 ")
                .contains(validation.firstRowsSha256().orElseThrow().substring(0, 12));
    }

    @Test
    void anotherSplitLimitOrTextIsAnotherDataset() {
        DatasetIdentity validation = DatasetIdentity.of(DatasetIdentity.Kind.BROWN, "validation")
                .withFirstRows(texts(numbered(100, "v")));
        assertThat(validation.sameTexts(DatasetIdentity.of(DatasetIdentity.Kind.BROWN, "train")
                .withFirstRows(texts(numbered(100, "v"))))).isFalse();
        assertThat(validation.sameTexts(DatasetIdentity.of(DatasetIdentity.Kind.BROWN, "validation").withLimit(50)
                .withFirstRows(texts(numbered(100, "v"))))).isFalse();
        List<String> changed = numbered(100, "v");
        changed.set(63, "changed");
        assertThat(validation.sameTexts(DatasetIdentity.of(DatasetIdentity.Kind.BROWN, "validation")
                .withFirstRows(texts(changed)))).isFalse();
        // texts past the hashed rows do not count; a shorter dataset does
        changed = numbered(100, "v");
        changed.set(64, "changed");
        assertThat(validation.sameTexts(DatasetIdentity.of(DatasetIdentity.Kind.BROWN, "validation")
                .withFirstRows(texts(changed)))).isTrue();
        assertThat(validation.sameTexts(DatasetIdentity.of(DatasetIdentity.Kind.BROWN, "validation")
                .withFirstRows(texts(numbered(63, "v"))))).isFalse();
        // the length prefix keeps texts apart: ["ab", "c"] is not ["a", "bc"]
        assertThat(DatasetIdentity.of(DatasetIdentity.Kind.TEXTS, "inline").withFirstRows(texts(List.of("ab", "c")))
                .sameTexts(DatasetIdentity.of(DatasetIdentity.Kind.TEXTS, "inline")
                        .withFirstRows(texts(List.of("a", "bc"))))).isFalse();
        assertThatThrownBy(() -> validation.withLimit(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1, got 0");
    }

    @Test
    void aFileIsNamedByItsNameAndReadOptionsNotItsFolder(@TempDir Path dir) throws Exception {
        Path here = Files.createDirectories(dir.resolve("here")).resolve("corpus.txt");
        Path there = Files.createDirectories(dir.resolve("there")).resolve("corpus.txt");
        Files.writeString(here, "one\ntwo\nthree\n");
        Files.copy(here, there);
        DatasetOptions read = DatasetOptions.defaults().withStrategy(LoadingStrategy.ON_DISK);
        DatasetIdentity a = DatasetIdentity.file(here, read).withFirstRows(Datasets.fromFile(here, read));
        DatasetIdentity b = DatasetIdentity.file(there, read).withFirstRows(Datasets.fromFile(there, read));
        assertThat(a.sameTexts(b)).isTrue();
        assertThat(a.toJson().path("location").asText()).isEqualTo(here.toAbsolutePath().normalize().toString());
        assertThat(a.toJson().path("options").toString()).contains("\"text_column\":\"text\"", "\"lenient\":false");
        assertThat(a.sameTexts(DatasetIdentity.file(there, read.withLenient(true))
                .withFirstRows(Datasets.fromFile(there, read)))).isFalse();
        Files.writeString(there, "one\ntwo\nfour\n");
        assertThat(a.sameTexts(DatasetIdentity.file(there, read).withFirstRows(Datasets.fromFile(there, read))))
                .isFalse();
        assertThat(DatasetIdentity.fromJson(null)).isEmpty();
        assertThat(DatasetIdentity.fromJson(a.toJson().put("kind", "tape"))).isEmpty();
    }
}
