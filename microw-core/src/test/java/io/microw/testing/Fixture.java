package io.microw.testing;

import io.microw.io.SafetensorsFile;
import io.microw.io.TensorInfo;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** One architecture's Hugging Face reference outputs, copied into the test resources. */
public final class Fixture implements AutoCloseable {

    private final Path dir;
    private final SafetensorsFile reference;

    private Fixture(Path dir) {
        this.dir = dir;
        this.reference = SafetensorsFile.open(dir.resolve("reference.safetensors"));
    }

    public static Fixture open(String arch) {
        URL url = Fixture.class.getResource("/hf-reference/" + arch + "/reference.json");
        if (url == null) {
            throw new IllegalStateException("no fixture for " + arch + " in test resources");
        }
        try {
            return new Fixture(Path.of(url.toURI()).getParent());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The architectures whose fixtures are in the test resources (folder names under hf-reference). */
    public static java.util.List<String> architectures() {
        URL readme = Fixture.class.getResource("/hf-reference/README.md");
        if (readme == null) {
            throw new IllegalStateException("no hf-reference fixtures in test resources");
        }
        try (var dirs = java.nio.file.Files.list(Path.of(readme.toURI()).getParent())) {
            return dirs.filter(d -> java.nio.file.Files.isRegularFile(d.resolve("reference.json")))
                    .map(d -> d.getFileName().toString()).sorted().toList();
        } catch (java.io.IOException | URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path modelDir() {
        return dir.resolve("model");
    }

    public boolean has(String key) {
        return reference.contains(key);
    }

    public Ref get(String key) {
        TensorInfo info = reference.info(key);
        return new Ref(info.shape(), reference.readFloats(key));
    }

    public long[][] ids(String key) {
        TensorInfo info = reference.info(key);
        long[] flat = reference.readLongs(key);
        int rows = (int) info.shape()[0];
        int cols = (int) info.shape()[1];
        long[][] out = new long[rows][cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(flat, i * cols, out[i], 0, cols);
        }
        return out;
    }

    public java.util.Set<String> keys() {
        return reference.names();
    }

    @Override
    public void close() {
        reference.close();
    }

    /** A reference tensor: shape and float32 values. */
    public record Ref(long[] shape, float[] values) {
    }
}
