package io.microw.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Copies a stream (the stderr of microw's relaunched JVM) to another, leaving out libtorch's own log lines below error
 * level: c10 writes its warnings ({@code [W1205 08:30:12.123456789 file.cpp:123] Warning: AutoNonVariableTypeMode is
 * deprecated ...}) and infos straight to the native stderr, where no Java logger can reach them. Everything else,
 * errors included ({@code [E...]}), passes through byte for byte as it comes, so progress lines redrawn with
 * {@code \r} still show at once: only a line that starts with {@code [W} or {@code [I} is held until its end to be
 * judged.
 */
final class EngineLogFilter {

    /** c10's log line prefix at warning or info level: {@code [W1205 08:30:12.123456789 file.cpp:123] }. */
    static final Pattern ENGINE_LINE = Pattern.compile(
            "\\[[WI]\\d{3,4} \\d{2}:\\d{2}:\\d{2}\\.\\d+ (\\d+ )?[^\\]\\s]+:\\d+\\] .*", Pattern.DOTALL);

    /** A held line longer than this is not a log line: it is passed on. */
    private static final int MAX_HELD = 1 << 16;

    private final InputStream in;
    private final OutputStream out;
    private final ByteArrayOutputStream held = new ByteArrayOutputStream();
    private boolean atLineStart = true;
    private int dropped;

    EngineLogFilter(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
    }

    /**
     * Copies until the end of the input, flushing after every read.
     *
     * @return the number of engine log lines left out
     * @throws IOException when reading or writing fails
     */
    int copy() throws IOException {
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            for (int i = 0; i < n; i++) {
                accept(buffer[i]);
            }
            out.flush();
        }
        if (held.size() > 0) {
            release();
        }
        out.flush();
        return dropped;
    }

    private void accept(byte b) throws IOException {
        if (held.size() > 0) {
            held.write(b);
            if (held.size() == 2 && b != 'W' && b != 'I' || held.size() > MAX_HELD) {
                out.write(held.toByteArray());
                held.reset();
                atLineStart = b == '\n';
            } else if (b == '\n') {
                release();
                atLineStart = true;
            }
        } else if (atLineStart && b == '[') {
            held.write(b);
        } else {
            out.write(b);
            atLineStart = b == '\n';
        }
    }

    /** Ends a held line: drops it when it is an engine log line, else passes it on. */
    private void release() throws IOException {
        if (ENGINE_LINE.matcher(held.toString(StandardCharsets.UTF_8)).matches()) {
            dropped++;
        } else {
            out.write(held.toByteArray());
        }
        held.reset();
    }
}
