package io.microw.cli;

import java.util.Locale;
import java.util.Set;

/**
 * How {@code microw serve} authenticates, decided from the address, the key and {@code --insecure-no-auth} before
 * anything is bound: an address other machines can reach needs a key unless the user says otherwise.
 */
enum ServeAuth {
    /** Clients send the API key. */
    KEY,
    /** No key, on a loopback address only this machine reaches. */
    LOOPBACK,
    /** No key on an address other machines may reach, because {@code --insecure-no-auth} asked for it. */
    INSECURE,
    /** No key on an address other machines may reach: the server must not start. */
    REFUSED;

    /** The addresses that count as this machine only. */
    private static final Set<String> LOOPBACK_NAMES = Set.of("127.0.0.1", "::1", "[::1]", "localhost");

    /** The mode for serving {@code host} with {@code key} (null: none). */
    static ServeAuth of(String host, String key, boolean insecureNoAuth) {
        if (key != null) {
            return KEY;
        }
        if (LOOPBACK_NAMES.contains(host.toLowerCase(Locale.ROOT))) {
            return LOOPBACK;
        }
        return insecureNoAuth ? INSECURE : REFUSED;
    }

    /** The banner line that states this mode. */
    String banner(boolean protectReads) {
        return switch (this) {
            case KEY -> "Auth: API key required for " + (protectReads ? "every request" : "requests that change state");
            case LOOPBACK -> "Auth: none (loopback only)";
            case INSECURE -> "Auth: none (--insecure-no-auth)";
            case REFUSED -> throw new IllegalStateException("a refused server has no banner");
        };
    }
}
