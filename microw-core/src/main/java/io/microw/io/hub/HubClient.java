package io.microw.io.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.io.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The few calls of the Hugging Face Hub HTTP API that downloading a model needs: {@code HEAD} and {@code GET} on
 * {@code {endpoint}/{repo}/resolve/{revision}/{file}}. Sends {@code Authorization: Bearer <token>} to the
 * endpoint's host only (never to the storage host a download redirects to), follows redirects itself, and turns
 * failures into {@link HubException}s that say what to do.
 */
final class HubClient {

    private static final ObjectMapper JSON = JsonMapper.mapper();

    private static final int MAX_REDIRECTS = 10;

    private final URI endpoint;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;

    /** Metadata of one file at one revision, from a {@code HEAD} request. */
    public record FileMetadata(String commit, String etag, long size) {
    }

    /**
     * A client of one Hub endpoint.
     *
     * @param endpoint the Hub's absolute http(s) URL, e.g. {@code https://huggingface.co}
     * @param token    the access token sent to the endpoint's host, or {@code null} for anonymous requests
     * @param timeout  connect and request timeout
     */
    public HubClient(String endpoint, String token, Duration timeout) {
        this.endpoint = URI.create(Objects.requireNonNull(endpoint, "endpoint"));
        if (this.endpoint.getScheme() == null || this.endpoint.getHost() == null) {
            throw new IllegalArgumentException("Hub endpoint '" + endpoint
                    + "' is not an absolute http(s) URL (e.g. https://huggingface.co)");
        }
        this.token = token;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(timeout)
                .build();
    }

    /**
     * {@code {endpoint}/{repo}/resolve/{revision}/{file}} ({@code {endpoint}/datasets/{repo}/...} for a dataset), with
     * the revision and file path URL-encoded.
     *
     * @param repo     the repository
     * @param revision a branch, tag or commit hash
     * @param file     the file's path in the repository
     * @return the download URL
     */
    public URI fileUrl(RepoId repo, String revision, String file) {
        StringBuilder path = new StringBuilder(endpoint.toString());
        path.append('/').append(repo.urlPath()).append("/resolve/").append(encode(revision));
        for (String part : file.split("/")) {
            path.append('/').append(encode(part));
        }
        return URI.create(path.toString());
    }

    /**
     * The commit, ETag and size of {@code file} at {@code revision}. Follows redirects within the endpoint (a
     * renamed repository) but reads the headers of a redirect to another host (the storage of large files), as
     * {@code huggingface_hub} does. A missing file is a {@link HubException} with status 404.
     *
     * @param repo     the repository
     * @param revision a branch, tag or commit hash
     * @param file     the file's path in the repository
     * @return the file's commit, ETag and size ({@code -1} when the server gives none)
     */
    public FileMetadata head(RepoId repo, String revision, String file) {
        URI url = fileUrl(repo, revision, file);
        HttpResponse<Void> response = null;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest request = request(url).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .header("Accept-Encoding", "identity").build();
            response = send(request, HttpResponse.BodyHandlers.discarding(), url);
            URI next = isRedirect(response.statusCode()) ? location(response, url) : null;
            if (next == null || !sameHost(next, endpoint)) {
                break;
            }
            url = next;
        }
        int status = response.statusCode();
        if (status >= 400) {
            throw failure(status, response.headers(), repo, revision, file, url);
        }
        HttpHeaders headers = response.headers();
        String commit = headers.firstValue("X-Repo-Commit").orElse(null);
        String etag = headers.firstValue("X-Linked-Etag").or(() -> headers.firstValue("ETag")).map(HubClient::normalizeEtag)
                .orElse(null);
        if (commit == null || etag == null || etag.isEmpty()) {
            throw new HubException("the server at " + endpoint + " answered HEAD " + url + " (HTTP " + status
                    + ") without " + (commit == null ? "an X-Repo-Commit" : "an ETag") + " header, so " + file
                    + " of " + repo + " cannot be cached; is " + endpoint + " a Hugging Face Hub endpoint?", status, null);
        }
        if (!etag.matches("[A-Za-z0-9._+=:-]+") || etag.startsWith(".")) {
            throw new HubException("the server at " + endpoint + " sent ETag '" + etag + "' for " + file + " of " + repo
                    + ", which cannot name a cache file (expected a hash such as a sha256)", status, null);
        }
        long size = headers.firstValue("X-Linked-Size").or(() -> headers.firstValue("Content-Length"))
                .map(HubClient::parseLong).orElse(-1L);
        return new FileMetadata(commit, etag, size);
    }

    /**
     * Starts a {@code GET} of {@code file}, from byte {@code from} on when {@code from > 0} (a {@code Range}
     * request). Returns the response with status 200, 206 or 416 and its body unread; others are errors.
     *
     * @param repo     the repository
     * @param revision a branch, tag or commit hash
     * @param file     the file's path in the repository
     * @param from     the first byte wanted, 0 for the whole file
     * @return the response; the caller reads and closes its body
     */
    public HttpResponse<InputStream> get(RepoId repo, String revision, String file, long from) {
        URI url = fileUrl(repo, revision, file);
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder builder = request(url).GET().header("Accept-Encoding", "identity");
            if (from > 0) {
                builder.header("Range", "bytes=" + from + "-");
            }
            HttpResponse<InputStream> response = send(builder.build(), HttpResponse.BodyHandlers.ofInputStream(), url);
            int status = response.statusCode();
            if (status == 200 || status == 206 || status == 416) {
                return response;
            }
            closeQuietly(response.body());
            URI next = isRedirect(status) ? location(response, url) : null;
            if (next == null) {
                throw failure(status, response.headers(), repo, revision, file, url);
            }
            url = next;
        }
        throw new HubException("more than " + MAX_REDIRECTS + " redirects while downloading " + file + " of " + repo
                + " (last: " + url + ")");
    }

    /**
     * The paths of every file in the repository at {@code revision}, from the Hub's tree API
     * ({@code /api/models|datasets/<id>/tree/<revision>?recursive=true}), following its {@code Link: rel="next"}
     * pages.
     *
     * @param repo     the repository
     * @param revision a branch, tag or commit hash
     * @return the file paths, in the order the Hub lists them
     */
    public List<String> listFiles(RepoId repo, String revision) {
        String kind = repo.isDataset() ? "datasets" : "models";
        URI url = URI.create(endpoint + "/api/" + kind + "/" + repo.id() + "/tree/"
                + URLEncoder.encode(revision, StandardCharsets.UTF_8) + "?recursive=true");
        List<String> paths = new ArrayList<>();
        for (int page = 0; url != null; page++) {
            if (page > 10_000) {
                throw new HubException("too many pages listing the files of " + repo + " (last: " + url + ")");
            }
            HttpResponse<String> response = send(request(url).GET().build(), HttpResponse.BodyHandlers.ofString(), url);
            if (response.statusCode() != 200) {
                throw failure(response.statusCode(), response.headers(), repo, revision, "(file listing)", url);
            }
            try {
                for (JsonNode entry : JSON.readTree(response.body())) {
                    if ("file".equals(entry.path("type").asText())) {
                        paths.add(entry.path("path").asText());
                    }
                }
            } catch (IOException e) {
                throw new HubException("the file listing of " + repo + " from " + url + " is not JSON: " + e.getMessage(),
                        0, e);
            }
            url = nextPage(response.headers(), url);
        }
        return paths;
    }

    private static URI nextPage(HttpHeaders headers, URI base) {
        for (String link : headers.allValues("Link")) {
            for (String part : link.split(",")) {
                if (part.contains("rel=\"next\"")) {
                    String target = part.substring(part.indexOf('<') + 1, part.indexOf('>'));
                    return base.resolve(target);
                }
            }
        }
        return null;
    }

    private HttpRequest.Builder request(URI url) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(url).timeout(timeout)
                .header("User-Agent", "microw; java/" + Runtime.version().feature());
        if (token != null && sameHost(url, endpoint)) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler, URI url) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw new HubException("could not reach " + url + " (" + describe(e) + "); check the network or the"
                    + " endpoint (HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to use the local cache only", 0, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("interrupted while requesting " + url, 0, e);
        }
    }

    private HubException failure(int status, HttpHeaders headers, RepoId repo, String revision, String file, URI url) {
        String code = headers.firstValue("X-Error-Code").orElse("");
        String serverMessage = headers.firstValue("X-Error-Message").map(m -> " Server says: " + m).orElse("");
        String where = repo + " (revision '" + revision + "', file " + file + ")";
        String message;
        if (status == 401 || status == 403) {
            message = "access to " + where + " was refused (HTTP " + status + " from " + url + "). The repository"
                    + " may be gated or private, or may not exist. "
                    + (token == null
                        ? "No token was sent: set HF_TOKEN (or PretrainedOptions.withToken) to a Hugging Face access"
                          + " token that can read it"
                        : "The token that was sent cannot read it: check HF_TOKEN (or PretrainedOptions.withToken)")
                    + ", and for a gated model accept its license on the model page first.";
        } else if (status == 404) {
            if (code.equals("RevisionNotFound")) {
                message = "revision '" + revision + "' of " + repo + " not found (HTTP 404 from " + url + ")";
            } else if (code.equals("EntryNotFound")) {
                message = "file " + file + " not found in " + repo + " at revision '" + revision + "' (HTTP 404 from "
                        + url + ")";
            } else if (code.equals("RepoNotFound")) {
                message = "repository " + repo + " not found (HTTP 404 from " + url + "); check the repo id";
            } else {
                message = "repository " + repo + ", revision '" + revision + "' or file " + file
                        + " not found (HTTP 404 from " + url + "); check the repo id and revision";
            }
        } else {
            message = "the Hub answered HTTP " + status + " for " + where + " (" + url + ")"
                    + (status >= 500 ? "; the server has a problem, try again later" : "");
        }
        return new HubException(message + serverMessage, status, null);
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static URI location(HttpResponse<?> response, URI base) {
        return response.headers().firstValue("Location").map(base::resolve).orElse(null);
    }

    private static boolean sameHost(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme())
                && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && a.getPort() == b.getPort();
    }

    /** Strips a weak-validator prefix and quotes: {@code W/"abc"} becomes {@code abc}. */
    static String normalizeEtag(String etag) {
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e.toLowerCase(Locale.ROOT).matches("[0-9a-f]{64}") ? e.toLowerCase(Locale.ROOT) : e;
    }

    private static long parseLong(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
