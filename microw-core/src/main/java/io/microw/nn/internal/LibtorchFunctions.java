package io.microw.nn.internal;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Entry points of the native libraries in DJL's libtorch folder (libgomp's OpenMP settings, the MKL that
 * {@code libtorch_cpu} carries), found through JNA. Each lookup answers {@code null} where the library or the symbol
 * is missing (another libtorch build, another platform), so that callers keep libtorch's own behaviour there.
 */
final class LibtorchFunctions {

    private static final Logger LOG = LoggerFactory.getLogger(LibtorchFunctions.class);

    private final Path dir;

    private LibtorchFunctions(Path dir) {
        this.dir = dir;
    }

    /**
     * The folder of the loaded libtorch (loading the engine first).
     *
     * @return the lookup, or empty when the engine or its folder is not available
     */
    static Optional<LibtorchFunctions> find() {
        try {
            Engine.getEngine("PyTorch");   // loads libtorch, so that its folder is known
            return Optional.of(new LibtorchFunctions(Path.of(LibUtils.getLibtorchPath())));
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("libtorch's folder is not known: {}", e.toString());
            return Optional.empty();
        }
    }

    /**
     * An entry point of the library whose file name starts with {@code libraryPrefix} (libgomp's carries a hash).
     *
     * @param libraryPrefix the start of the library's file name
     * @param name          the symbol
     * @return the function, or {@code null} when the library or the symbol is missing
     */
    Function function(String libraryPrefix, String name) {
        return library(libraryPrefix).map(l -> function(l, name)).orElse(null);
    }

    /**
     * The library in libtorch's folder whose file name starts with {@code prefix}.
     *
     * @param prefix the start of the library's file name
     * @return the library, or empty when there is none (or it cannot be loaded)
     */
    Optional<NativeLibrary> library(String prefix) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix)).findFirst()
                    .map(f -> NativeLibrary.getInstance(f.toString()));
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.debug("no {} in {}: {}", prefix, dir, e.toString());
            return Optional.empty();
        }
    }

    private static Function function(NativeLibrary library, String name) {
        try {
            return library.getFunction(name);
        } catch (UnsatisfiedLinkError e) {
            LOG.debug("{} has no {}", library.getName(), name);
            return null;
        }
    }
}
