package io.microw.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** A folder of text files: each regular file (in name order, hidden files skipped) is one text, in column {@code text}. */
final class DirectoryCursor extends RecordCursor {

    private final Iterator<Path> files;
    private Path current;

    DirectoryCursor(Path dir) {
        Files2.checkReadable(dir);
        try (Stream<Path> list = Files.list(dir)) {
            List<Path> sorted = list.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
            this.files = sorted.iterator();
        } catch (IOException e) {
            throw new DatasetException(dir.toString(), "could not list the folder (" + e.getMessage() + ")", e);
        }
    }

    @Override
    Map<String, String> next() {
        if (!files.hasNext()) {
            return null;
        }
        current = files.next();
        try {
            return Map.of(TxtCursor.COLUMN, Files.readString(current, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            throw new DatasetException(current.toString(), "could not read the file as UTF-8 text (" + e + ")", e);
        }
    }

    @Override
    String origin() {
        return String.valueOf(current);
    }

    @Override
    public void close() {
    }
}
