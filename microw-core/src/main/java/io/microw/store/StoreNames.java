package io.microw.store;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Checks the names that become path components of a store (run ids, layer names, tensor keys) so that none can
 * escape the store's root: no separators, no {@code .} or {@code ..}, no absolute paths, no control characters,
 * and at most {@value #MAX_BYTES} bytes of UTF-8.
 */
public final class StoreNames {

    /**
     * The longest name, in bytes of UTF-8 (what file systems count: ext4 holds 255 bytes per file name). The rest
     * leaves room for what is added to a name on disk: {@code .safetensors} after a tensor key, {@code .json} after a
     * manipulation name, and a temporary file's {@code .} prefix and random {@code .tmp} suffix (about 25 bytes).
     */
    private static final int MAX_BYTES = 200;

    private static final java.time.format.DateTimeFormatter RUN_ID =
            java.time.format.DateTimeFormatter.ofPattern("'run-'yyyyMMdd-HHmmss-SSS");

    private StoreNames() {
    }

    /**
     * The run id given to a run saved without a name, by the library and by both front ends: the current local time,
     * {@code run-yyyyMMdd-HHmmss-SSS}.
     *
     * @return a new run id
     */
    public static String newRunId() {
        return java.time.LocalDateTime.now().format(RUN_ID);
    }

    /**
     * Returns {@code name} if it is a safe single path component, else a {@link StoreException} naming it.
     *
     * @param what what the name is, for the message (e.g. {@code run id})
     * @param name the name to check
     * @return {@code name}, unchanged
     */
    public static String check(String what, String name) {
        if (name == null || name.isEmpty()) {
            throw new StoreException(what + " is empty; give a name such as 'run-1'");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw new StoreException(what + " is " + bytes + " bytes long in UTF-8 ("
                    + name.codePointCount(0, name.length()) + " characters); at most " + MAX_BYTES
                    + " bytes are allowed, as it becomes a file name");
        }
        String problem = problem(name);
        if (problem != null) {
            throw new StoreException(what + " '" + name + "' is not allowed: " + problem
                    + "; use letters, digits, '.', '_' and '-' only, as one path component");
        }
        return name;
    }

    private static String problem(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == '\\') {
                return "it contains a path separator";
            }
            if (c < 0x20 || c == 0x7f || c == ':') {
                return "it contains the character U+" + String.format("%04X", (int) c);
            }
        }
        if (name.equals(".") || name.equals("..")) {
            return "it names a directory itself or its parent";
        }
        if (name.startsWith(".")) {
            return "names starting with '.' are reserved for temporary files";
        }
        return null;
    }

    /**
     * {@code parent.resolve(name)} after checking {@code name}, and verifying the result stays under {@code parent}.
     *
     * @param parent the directory the name must stay under
     * @param what   what the name is, for the message
     * @param name   the name to check
     * @return the normalised absolute path of {@code name} in {@code parent}
     */
    public static Path resolve(Path parent, String what, String name) {
        check(what, name);
        Path base = parent.toAbsolutePath().normalize();
        Path child = base.resolve(name).normalize();
        if (!child.getParent().equals(base)) {
            throw new StoreException(what + " '" + name + "' would leave " + base);
        }
        return child;
    }
}
