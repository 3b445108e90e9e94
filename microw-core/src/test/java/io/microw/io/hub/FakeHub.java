package io.microw.io.hub;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A stand-in for the Hugging Face Hub on 127.0.0.1 (random port): {@code HEAD} and {@code GET} on
 * {@code /{repo}/resolve/{revision}/{file}} with the Hub's headers ({@code X-Repo-Commit}, {@code ETag} =
 * sha256 for "LFS" files (safetensors) and a git-blob sha1 for the rest, {@code X-Linked-Size}), {@code Range}
 * support, an optional required token, and faults to inject. Records every request.
 */
public final class FakeHub implements AutoCloseable {

    /** The commit every repository is at. */
    public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    /** One request as the server saw it. */
    public record Request(String method, String path, String range, String authorization) {
        /** The file's path in the repository. */
        public String file() {
            return path.substring(path.indexOf("/resolve/") + "/resolve/".length()).replaceFirst("^[^/]+/", "");
        }
    }

    private final HttpServer server;
    private final Map<String, Map<String, byte[]>> repos = new HashMap<>();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> dropOnce = Collections.synchronizedSet(new HashSet<>());
    private final Set<String> corrupt = Collections.synchronizedSet(new HashSet<>());
    private volatile boolean ignoreRange;
    private volatile String requiredToken;

    /** Starts the server on 127.0.0.1, on a free port. */
    public FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Serves every file of {@code dir} as repo {@code repo}. */
    FakeHub serve(String repo, Path dir) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.sorted().toList()) {
                files.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        return serve(repo, files);
    }

    /** Serves {@code files} (by path in the repository) as repo {@code repo}. */
    public FakeHub serve(String repo, Map<String, byte[]> files) {
        repos.put(repo, new LinkedHashMap<>(files));
        return this;
    }

    /** The server's base URL. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Every request so far. */
    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** Forgets the requests so far. */
    public void clearRequests() {
        requests.clear();
    }

    /** The next GET of {@code file} sends all headers but only half the bytes, then closes the connection. */
    void dropHalfwayOnce(String file) {
        dropOnce.add(file);
    }

    /** GETs of {@code file} send other bytes (same length) than its sha256 ETag promises. */
    void corrupt(String file) {
        corrupt.add(file);
    }

    /** Answers range requests with the whole file and status 200, as some servers do. */
    void ignoreRange() {
        ignoreRange = true;
    }

    void requireToken(String token) {
        requiredToken = token;
    }

    static boolean isLfs(String file) {
        return file.endsWith(".safetensors");
    }

    static String etag(String file, byte[] content) {
        try {
            if (isLfs(file)) {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
            }
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + content.length + "\0").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha1.digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = URLDecoder.decode(ex.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
            Headers in = ex.getRequestHeaders();
            requests.add(new Request(ex.getRequestMethod(), path, in.getFirst("Range"), in.getFirst("Authorization")));
            Headers out = ex.getResponseHeaders();
            int resolve = path.indexOf("/resolve/");
            if (resolve < 0) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            String repo = path.substring(1, resolve);
            String rest = path.substring(resolve + "/resolve/".length());
            int slash = rest.indexOf('/');
            String revision = rest.substring(0, slash);
            String file = rest.substring(slash + 1);
            if (requiredToken != null && !("Bearer " + requiredToken).equals(in.getFirst("Authorization"))) {
                out.add("X-Error-Code", "GatedRepo");
                out.add("X-Error-Message", "Access to model " + repo + " is restricted.");
                ex.sendResponseHeaders(401, -1);
                return;
            }
            Map<String, byte[]> files = repos.get(repo);
            if (files == null) {
                out.add("X-Error-Code", "RepoNotFound");
                ex.sendResponseHeaders(404, -1);
                return;
            }
            if (!revision.equals("main") && !revision.equals(COMMIT)) {
                out.add("X-Error-Code", "RevisionNotFound");
                ex.sendResponseHeaders(404, -1);
                return;
            }
            byte[] content = files.get(file);
            if (content == null) {
                out.add("X-Error-Code", "EntryNotFound");
                out.add("X-Repo-Commit", COMMIT);
                ex.sendResponseHeaders(404, -1);
                return;
            }
            out.add("X-Repo-Commit", COMMIT);
            out.add("ETag", "\"" + etag(file, content) + "\"");
            out.add("Accept-Ranges", "bytes");
            if (isLfs(file)) {
                out.add("X-Linked-Etag", "\"" + etag(file, content) + "\"");
                out.add("X-Linked-Size", Long.toString(content.length));
            }
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.sendResponseHeaders(200, -1);
                return;
            }
            byte[] body = content;
            if (corrupt.contains(file)) {
                body = content.clone();
                body[body.length / 2] ^= 0x5a;
            }
            int from = 0;
            String range = in.getFirst("Range");
            if (range != null && !ignoreRange && range.matches("bytes=\\d+-")) {
                from = Integer.parseInt(range.substring(6, range.length() - 1));
                if (from >= body.length) {
                    out.add("Content-Range", "bytes */" + body.length);
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
                out.add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
                ex.sendResponseHeaders(206, body.length - from);
            } else {
                ex.sendResponseHeaders(200, body.length);
            }
            OutputStream os = ex.getResponseBody();
            if (dropOnce.remove(file)) {
                int half = (body.length - from) / 2;
                os.write(body, from, half);
                os.flush();
                // Close the socket under the exchange: the client sees the connection end before Content-Length.
                throw new DropConnection();
            }
            os.write(body, from, body.length - from);
        } catch (DropConnection e) {
            throw new IOException("dropping the connection on purpose");
        }
    }

    /** Thrown out of the handler so the server closes the connection mid-body. */
    private static final class DropConnection extends RuntimeException {
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static void write(Path file, byte[] content) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
