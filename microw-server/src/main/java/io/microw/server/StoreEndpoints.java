package io.microw.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.microw.store.LocalStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.FileVisitResult;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * GET /api/store: what the server's data directory holds (runs, trained SAEs, manipulations) and its disk use.
 *
 * @param config the server's configuration (its data directory)
 * @param manipulations the saved manipulation configs
 */
record StoreEndpoints(ServerConfig config, ManipulationStore manipulations) {

    /** GET /api/store: runs, SAE folders, manipulations, bytes used and free in the data directory. */
    void info(Context ctx) {
        Path data = config.dataDirectory();
        ObjectNode n = Json.object();
        n.put("path", PathGuard.display(data, config));
        n.put("runs", new LocalStore(data.resolve("store")).listRuns().size());
        n.put("bytes", size(data));
        try {
            n.put("free_bytes", Files.getFileStore(data).getUsableSpace());
        } catch (IOException e) {
            n.putNull("free_bytes");
        }
        ArrayNode saes = n.putArray("saes");
        Path saeDir = data.resolve("saes");
        if (Files.isDirectory(saeDir)) {
            try (Stream<Path> children = Files.list(saeDir)) {
                children.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(saes::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + saeDir, e);
            }
        }
        n.put("manipulations", manipulations.count());
        Endpoints.json(ctx, 200, n);
    }

    /** Bytes of the regular files under {@code dir}, from the walk's own attributes (unreadable entries count 0). */
    private static long size(Path dir) {
        long[] total = {0};
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    total[0] += attrs.isRegularFile() ? attrs.size() : 0;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // what was counted so far
        }
        return total[0];
    }
}
