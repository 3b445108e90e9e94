package io.microw.cli;

import io.microw.eval.EvalProgress;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * The progress of an SAE evaluation as one {@link ProgressLine}: texts done of the total, tokens measured, tokens/s
 * and the ETA, e.g. {@code [#####---------------]  25%  1,390/5,562 sentences  ETA 2:14  42,100 tokens  1,520 tok/s}.
 * Used by {@code microw sae eval} and {@code microw bench sae-quality}.
 */
final class EvalProgressLine implements Consumer<EvalProgress> {

    private final ProgressLine line;
    private final String unit;
    private final long started = System.nanoTime();

    /**
     * A progress line for texts counted in {@code unit}s.
     *
     * @param line where to draw (off when not enabled)
     * @param unit what a text is called, e.g. "sentences"
     */
    EvalProgressLine(ProgressLine line, String unit) {
        this.line = line;
        this.unit = unit;
    }

    @Override
    public void accept(EvalProgress p) {
        double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
        line.update(p.texts(), p.totalTexts(), unit, String.format(Locale.ROOT, "%,d tokens  %,.0f tok/s",
                p.tokens(), p.tokens() / seconds));
    }

    /** Ends the line. */
    void finish() {
        line.finish();
    }
}
