package io.microw.nn;

import io.microw.nn.internal.KvCache;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KvCacheTest {

    /** [1, 2, seq, 2] with value base + position * 10 + head * 100 + dim, so every entry says where it came from. */
    private static NDArray kv(NDManager m, int base, int from, int seq) {
        float[] v = new float[2 * seq * 2];
        int at = 0;
        for (int h = 0; h < 2; h++) {
            for (int p = from; p < from + seq; p++) {
                for (int d = 0; d < 2; d++) {
                    v[at++] = base + p * 10 + h * 100 + d;
                }
            }
        }
        return m.create(v, new Shape(1, 2, seq, 2));
    }

    @Test
    void stepsAppendAlongTheSequenceAndEarlierPositionsSurviveTheirForwardsManager() {
        try (NDManager m = NDManager.newBaseManager()) {
            KvCache cache = new KvCache(m.newSubManager(), 5);
            try (NDManager step0 = m.newSubManager()) {
                NDList all = cache.update(0, kv(step0, 0, 0, 3), kv(step0, 1000, 0, 3));
                assertThat(all.get(0).getShape()).isEqualTo(new Shape(1, 2, 3, 2));
                cache.commit();
            }
            assertThat(cache.length()).isEqualTo(3);
            try (NDManager step1 = m.newSubManager()) {
                NDList all = cache.update(0, kv(step1, 0, 3, 1), kv(step1, 1000, 3, 1));
                assertThat(all.get(0).toFloatArray()).containsExactly(kv(step1, 0, 0, 4).toFloatArray());
                assertThat(all.get(1).toFloatArray()).containsExactly(kv(step1, 1000, 0, 4).toFloatArray());
                assertThat(all.get(0).getManager()).isSameAs(step1);
                cache.commit();
            }
            assertThat(cache.length()).isEqualTo(4);
        }
    }

    @Test
    void aForwardThatIsNotCommittedLeavesTheCacheAsItWas() {
        try (NDManager m = NDManager.newBaseManager()) {
            KvCache cache = new KvCache(m, 4);
            cache.update(0, kv(m, 0, 0, 2), kv(m, 1000, 0, 2));
            cache.commit();
            cache.update(0, kv(m, 5000, 2, 1), kv(m, 6000, 2, 1));   // this forward fails before commit
            assertThat(cache.length()).isEqualTo(2);
            NDList all = cache.update(0, kv(m, 0, 2, 1), kv(m, 1000, 2, 1));
            cache.commit();
            assertThat(all.get(0).toFloatArray()).containsExactly(kv(m, 0, 0, 3).toFloatArray());
            assertThat(all.get(1).toFloatArray()).containsExactly(kv(m, 1000, 0, 3).toFloatArray());
            assertThat(cache.length()).isEqualTo(3);
        }
    }

    @Test
    void layersKeepTheirOwnPositions() {
        try (NDManager m = NDManager.newBaseManager()) {
            KvCache cache = new KvCache(m, 3);
            cache.update(0, kv(m, 0, 0, 2), kv(m, 1000, 0, 2));
            cache.update(1, kv(m, 7000, 0, 2), kv(m, 8000, 0, 2));
            cache.commit();
            NDList layer1 = cache.update(1, kv(m, 7000, 2, 1), kv(m, 8000, 2, 1));
            assertThat(layer1.get(0).toFloatArray()).containsExactly(kv(m, 7000, 0, 3).toFloatArray());
            assertThat(layer1.get(1).toFloatArray()).containsExactly(kv(m, 8000, 0, 3).toFloatArray());
        }
    }

    @Test
    void moreThanTheCapacityIsAClearError() {
        try (NDManager m = NDManager.newBaseManager()) {
            KvCache cache = new KvCache(m, 3);
            cache.update(0, kv(m, 0, 0, 2), kv(m, 0, 0, 2));
            cache.commit();
            assertThatThrownBy(() -> cache.update(0, kv(m, 0, 2, 2), kv(m, 0, 2, 2)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("holds 3 positions").hasMessageContaining("2 cached plus 2 new");
            assertThatThrownBy(() -> new KvCache(m, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("got 0");
        }
    }
}
