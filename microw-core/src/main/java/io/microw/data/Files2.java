package io.microw.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opening dataset files: a clear error for a missing or unreadable one, gzip undone when the name ends in .gz. */
final class Files2 {

    private Files2() {
    }

    /** Checks that {@code file} exists and can be read; the error names the file and what is wrong. */
    static void checkReadable(Path file) {
        if (!Files.exists(file)) {
            throw new DatasetException(file.toString(), "no such file or directory");
        }
        if (!Files.isReadable(file)) {
            throw new DatasetException(file.toString(), "the file is not readable (check its permissions)");
        }
    }

    /** A UTF-8 reader (malformed bytes are an error, not silently replaced). */
    static BufferedReader open(Path file) {
        checkReadable(file);
        try {
            InputStream in = Files.newInputStream(file);
            if (file.getFileName().toString().endsWith(".gz")) {
                in = new GZIPInputStream(in, 1 << 16);
            }
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)),
                    1 << 16);
        } catch (IOException e) {
            throw new DatasetException(file.toString(), "could not open the file (" + e.getMessage() + ")", e);
        }
    }
}
