package io.microw.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Files and folders that appear complete or not at all: the content goes to a temporary name in the target's own
 * folder, is flushed to disk, and is then renamed over the target. A failure (a full disk, a body that throws) leaves
 * the old target as it was and removes the temporary file; its {@link IOException} names the target. Temporary
 * names start with a dot and end in {@code .tmp}, so that leftovers of a killed process can be recognised.
 */
public final class AtomicFiles {

    /** Writes content to an output stream; may throw {@link IOException}. */
    @FunctionalInterface
    public interface IoConsumer<T> {
        /**
         * Writes to {@code target}.
         *
         * @param target where to write
         * @throws IOException when writing fails
         */
        void accept(T target) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Writes {@code file} from what {@code body} writes, replacing it if it exists and creating its folder.
     *
     * @param file the file to write
     * @param body writes the content (the stream is buffered; it may close it)
     * @throws IOException naming {@code file}, when anything fails; the old file is then untouched
     */
    public static void write(Path file, IoConsumer<OutputStream> body) throws IOException {
        Path target = file.toAbsolutePath();
        Path tmp;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + e, e);
        }
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                body.accept(out);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            move(tmp, target);
        } catch (IOException e) {
            IOException named = new IOException("cannot write " + file + ": " + e, e);
            remove(tmp, named);
            throw named;
        } catch (Throwable e) {
            remove(tmp, e);
            throw e;
        }
    }

    /** Deletes {@code leftover} after {@code failure}; a failure to delete it is added to {@code failure}. */
    private static void remove(Path leftover, Throwable failure) {
        try {
            deleteTree(leftover);
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Writes {@code bytes} to {@code file} as {@link #write} does.
     *
     * @param file  the file to write
     * @param bytes its content
     * @throws IOException naming {@code file}, when anything fails
     */
    public static void writeBytes(Path file, byte[] bytes) throws IOException {
        write(file, out -> out.write(bytes));
    }

    /**
     * Writes {@code text} to {@code file} in UTF-8 as {@link #write} does.
     *
     * @param file the file to write
     * @param text its content
     * @throws IOException naming {@code file}, when anything fails
     */
    public static void writeString(Path file, CharSequence text) throws IOException {
        writeBytes(file, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Renames {@code from} to {@code to} (in the same folder), replacing {@code to}: atomically where the file system
     * can, as a plain replacing move where it cannot.
     *
     * @param from the complete file
     * @param to   its final name
     * @throws IOException when the rename fails
     */
    public static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Creates the folder {@code target} complete or not at all: {@code fill} fills a temporary folder beside it,
     * which is then renamed to {@code target}. When another writer made {@code target} meanwhile, that one is kept.
     * The temporary folder never remains.
     *
     * @param target the folder to create (its parent is created)
     * @param fill   writes the folder's files into the folder it is given
     * @return true when this call created {@code target}, false when it existed already at the rename
     * @throws AtomicMoveNotSupportedException when the file system cannot rename folders atomically
     * @throws IOException                     when filling or renaming fails
     */
    public static boolean publishDirectory(Path target, IoConsumer<Path> fill) throws IOException {
        Path abs = target.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + UUID.randomUUID() + ".tmp");
        Files.createDirectory(tmp);
        try {
            fill.accept(tmp);
        } catch (Throwable e) {
            remove(tmp, e);
            throw e;
        }
        try {
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (AtomicMoveNotSupportedException e) {
            remove(tmp, e);
            throw e;
        } catch (IOException e) {
            remove(tmp, e);
            if (Files.isDirectory(abs)) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Deletes a file or a folder with everything in it; nothing happens when it does not exist.
     *
     * @param root the file or folder
     * @throws IOException when something cannot be deleted
     */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
