package io.microw.cli;

import io.microw.lm.SaveProgress;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The progress line of {@code microw activations save}, redrawn in place at most ten times a second:
 * {@code [#########-----------]  45%  9/20 batches  12,345 tokens  3,210 tok/s  ETA 0:04}.
 */
final class SaveProgressBar implements Consumer<SaveProgress> {

    private static final int WIDTH = 20;
    private static final long MIN_INTERVAL_NANOS = 100_000_000L;

    private final PrintWriter out;
    private long lastDraw;
    private boolean drawn;

    SaveProgressBar(PrintWriter out) {
        this.out = out;
    }

    @Override
    public synchronized void accept(SaveProgress p) {
        long now = System.nanoTime();
        boolean last = p.batchesTotal() >= 0 && p.batchesDone() >= p.batchesTotal();
        if (drawn && !last && now - lastDraw < MIN_INTERVAL_NANOS) {
            return;
        }
        lastDraw = now;
        drawn = true;
        out.print("\r" + line(p));
        out.flush();
    }

    /** Ends the line once saving is over (once: a second call does nothing until the bar is drawn again). */
    synchronized void finish() {
        if (drawn) {
            out.println();
            out.flush();
            drawn = false;
        }
    }

    /** The text drawn for one state of a run. */
    static String line(SaveProgress p) {
        StringBuilder sb = new StringBuilder();
        double f = p.fraction();
        if (f >= 0) {
            int full = (int) Math.round(f * WIDTH);
            sb.append('[').append("#".repeat(full)).append("-".repeat(WIDTH - full)).append("] ")
                    .append(String.format(Locale.ROOT, "%3d%%  %d/%d batches", Math.round(f * 100), p.batchesDone(),
                            p.batchesTotal()));
        } else {
            sb.append(p.batchesDone()).append(" batches");
        }
        sb.append(String.format(Locale.ROOT, "  %,d tokens  %,.0f tok/s", p.tokens(), p.tokensPerSecond()));
        p.eta().ifPresent(eta -> sb.append("  ETA ").append(clock(eta)));
        return sb.toString();
    }

    private static String clock(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
