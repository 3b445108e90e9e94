package io.microw.io.hub;

import io.microw.io.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one file into the cache the way {@code huggingface_hub} does: into {@code blobs/<etag>.incomplete},
 * resuming a partial file with a {@code Range} request (and starting over when the server ignores it), retrying
 * a dropped connection from where it stopped, checking the sha256 when the ETag is one, and renaming the
 * finished file into {@code blobs/<etag>} in one step. A corrupted download is deleted, never cached.
 */
final class Download {

    /** Attempts per file when the connection drops mid-transfer; each resumes where the last stopped. */
    static final int MAX_ATTEMPTS = 5;

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-\\d+/(\\d+|\\*)");
    private static final int REPORT_EVERY = 256 * 1024;

    private final HubClient client;
    private final HfCache cache;
    private final ProgressListener progress;

    Download(HubClient client, HfCache cache, ProgressListener progress) {
        this.client = client;
        this.cache = cache;
        this.progress = progress;
    }

    /** Makes sure {@code blobs/<etag>} holds {@code file} and returns it; a blob already there is used as is. */
    Path fetch(RepoId repo, String commit, String file, HubClient.FileMetadata meta) {
        Path blob = cache.blob(repo, meta.etag());
        if (Files.isRegularFile(blob)) {
            return blob;
        }
        Path partial = cache.incompleteBlob(repo, meta.etag());
        try {
            Files.createDirectories(blob.getParent());
            HubException last = null;
            for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                try {
                    transfer(repo, commit, file, meta.size(), partial);
                    last = null;
                    break;
                } catch (DroppedException e) {
                    last = new HubException("the download of " + file + " of " + repo + " broke off after "
                            + size(partial) + " bytes" + (meta.size() >= 0 ? " of " + meta.size() : "") + " ("
                            + e.getMessage() + "); " + MAX_ATTEMPTS + " attempts failed. Run again to resume from "
                            + partial, 0, e.getCause());
                }
            }
            if (last != null) {
                throw last;
            }
            verify(repo, file, meta, partial);
            AtomicFiles.move(partial, blob);
            return blob;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + partial + " while downloading " + file + " of " + repo, e);
        }
    }

    private void transfer(RepoId repo, String commit, String file, long expected, Path partial) throws IOException {
        long have = size(partial);
        if (expected >= 0 && have > expected) {
            Files.delete(partial);
            have = 0;
        }
        if (expected >= 0 && have == expected) {
            progress.onProgress(file, have, expected);
            return;
        }
        HttpResponse<InputStream> response = client.get(repo, commit, file, have);
        try (InputStream in = response.body()) {
            int status = response.statusCode();
            if (status == 416) {
                // The range starts at or past the end: what we have is either all of it or garbage.
                if (expected < 0 || have != expected) {
                    Files.deleteIfExists(partial);
                    throw new DroppedException("the server refused to resume at byte " + have, null);
                }
                return;
            }
            boolean append = false;
            if (status == 206) {
                Matcher m = CONTENT_RANGE.matcher(response.headers().firstValue("Content-Range").orElse(""));
                append = m.matches() && Long.parseLong(m.group(1)) == have;
                if (!append) {
                    Files.deleteIfExists(partial);
                    throw new DroppedException("the server resumed at another byte than " + have, null);
                }
            }
            long done = append ? have : 0;
            long total = expected;
            if (total < 0) {
                long length = response.headers().firstValueAsLong("Content-Length").orElse(-1L);
                total = length < 0 ? -1 : length + done;
            }
            progress.onProgress(file, done, total);
            try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buffer = new byte[64 * 1024];
                long reported = done;
                while (true) {
                    int n;
                    try {
                        n = in.read(buffer);
                    } catch (IOException e) {
                        throw new DroppedException(e.getClass().getSimpleName() + ": " + e.getMessage(), e);
                    }
                    if (n < 0) {
                        break;
                    }
                    out.write(buffer, 0, n);
                    done += n;
                    if (done - reported >= REPORT_EVERY) {
                        progress.onProgress(file, done, total);
                        reported = done;
                    }
                }
            }
            if (total >= 0 && done < total) {
                throw new DroppedException("the connection closed after " + done + " of " + total + " bytes", null);
            }
            progress.onProgress(file, done, total >= 0 ? total : done);
        }
    }

    private static void verify(RepoId repo, String file, HubClient.FileMetadata meta, Path partial) throws IOException {
        long actualSize = size(partial);
        if (meta.size() >= 0 && actualSize != meta.size()) {
            Files.deleteIfExists(partial);
            throw new HubException("downloaded " + file + " of " + repo + " has " + actualSize + " bytes but the Hub"
                    + " announced " + meta.size() + "; the partial file was deleted, run again to download it afresh");
        }
        if (!SHA256.matcher(meta.etag()).matches()) {
            return; // a git blob id (small non-LFS file): huggingface_hub does not check these either
        }
        String actual = sha256(partial);
        if (!actual.equals(meta.etag())) {
            Files.deleteIfExists(partial);
            throw new HubException("downloaded " + file + " of " + repo + " is corrupted: its sha256 is " + actual
                    + " but the Hub says it is " + meta.etag() + "; nothing was cached, run again to download it afresh");
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static long size(Path file) throws IOException {
        return Files.isRegularFile(file) ? Files.size(file) : 0;
    }

    /** The transfer stopped early; the partial file stays for the next attempt. */
    private static final class DroppedException extends IOException {
        DroppedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
