package io.microw.data;

/** Small text helpers for error messages. */
final class Texts {

    private static final int MAX = 80;

    private Texts() {
    }

    /** {@code value} quoted and cut to 80 characters, for quoting bad input in a message. */
    static String abbreviate(String value) {
        if (value == null) {
            return "null";
        }
        String v = value.length() > MAX ? value.substring(0, MAX) + "..." : value;
        return "'" + v + "'";
    }
}
