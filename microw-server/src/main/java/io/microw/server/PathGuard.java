package io.microw.server;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/** Confines file paths from requests to configured roots: no traversal, no symlink escape. */
final class PathGuard {

    private PathGuard() {
    }

    /**
     * Resolves {@code given} (absolute, or relative to the first root), normalises it, and checks that it lies in
     * one of the roots, also after resolving symbolic links. Returns the normalised path.
     */
    static Path confine(String given, List<Path> roots, String what) {
        if (given == null || given.isBlank()) {
            throw ApiException.badRequest("missing '" + what + "'");
        }
        if (given.indexOf('\0') >= 0) {
            throw ApiException.badRequest("'" + what + "' contains a NUL character");
        }
        Path path;
        try {
            Path p = Path.of(given);
            path = (p.isAbsolute() ? p : roots.get(0).resolve(p)).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw ApiException.badRequest("'" + what + "' is not a valid path: " + e.getReason());
        }
        Path inside = null;
        for (Path root : roots) {
            if (path.startsWith(root)) {
                inside = root;
                break;
            }
        }
        if (inside == null) {
            throw new ApiException(403, "'" + what + "' must lie inside one of the server's file roots "
                    + roots + "; " + given + " does not");
        }
        if (Files.exists(path)) {
            try {
                Path real = path.toRealPath();
                boolean ok = false;
                for (Path root : roots) {
                    if (Files.exists(root) && real.startsWith(root.toRealPath())) {
                        ok = true;
                        break;
                    }
                }
                if (!ok) {
                    throw new ApiException(403, "'" + what + "' leads outside the server's file roots through a link");
                }
            } catch (java.io.IOException e) {
                throw ApiException.badRequest("'" + what + "' cannot be read: " + e.getMessage());
            }
        }
        return path;
    }
}
