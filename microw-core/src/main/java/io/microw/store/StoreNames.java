package io.microw.store;

import java.nio.file.Path;

/**
 * Checks the names that become path components of a store (run ids, layer names, tensor keys) so that none can
 * escape the store's root: no separators, no {@code .} or {@code ..}, no absolute paths, no control characters.
 */
public final class StoreNames {

    private static final int MAX_LENGTH = 200;

    private StoreNames() {
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
        String problem = problem(name);
        if (problem != null) {
            throw new StoreException(what + " '" + name + "' is not allowed: " + problem
                    + "; use letters, digits, '.', '_' and '-' only, as one path component");
        }
        return name;
    }

    private static String problem(String name) {
        if (name.length() > MAX_LENGTH) {
            return "longer than " + MAX_LENGTH + " characters";
        }
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
