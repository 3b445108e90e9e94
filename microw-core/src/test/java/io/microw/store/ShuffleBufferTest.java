package io.microw.store;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShuffleBufferTest {

    private static List<Integer> drain(int n, int capacity, long seed) {
        List<Integer> out = new ArrayList<>();
        new ShuffleBuffer<>(IntStream.range(0, n).boxed().iterator(), capacity, new Random(seed))
                .forEachRemaining(out::add);
        return out;
    }

    @Test
    void yieldsEveryRowOnceMixedAndReproducibly() {
        List<Integer> out = drain(1000, 64, 7);
        assertThat(out).hasSize(1000).doesNotHaveDuplicates();
        assertThat(out).isNotEqualTo(IntStream.range(0, 1000).boxed().toList());
        assertThat(drain(1000, 64, 7)).isEqualTo(out);
        assertThat(drain(1000, 64, 8)).isNotEqualTo(out);
    }

    @Test
    void mixesOnlyWithinReachOfTheBuffer() {
        List<Integer> out = drain(1000, 64, 1);
        // the first 32 rows handed out all come from the first 64 of the source
        assertThat(out.subList(0, 32)).allSatisfy(v -> assertThat(v).isLessThan(64));
        assertThat(drain(0, 8, 1)).isEmpty();
        assertThat(drain(3, 8, 1)).containsExactlyInAnyOrder(0, 1, 2);
        assertThatThrownBy(() -> drain(3, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
