package io.microw.io.hub;

import io.microw.io.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Hugging Face hub cache layout, shared with Python's {@code huggingface_hub}:
 * <pre>
 * &lt;root&gt;/models--org--name/refs/&lt;revision&gt;            the commit hash a branch or tag points to
 * &lt;root&gt;/models--org--name/blobs/&lt;etag&gt;                file contents, named by their ETag
 * &lt;root&gt;/models--org--name/snapshots/&lt;commit&gt;/&lt;file&gt;  a relative symlink to the blob (or a copy)
 * &lt;root&gt;/models--org--name/.no_exist/&lt;commit&gt;/&lt;file&gt;  an empty marker: the file is not in that commit
 * </pre>
 * A cache written by Python is read as is; what this class writes Python reads too.
 */
final class HfCache {

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    private final Path root;

    /**
     * A cache rooted at {@code root} (the folder holding {@code models--org--name}).
     *
     * @param root the cache root; nothing is created until something is written
     */
    public HfCache(Path root) {
        this.root = root;
    }

    /**
     * The cache root the environment names: {@code $HF_HUB_CACHE}, {@code $HF_HOME/hub} or {@code ~/.cache/huggingface/hub}.
     *
     * @param env looks up environment variables ({@code System::getenv} or a map's {@code get})
     * @return the cache at that root
     */
    public static HfCache fromEnvironment(java.util.function.Function<String, String> env) {
        return new HfCache(HubSettings.cacheRoot(env));
    }

    /**
     * The cache root.
     *
     * @return the root folder
     */
    public Path root() {
        return root;
    }

    /**
     * Whether {@code revision} is already a full commit hash (40 lowercase hex digits).
     *
     * @param revision a branch, tag or commit hash
     * @return true for a full commit hash
     */
    public static boolean isCommitHash(String revision) {
        return COMMIT.matcher(revision).matches();
    }

    /**
     * {@code <root>/models--org--name}.
     *
     * @param repo the repository
     * @return its cache folder, whether or not it exists
     */
    public Path repoDir(RepoId repo) {
        return root.resolve(repo.cacheFolderName());
    }

    /**
     * The commit {@code revision} resolves to in the cache: itself for a commit hash, else {@code refs/<revision>}.
     *
     * @param repo     the repository
     * @param revision a branch, tag or commit hash
     * @return the commit, or empty when the cache has no ref for the revision
     */
    public Optional<String> commitFor(RepoId repo, String revision) {
        checkRelative(revision, "revision");
        if (isCommitHash(revision)) {
            return Optional.of(revision);
        }
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        try {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
            return commit.isEmpty() ? Optional.empty() : Optional.of(commit);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + ref, e);
        }
    }

    /**
     * Records that {@code revision} points to {@code commit} (nothing to do when the revision is the commit).
     *
     * @param repo     the repository
     * @param revision a branch or tag (a commit hash needs no ref)
     * @param commit   the commit it points to
     */
    public void writeRef(RepoId repo, String revision, String commit) {
        checkRelative(revision, "revision");
        if (revision.equals(commit)) {
            return;
        }
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        try {
            if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).trim().equals(commit)) {
                return;
            }
            AtomicFiles.writeString(ref, commit);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + ref, e);
        }
    }

    /**
     * {@code snapshots/<commit>}: the folder that looks like a model directory.
     *
     * @param repo   the repository
     * @param commit a commit hash
     * @return the snapshot folder, whether or not it exists
     */
    public Path snapshotDir(RepoId repo, String commit) {
        checkRelative(commit, "commit");
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    /**
     * The cached file, if present and readable (a symlink whose blob is gone counts as absent).
     *
     * @param repo   the repository
     * @param commit a commit hash
     * @param file   the file's path in the repository
     * @return the file's path in the snapshot, or empty
     */
    public Optional<Path> cachedFile(RepoId repo, String commit, String file) {
        checkRelative(file, "file name");
        Path path = snapshotDir(repo, commit).resolve(file);
        return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
    }

    /**
     * Whether the cache knows that {@code file} is not in {@code commit} (a {@code .no_exist} marker).
     *
     * @param repo   the repository
     * @param commit a commit hash
     * @param file   the file's path in the repository
     * @return true when a marker exists
     */
    public boolean knownMissing(RepoId repo, String commit, String file) {
        checkRelative(file, "file name");
        checkRelative(commit, "commit");
        return Files.exists(repoDir(repo).resolve(".no_exist").resolve(commit).resolve(file));
    }

    /**
     * Writes a {@code .no_exist} marker for {@code file} in {@code commit}, as Python does after a 404.
     *
     * @param repo   the repository
     * @param commit a commit hash
     * @param file   the file's path in the repository
     */
    public void markMissing(RepoId repo, String commit, String file) {
        checkRelative(file, "file name");
        checkRelative(commit, "commit");
        Path marker = repoDir(repo).resolve(".no_exist").resolve(commit).resolve(file);
        try {
            Files.createDirectories(marker.getParent());
            if (!Files.exists(marker)) {
                Files.createFile(marker);
            }
        } catch (FileAlreadyExistsException e) {
            // another process wrote it first
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + marker, e);
        }
    }

    /**
     * {@code blobs/<etag>}: the complete contents of a file.
     *
     * @param repo the repository
     * @param etag the file's ETag (its content hash)
     * @return the blob's path, whether or not it exists
     */
    public Path blob(RepoId repo, String etag) {
        checkRelative(etag, "etag");
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    /**
     * {@code blobs/<etag>.incomplete}: a download in progress, resumed from its length.
     *
     * @param repo the repository
     * @param etag the file's ETag (its content hash)
     * @return the partial download's path, whether or not it exists
     */
    public Path incompleteBlob(RepoId repo, String etag) {
        return blob(repo, etag).resolveSibling(etag + ".incomplete");
    }

    /**
     * Makes {@code snapshots/<commit>/<file>} point to {@code blobs/<etag>}: a relative symlink like Python's,
     * or, where symlinks cannot be made, a copy that appears under its name only when complete.
     *
     * @param repo   the repository
     * @param commit a commit hash
     * @param file   the file's path in the repository
     * @param etag   the ETag of its complete blob
     * @return the file's path in the snapshot
     */
    public Path link(RepoId repo, String commit, String file, String etag) {
        Path blob = blob(repo, etag);
        Path target = snapshotDir(repo, commit).resolve(file);
        try {
            Files.createDirectories(target.getParent());
            if (Files.isRegularFile(target)) {
                return target;
            }
            Files.deleteIfExists(target); // a dangling link
            try {
                Files.createSymbolicLink(target, target.getParent().relativize(blob));
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                AtomicFiles.write(target, out -> Files.copy(blob, out));
            }
            return target;
        } catch (FileAlreadyExistsException e) {
            return target; // another process linked it first
        } catch (IOException e) {
            throw new UncheckedIOException("could not create " + target + " for " + blob, e);
        }
    }

    /** Rejects names that would escape their folder ({@code ..}, absolute paths, backslashes). */
    static void checkRelative(String name, String what) {
        if (name == null || name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.contains("\0")) {
            throw new IllegalArgumentException("illegal " + what + " '" + name + "': expected a relative name");
        }
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IllegalArgumentException("illegal " + what + " '" + name
                        + "': it must not contain empty, '.' or '..' path parts");
            }
        }
    }
}
