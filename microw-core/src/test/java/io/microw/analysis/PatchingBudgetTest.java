package io.microw.analysis;

import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * A sweep gives the same table however it batches: one copy per forward under a tiny memory budget, and with a
 * metric that does not say it reads the last token only (so the logits are computed everywhere).
 */
class PatchingBudgetTest {

    @Test
    void memoryBudgetAndMetricKindChangeTheBatchingNotTheTable() {
        try (Fixture fixture = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            long[][] clean = {fixture.ids("input_ids")[0]};
            long[][] corrupt = {clean[0].clone()};
            corrupt[0][0] = (corrupt[0][0] + 1) % 1000;
            LogitMetric lastToken = LogitMetric.logitDiff(1, 2);
            LogitMetric everywhere = (logits, mask) -> lastToken.apply(logits, mask);
            assertThat(everywhere.readsLastTokenOnly()).isFalse();

            PatchingResult reference = ActivationPatching.residPre(lm, clean, corrupt, lastToken);
            List<Integer> done = new ArrayList<>();
            PatchingResult tight = ActivationPatching.defaults().withMemoryBudget(1).withProgress(done::add)
                    .residPre(lm, clean, corrupt, everywhere);
            int cells = reference.values().length * reference.values()[0].length;
            assertThat(done).as("cells done after each forward").isNotEmpty().endsWith(cells);
            for (int i = 1; i < done.size(); i++) {
                assertThat(done.get(i) - done.get(i - 1)).as("patched copies in forward %d", i).isEqualTo(1);
            }
            for (int l = 0; l < reference.values().length; l++) {
                for (int p = 0; p < reference.values()[l].length; p++) {
                    assertThat((double) tight.values()[l][p]).isCloseTo(reference.values()[l][p], within(1e-4));
                }
            }
            assertThatThrownBy(() -> ActivationPatching.defaults().withMemoryBudget(0)).hasMessageContaining("got 0");
        }
    }
}
