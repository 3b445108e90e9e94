package io.microw.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A progress line redrawn in place on stderr, at most ten times a second:
 * {@code [#########-----------]  45%  9/20 steps  3,210 tok/s  ETA 0:04}. The ETA comes from the fraction done and the
 * time since the line was created. Off (prints nothing) when not enabled.
 */
final class ProgressLine {

    private static final int WIDTH = 20;
    private static final long MIN_INTERVAL_NANOS = 100_000_000L;

    private final PrintWriter out;
    private final boolean enabled;
    private final long started = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    ProgressLine(PrintWriter out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    /** Redraws with {@code done} of {@code total} units ({@code total} < 0: unknown) and a detail text. */
    synchronized void update(long done, long total, String unit, String detail) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        boolean last = total >= 0 && done >= total;
        if (!last && drawn && now - lastDraw < MIN_INTERVAL_NANOS) {
            return;
        }
        lastDraw = now;
        drawn = true;
        StringBuilder line = new StringBuilder("\r");
        if (total > 0) {
            double fraction = Math.min(1.0, (double) done / total);
            int filled = (int) Math.round(fraction * WIDTH);
            line.append('[').append("#".repeat(filled)).append("-".repeat(WIDTH - filled)).append("] ")
                    .append(String.format(Locale.ROOT, "%3d%%  ", Math.round(fraction * 100)));
            line.append(String.format(Locale.ROOT, "%,d/%,d %s", done, total, unit));
            double seconds = (now - started) / 1e9;
            if (fraction > 0 && !last) {
                line.append("  ETA ").append(clock(seconds / fraction - seconds));
            }
        } else {
            line.append(String.format(Locale.ROOT, "%,d %s", done, unit));
        }
        if (detail != null && !detail.isEmpty()) {
            line.append("  ").append(detail);
        }
        out.print(line);
        if (last) {
            out.println();
        }
        out.flush();
    }

    /** Ends the line (if one was drawn and not finished). */
    synchronized void finish() {
        if (enabled && drawn) {
            out.println();
            out.flush();
            drawn = false;
        }
    }

    static String clock(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
