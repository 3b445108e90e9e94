package io.microw.io.hub;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A plain text {@link ProgressListener}: one line per file, redrawn in place with a carriage return
 * ({@code model.safetensors  42%  210.3 MB / 500.0 MB}), at most ten times a second, ended with a newline when
 * the file is complete. Writes to {@code System.err} unless told otherwise.
 */
final class ConsoleProgress implements ProgressListener {

    private static final long MIN_INTERVAL_NANOS = 100_000_000L;

    private final PrintStream out;
    private String currentFile;
    private long lastDraw;

    /** Prints to {@code System.err}. */
    public ConsoleProgress() {
        this(System.err);
    }

    /**
     * Prints to {@code out}.
     *
     * @param out the stream the progress lines go to
     */
    public ConsoleProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public synchronized void onProgress(String file, long bytesDone, long totalBytes) {
        boolean done = totalBytes >= 0 && bytesDone >= totalBytes;
        long now = System.nanoTime();
        boolean newFile = !file.equals(currentFile);
        if (!newFile && !done && now - lastDraw < MIN_INTERVAL_NANOS) {
            return;
        }
        currentFile = done ? null : file;
        lastDraw = now;
        out.print("\r" + line(file, bytesDone, totalBytes) + (done ? "\n" : ""));
        out.flush();
    }

    /** The text drawn for one state of a download. */
    static String line(String file, long bytesDone, long totalBytes) {
        if (totalBytes < 0) {
            return String.format(Locale.ROOT, "%s  %s", file, human(bytesDone));
        }
        long percent = totalBytes == 0 ? 100 : Math.min(100, bytesDone * 100 / totalBytes);
        return String.format(Locale.ROOT, "%s  %3d%%  %s / %s", file, percent, human(bytesDone), human(totalBytes));
    }

    private static String human(long bytes) {
        if (bytes < 1000) {
            return bytes + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
