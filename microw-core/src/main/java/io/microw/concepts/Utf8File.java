package io.microw.concepts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads a whole UTF-8 text file (a leading byte-order mark dropped), with errors that name what the file is. */
final class Utf8File {

    private Utf8File() {
    }

    /**
     * The file's text.
     *
     * @param what what the file is, for messages ("concept file")
     * @param path the file
     */
    static String read(String what, Path path) {
        try {
            byte[] bytes = Files.readAllBytes(path);
            String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (NoSuchFileException e) {
            throw new ConceptException(what + " " + path + " does not exist", e);
        } catch (CharacterCodingException e) {
            throw new ConceptException(what + " " + path + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + what + " " + path, e);
        }
    }
}
