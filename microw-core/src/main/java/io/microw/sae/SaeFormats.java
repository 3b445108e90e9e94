package io.microw.sae;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The SAE formats {@link Sae#load(Path)} recognises, SAELens first, and the detection that picks one. */
public final class SaeFormats {

    /** Every format, in the order tried. */
    public static final List<SaeFormat> ALL = List.of(SaeLensFormat.FORMAT, new GemmaScopeFormat(),
            new LlamaScopeFormat(), new SparsifyFormat(), new DictionaryLearningFormat());

    private SaeFormats() {
    }

    /**
     * The first format that detects {@code path}; the error names the path and what each format looks for.
     *
     * @param path a file or folder
     * @return the format
     */
    public static SaeFormat detect(Path path) {
        if (!Files.exists(path)) {
            throw new SaeException("SAE path " + path + " does not exist");
        }
        for (SaeFormat f : ALL) {
            if (f.detects(path)) {
                return f;
            }
        }
        throw new SaeException("no known SAE format at " + path + " (" + contents(path) + "); tried "
                + ALL.stream().map(f -> f.name() + " (" + f.looksFor() + ")").collect(Collectors.joining("; ")));
    }

    private static String contents(Path path) {
        if (!Files.isDirectory(path)) {
            return "a file";
        }
        try (Stream<Path> files = Files.list(path)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().limit(10).toList();
            return names.isEmpty() ? "an empty folder" : "a folder holding " + String.join(", ", names);
        } catch (IOException e) {
            return "an unreadable folder";
        }
    }

    /**
     * Loads the SAE at {@code path} with the format that detects it.
     *
     * @param path a file or folder
     * @return the SAE
     */
    public static Sae load(Path path) {
        return detect(path).load(path);
    }
}
