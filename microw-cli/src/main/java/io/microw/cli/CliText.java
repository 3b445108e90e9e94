package io.microw.cli;

import java.util.Locale;

/** Small text helpers shared by the commands. */
final class CliText {

    private CliText() {
    }

    /** "3" for 3.0, "0.5" for 0.5. */
    static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : String.format(Locale.ROOT, "%s", d);
    }

    /** A text on one line, quoted, with newlines shown as \n. */
    static String quoted(String text) {
        return '"' + text.replace("\n", "\\n") + '"';
    }
}
