package io.microw.cli;

import io.microw.eval.EvalProgress;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class EvalProgressLineTest {

    @Test
    void showsSentencesTokensSpeedAndEtaThenEndsTheLine() {
        StringWriter text = new StringWriter();
        EvalProgressLine line = new EvalProgressLine(new ProgressLine(new PrintWriter(text), true), "sentences");
        line.accept(new EvalProgress(1, 10, 1_500, 40));
        assertThat(text.toString()).contains("10/40 sentences", "1,500 tokens", " tok/s", "ETA ", " 25%")
                .doesNotContain("\n");
        line.accept(new EvalProgress(4, 40, 6_000, 40));
        assertThat(text.toString()).contains("40/40 sentences", "6,000 tokens").endsWith("\n");
    }

    @Test
    void printsNothingWhenOff() {
        StringWriter text = new StringWriter();
        EvalProgressLine line = new EvalProgressLine(new ProgressLine(new PrintWriter(text), false), "texts");
        line.accept(new EvalProgress(1, 10, 1_500, 40));
        line.finish();
        assertThat(text.toString()).isEmpty();
    }
}
