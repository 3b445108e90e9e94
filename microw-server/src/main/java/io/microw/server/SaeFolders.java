package io.microw.server;

import io.microw.sae.SaeFormat;
import io.microw.sae.SaeFormats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds SAE folders (any format {@link SaeFormats} detects) under the server's file roots, for the SAE picker: a
 * bounded walk (folders up to {@value #MAX_DEPTH} levels below a root, {@value #MAX_VISITS} folders looked at,
 * {@value #MAX_FOUND} SAEs) that follows no link, skips hidden folders and the data directory's own stores, and keeps
 * only folders {@link PathGuard#confine} accepts.
 */
final class SaeFolders {

    static final int MAX_DEPTH = 4;
    static final int MAX_VISITS = 5000;
    static final int MAX_FOUND = 200;

    /** Folders of the data directory that hold no SAE folders (activation runs, job files, manipulation configs). */
    private static final Set<String> DATA_SKIPPED = Set.of("store", "jobs", "manipulations");

    /** An SAE folder and the format that reads it. */
    record Found(Path folder, SaeFormat format) {
    }

    private SaeFolders() {
    }

    /**
     * The SAE folders under {@code roots} (the data directory first, then the file roots), in walk order.
     *
     * @param roots the roots ({@link ServerConfig#allFileRoots()})
     * @return the folders found, at most {@value #MAX_FOUND}
     */
    static List<Found> under(List<Path> roots) {
        List<Found> found = new ArrayList<>();
        int[] visits = {0};
        for (Path root : roots) {
            if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            boolean data = root.equals(roots.get(0));
            try {
                Files.walkFileTree(root, Set.of(), MAX_DEPTH + 1, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                        if (found.size() >= MAX_FOUND || ++visits[0] > MAX_VISITS) {
                            return FileVisitResult.TERMINATE;
                        }
                        if (!dir.equals(root) && skipped(root, dir, data)) {
                            return FileVisitResult.SKIP_SUBTREE;
                        }
                        Optional<SaeFormat> format = format(dir, roots);
                        if (format.isPresent()) {
                            found.add(new Found(dir, format.get()));
                            return FileVisitResult.SKIP_SUBTREE;
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        return FileVisitResult.CONTINUE; // an unreadable folder holds nothing we can offer
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException("cannot walk " + root, e);
            }
        }
        return found;
    }

    private static boolean skipped(Path root, Path dir, boolean data) {
        String name = dir.getFileName().toString();
        return name.startsWith(".") || data && dir.getParent().equals(root) && DATA_SKIPPED.contains(name);
    }

    /** The format of {@code dir} when it is an SAE folder that a load request could name; empty otherwise. */
    private static Optional<SaeFormat> format(Path dir, List<Path> roots) {
        Optional<SaeFormat> format = SaeFormats.ALL.stream().filter(f -> f.detects(dir)).findFirst();
        if (format.isEmpty()) {
            return format;
        }
        try {
            PathGuard.confine(dir.toString(), roots, "path");
            PathGuard.confineEntries(dir, roots, "path");
            return format;
        } catch (ApiException e) {
            return Optional.empty(); // a folder whose files lead out of the roots is not offered
        }
    }
}
