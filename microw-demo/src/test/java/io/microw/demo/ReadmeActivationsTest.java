package io.microw.demo;

import io.microw.data.DatasetOptions;
import io.microw.data.Datasets;
import io.microw.data.LoadingStrategy;
import io.microw.data.TextDataset;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.store.LocalStore;
import io.microw.store.Store;
import io.microw.store.StoreDataLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's datasets-and-activations example, as written there. */
class ReadmeActivationsTest {

    @Test
    void readmeExampleSavesAndReadsBack(@TempDir Path dir) throws IOException {
        Path corpus = dir.resolve("corpus.jsonl");
        Files.write(corpus, BrownCorpus.load().sentences(BrownCorpus.Split.VALIDATION).stream().limit(20)
                .map(s -> "{\"text\": " + com.fasterxml.jackson.databind.node.TextNode.valueOf(s.text()) + "}").toList());
        try (LanguageModel lm = BrownGpt2.load()) {
            TextDataset texts = Datasets.fromFile(corpus,
                    DatasetOptions.defaults().withTextColumn("text").withStrategy(LoadingStrategy.STREAMING));
            String runId = lm.activations().saveActivations(texts, List.of("layer_1", "blocks.3.hook_resid_post"),
                    SaveOptions.into(dir.resolve("store")).withBatchSize(8).withMaxLength(128).withResume(true));

            Store store = new LocalStore(dir.resolve("store"));
            long rows = 0;
            for (float[] row : StoreDataLoader.builder(store, runId, "transformer.h.1")
                    .excludeSpecialTokens(true).shuffleBufferRows(1_000).seed(0).epochs(1).build()) {
                assertThat(row).hasSize(256);
                rows++;
            }
            long expected = BrownCorpus.load().sentences(BrownCorpus.Split.VALIDATION).stream().limit(20)
                    .mapToLong(s -> lm.tokenizer().encode(s.text()).length).sum();
            assertThat(rows).isEqualTo(expected);
        }
    }
}
