package io.microw.lm;

import io.microw.util.TopK;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class NextTokenTest {

    @Test
    void topIndicesAreTheLargestValuesLargestFirst() {
        float[] v = {0.5f, 3f, -1f, 3f, 2f, 7f};
        assertThat(TopK.indices(v, 3)).containsExactly(5, 1, 3);
        assertThat(TopK.indices(v, 10)).hasSize(6).startsWith(5, 1, 3, 4, 0, 2);
        assertThat(TopK.indices(v, 0)).isEmpty();
    }

    @Test
    void probabilitiesAreTheSoftmaxOverTheWholeVocabulary() {
        float[] logits = {1000f, 1001f, 999f};
        List<NextToken> top = NextToken.top(logits, 2);
        double z = Math.exp(-1) + 1 + Math.exp(-2);
        assertThat(top).extracting(NextToken::id).containsExactly(1, 0);
        assertThat(top.get(0).probability()).isCloseTo(1 / z, within(1e-12));
        assertThat(top.get(1).probability()).isCloseTo(Math.exp(-1) / z, within(1e-12));
        assertThat(top.get(0).logit()).isEqualTo(1001f);
    }
}
