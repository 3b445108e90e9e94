package io.microw.lm;

import io.microw.MicrowException;
import io.microw.models.OnnxBertImporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Converts an ONNX BERT into a temporary model directory, loads it and deletes the directory. */
final class OnnxBertLoader {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxBertLoader.class);

    private OnnxBertLoader() {
    }

    /** See {@link LanguageModel#fromOnnxBert}. */
    static LanguageModel load(Path onnx, Path tokenizerJson) {
        Path dir;
        try {
            dir = Files.createTempDirectory("microw-onnx-bert-");
        } catch (IOException e) {
            throw new MicrowException("cannot create a temporary directory to convert " + onnx + ": " + e.getMessage(),
                    e);
        }
        try {
            OnnxBertImporter.convert(onnx, tokenizerJson, dir);
            return LanguageModel.load(dir);
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("cannot delete {}: {}", p, e.getMessage());
                }
            });
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", dir, e.getMessage());
        }
    }
}
