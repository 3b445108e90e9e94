package io.microw.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static io.microw.data.DataFiles.all;
import static io.microw.data.DataFiles.write;
import static org.assertj.core.api.Assertions.assertThat;

class LoadingStrategiesTest {

    @TempDir
    Path dir;

    private Path numbers(int n) {
        StringBuilder s = new StringBuilder();
        IntStream.range(0, n).forEach(i -> s.append("{\"text\": \"t").append(i).append("\"}\n"));
        return write(dir, "n.jsonl", s.toString());
    }

    private static List<String> expected(int n) {
        return IntStream.range(0, n).mapToObj(i -> "t" + i).toList();
    }

    @ParameterizedTest
    @EnumSource(LoadingStrategy.class)
    void everyStrategyYieldsTheFileInOrderOnEveryPass(LoadingStrategy strategy) {
        TextDataset data = Datasets.fromFile(numbers(10), DatasetOptions.defaults().withStrategy(strategy));
        assertThat(all(data, 4)).isEqualTo(expected(10));
        assertThat(all(data, 1)).isEqualTo(expected(10));
        assertThat(data.iterBatches(4).next()).hasSize(4);
        if (strategy == LoadingStrategy.STREAMING) {
            assertThat(data.length()).isEmpty();
        } else {
            assertThat(data.length()).hasValue(10);
        }
    }

    @ParameterizedTest
    @EnumSource(LoadingStrategy.class)
    void filterLimitAndShuffleKeepTheStrategy(LoadingStrategy strategy) {
        TextDataset data = Datasets.fromFile(numbers(100), DatasetOptions.defaults().withStrategy(strategy));
        TextDataset even = data.filter(t -> Integer.parseInt(t.substring(1)) % 2 == 0);
        assertThat(all(even)).hasSize(50).startsWith("t0", "t2", "t4");
        assertThat(all(data.limit(7))).isEqualTo(expected(7));
        assertThat(all(even.limit(2))).containsExactly("t0", "t2");
        if (strategy != LoadingStrategy.STREAMING) {
            assertThat(even.length()).hasValue(50);
            assertThat(data.limit(7).length()).hasValue(7);
        }
        TextDataset shuffled = data.shuffled(42, 16);
        List<String> once = all(shuffled);
        assertThat(once).containsExactlyInAnyOrderElementsOf(expected(100)).isNotEqualTo(expected(100));
        assertThat(all(shuffled)).isEqualTo(once);
        assertThat(all(data.shuffled(42, 16))).isEqualTo(once);
        assertThat(all(data.shuffled(43, 16))).isNotEqualTo(once);
    }

    @Test
    void aBufferedShuffleMovesTextsAtMostTheBufferForward() {
        TextDataset data = Datasets.fromFile(numbers(200), DatasetOptions.defaults()
                .withStrategy(LoadingStrategy.STREAMING));
        List<String> out = all(data.shuffled(7, 10));
        for (int i = 0; i < out.size(); i++) {
            assertThat(Integer.parseInt(out.get(i).substring(1))).isLessThan(i + 10);
        }
    }

    @Test
    void onDiskAndStreamingReadTheFileOnEachPass() {
        Path file = numbers(3);
        TextDataset onDisk = Datasets.fromFile(file, DatasetOptions.defaults().withStrategy(LoadingStrategy.ON_DISK));
        TextDataset memory = Datasets.fromFile(file, DatasetOptions.defaults());
        write(dir, "n.jsonl", "{\"text\": \"changed\"}\n");
        assertThat(all(onDisk)).containsExactly("changed");
        assertThat(all(memory)).isEqualTo(expected(3));
    }

    @Test
    void anyTextDatasetCanBeFilteredLimitedAndShuffled() {
        List<String> texts = new ArrayList<>(expected(20));
        TextDataset data = Datasets.fromTexts("test texts", texts);
        assertThat(all(data.filter(t -> t.endsWith("1")))).containsExactly("t1", "t11");
        assertThat(all(data.shuffled(1))).containsExactlyInAnyOrderElementsOf(texts).isNotEqualTo(texts);
        TextDataset custom = new TextDataset() {
            @Override
            public java.util.Iterator<List<String>> iterBatches(int batchSize) {
                return List.of(List.of("a", "b"), List.of("c")).iterator();
            }

            @Override
            public java.util.OptionalLong length() {
                return java.util.OptionalLong.of(3);
            }

            @Override
            public String describe() {
                return "custom";
            }
        };
        assertThat(all(custom.limit(2))).containsExactly("a", "b");
        assertThat(all(custom.filter(t -> !t.equals("b")))).containsExactly("a", "c");
        assertThat(all(custom.shuffled(3))).containsExactlyInAnyOrder("a", "b", "c");
    }
}
