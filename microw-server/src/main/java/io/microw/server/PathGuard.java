package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Confines file paths from requests to configured roots (no traversal, no escape through a link), and shows the
 * server's own paths relative to its roots, so that no response holds an absolute path of the server's machine.
 *
 * <p>A path is shown as the label of the root it lies in, then its path inside that root: {@code data:} for the
 * data directory ({@code data:saes/layer1}), {@code files1:}, {@code files2:}, ... for the file roots in the order
 * they were configured, {@code models1:}, ... for the model roots, and {@code ~/} for the rest of the home directory
 * of the user running the server. A request may name a file the same way ({@code data:saes/layer1}), so every path
 * a response shows can be sent back.
 */
final class PathGuard {

    /** A path as {@link #display} shows one in the data directory or a file root: label, colon, path inside it. */
    private static final Pattern SHOWN = Pattern.compile("(data|files([1-9][0-9]{0,8})):(.*)", Pattern.DOTALL);

    /** A root as it is shown: its absolute path, its label, and the pattern finding the path in a text. */
    private record Label(Path root, String prefix, Pattern pattern) {
    }

    private PathGuard() {
    }

    /**
     * Resolves {@code given} (absolute, relative to the data directory, or as {@link #display} shows a path:
     * {@code files1:sae}), normalises it, and checks that it lies in one of the roots, also after following symbolic
     * links. Returns the normalised path. A path that leaves the roots is 403, with the same message whether or not
     * anything exists where it leads.
     *
     * @param roots the data directory, then the file roots ({@link ServerConfig#allFileRoots()})
     */
    static Path confine(String given, List<Path> roots, String what) {
        if (given == null || given.isBlank()) {
            throw ApiException.badRequest("missing '" + what + "'");
        }
        if (given.indexOf('\0') >= 0) {
            throw ApiException.badRequest("'" + what + "' contains a NUL character");
        }
        Path path;
        Matcher shown = SHOWN.matcher(given);
        boolean labelled = shown.matches();
        int base = labelled && shown.group(2) != null ? Integer.parseInt(shown.group(2)) : 0;
        if (base >= roots.size()) {
            throw ApiException.badRequest("'" + what + "' names " + shown.group(1) + ":, but the server has "
                    + (roots.size() - 1) + " --file-root folders");
        }
        try {
            Path p = Path.of(labelled ? shown.group(3) : given);
            path = (p.isAbsolute() ? p : roots.get(base).resolve(p)).toAbsolutePath().normalize();
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
            throw new ApiException(403, "'" + what + "' must lie inside the server's file roots (its data directory "
                    + "or a --file-root folder); '" + given + "' does not");
        }
        requireNoEscape(path, inside, roots, "'" + what + "'");
        return path;
    }

    /**
     * Checks every entry of the folder {@code dir} (a path {@link #confine} returned) as {@link #confine} checks a
     * path: 403 when one is a link leading out of the roots or nowhere, so that a file read from the folder cannot
     * lie elsewhere.
     */
    static void confineEntries(Path dir, List<Path> roots, String what) {
        Path inside = roots.stream().filter(dir::startsWith).findFirst().orElseThrow();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                requireNoEscape(entry, inside, roots, "'" + what + "' (its entry '" + entry.getFileName() + "')");
            }
        } catch (IOException e) {
            throw ApiException.badRequest("'" + what + "' cannot be listed (" + e.getClass().getSimpleName() + ")");
        }
    }

    /**
     * 403 unless the deepest part of {@code path} that is present (down to its root {@code inside}; a link counts
     * even when broken) resolves, links followed, to a place inside one of the roots. A broken link is refused like
     * one leading out, so that the answer tells nothing about what exists outside the roots.
     */
    private static void requireNoEscape(Path path, Path inside, List<Path> roots, String what) {
        Path present = path;
        while (!Files.exists(present, LinkOption.NOFOLLOW_LINKS)) {
            if (present.equals(inside)) {
                return; // the root itself is missing: nothing to follow
            }
            present = present.getParent();
        }
        Path real;
        try {
            real = present.toRealPath();
        } catch (FileSystemException e) {
            throw escapes(what); // a broken link, a loop of links, or a target that may not be read
        } catch (IOException e) {
            throw ApiException.badRequest(what + " cannot be read (" + e.getClass().getSimpleName() + ")");
        }
        for (Path root : roots) {
            try {
                if (Files.exists(root) && real.startsWith(root.toRealPath())) {
                    return;
                }
            } catch (IOException e) {
                // an unreadable root holds nothing
            }
        }
        throw escapes(what);
    }

    private static ApiException escapes(String what) {
        return new ApiException(403, what + " leads out of the server's file roots, or nowhere, through a link");
    }

    /**
     * How the server shows {@code path} in a response: relative to the root it lies in, after that root's label
     * ({@code data:saes/layer1}); only the file name for a path outside every root.
     */
    static String display(Path path, ServerConfig config) {
        Path p = path.toAbsolutePath().normalize();
        for (Label label : labels(config)) {
            if (p.startsWith(label.root())) {
                return label.prefix() + label.root().relativize(p).toString().replace('\\', '/');
            }
        }
        Path name = p.getFileName();
        return name == null ? "" : name.toString();
    }

    /**
     * {@code message} (an error, a log line; may be null) with every path inside the server's roots or home
     * directory shown as {@link #display} shows it: the absolute paths core exceptions embed do not reach a client.
     */
    static String redact(String message, ServerConfig config) {
        return message == null ? null : redact(message, labels(config));
    }

    /** A copy of {@code node} with {@link #redact(String, ServerConfig)} applied to every string value in it. */
    static JsonNode redact(JsonNode node, ServerConfig config) {
        JsonNode copy = node.deepCopy();
        redactStrings(copy, labels(config));
        return copy;
    }

    private static void redactStrings(JsonNode node, List<Label> labels) {
        if (node instanceof ObjectNode object) {
            for (String field : fieldNames(object)) {
                JsonNode v = object.get(field);
                if (v.isTextual()) {
                    object.put(field, redact(v.textValue(), labels));
                } else {
                    redactStrings(v, labels);
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode v = array.get(i);
                if (v.isTextual()) {
                    array.set(i, redact(v.textValue(), labels));
                } else {
                    redactStrings(v, labels);
                }
            }
        }
    }

    private static List<String> fieldNames(ObjectNode object) {
        List<String> fields = new ArrayList<>();
        object.fieldNames().forEachRemaining(fields::add);
        return fields;
    }

    private static String redact(String text, List<Label> labels) {
        String out = text;
        for (Label label : labels) {
            out = label.pattern().matcher(out).replaceAll(Matcher.quoteReplacement(label.prefix()));
        }
        return out;
    }

    /**
     * The labelled roots, longest path first (so a root inside another is shown by its own label), each also under
     * its real path when that differs (a root reached through a link).
     */
    private static List<Label> labels(ServerConfig config) {
        List<Label> labels = new ArrayList<>();
        add(labels, config.dataDirectory(), "data:");
        for (int i = 0; i < config.fileRoots().size(); i++) {
            add(labels, config.fileRoots().get(i), "files" + (i + 1) + ":");
        }
        for (int i = 0; i < config.modelRoots().size(); i++) {
            add(labels, config.modelRoots().get(i), "models" + (i + 1) + ":");
        }
        Path home = Path.of(System.getProperty("user.home")).toAbsolutePath().normalize();
        if (home.getNameCount() > 0) {
            add(labels, home, "~/");
        }
        labels.sort(Comparator.comparingInt((Label l) -> l.root().toString().length()).reversed());
        return labels;
    }

    /**
     * Adds {@code root} and its real path under {@code prefix}. The pattern matches the root's path where it ends
     * (not as the start of a longer name: root {@code /srv/data} is not found in {@code /srv/data2}) and takes one
     * separator after it.
     */
    private static void add(List<Label> labels, Path root, String prefix) {
        List<Path> forms = new ArrayList<>(List.of(root));
        try {
            Path real = root.toRealPath();
            if (!real.equals(root)) {
                forms.add(real);
            }
        } catch (IOException e) {
            // a missing root is only found as configured
        }
        for (Path form : forms) {
            labels.add(new Label(form, prefix,
                    Pattern.compile(Pattern.quote(form.toString()) + "(?:[/\\\\]|(?![\\p{L}\\p{N}_-]))")));
        }
    }
}
