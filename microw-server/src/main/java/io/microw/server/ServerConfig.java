package io.microw.server;

import io.microw.demo.BrownGpt2;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How a {@link MicrowServer} runs.
 *
 * @param host interface to bind, 127.0.0.1 by default
 * @param port port to bind; 0 picks a free one ({@link MicrowServer#port()} reports it)
 * @param dataDirectory the server's own directory; SAE paths may point inside it
 * @param allowedModels model ids that may be loaded ({@code brown-gpt2} is the embedded demo model; others are
 *                      Hugging Face Hub ids, addressed in URLs with {@code --} in place of {@code /})
 * @param modelRoots folders whose direct subfolders are local models, addressed by the subfolder's name
 * @param fileRoots folders that file paths in requests (SAE folders) must lie in, besides the data directory
 * @param apiKey the key expected in the {@code X-API-Key} header, or null for none
 * @param protectReads whether GET requests need the key too (when one is configured)
 * @param maxRequestBytes largest request body accepted; larger ones get 413
 * @param batchGenerations whether concurrent greedy generations without hooks on one model run as one batch
 * @param allowedOrigins web origins ({@code scheme://host[:port]}, lower case) whose pages may call the API besides the
 *                       server's own pages
 * @param allowedHosts host names (lower case, IPv6 addresses in brackets) accepted in the {@code Host} header besides
 *                     localhost, 127.0.0.1, [::1] and the bound address
 */
public record ServerConfig(String host, int port, Path dataDirectory, List<String> allowedModels,
                           List<Path> modelRoots, List<Path> fileRoots, String apiKey, boolean protectReads,
                           long maxRequestBytes, boolean batchGenerations, List<String> allowedOrigins,
                           List<String> allowedHosts) {

    /** The header that carries the API key. */
    public static final String API_KEY_HEADER = "X-API-Key";

    /** A host name or IPv4 address, or an IPv6 address in brackets; no scheme, no port. */
    private static final Pattern HOST_NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]*[a-z0-9])?|\\[[0-9a-f:.]+]");

    /**
     * Checks the values and normalises the paths (absolute, no {@code ..}), the origins and the host names.
     *
     * @param host            the interface to bind
     * @param port            0..65535 (0: a free one)
     * @param dataDirectory   the server's data directory
     * @param allowedModels   model ids that may be loaded
     * @param modelRoots      folders of local models
     * @param fileRoots       folders request paths may point into
     * @param apiKey          the key, or null for none
     * @param protectReads    whether reads need the key
     * @param maxRequestBytes the largest body accepted, positive
     * @param batchGenerations whether concurrent greedy generations are batched
     * @param allowedOrigins  extra web origins that may call the API
     * @param allowedHosts    extra names accepted in the Host header
     * @throws IllegalArgumentException for a blank key, a bad origin or host name, or a value out of range
     */
    public ServerConfig {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        dataDirectory = dataDirectory.toAbsolutePath().normalize();
        allowedModels = List.copyOf(allowedModels);
        modelRoots = modelRoots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        fileRoots = fileRoots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("the API key is blank (empty or only white space), which would mean no "
                    + "key; give a key with visible characters, or null for no key");
        }
        if (maxRequestBytes < 1) {
            throw new IllegalArgumentException("maxRequestBytes must be positive, got " + maxRequestBytes);
        }
        allowedOrigins = allowedOrigins.stream().map(ServerConfig::origin).distinct().toList();
        allowedHosts = allowedHosts.stream().map(ServerConfig::hostName).distinct().toList();
    }

    /** An origin as browsers send it: {@code scheme://host[:port]}, lower case, without the scheme's default port. */
    private static String origin(String value) {
        String expected = "allowed origin '" + value + "' must be scheme://host[:port] with scheme http or https and "
                + "nothing after the port, like http://localhost:3000";
        URI uri;
        try {
            uri = new URI(Objects.requireNonNull(value, "allowed origin").strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(expected, e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        boolean bare = uri.getRawUserInfo() == null && (uri.getRawPath() == null || uri.getRawPath().isEmpty())
                && uri.getRawQuery() == null && uri.getRawFragment() == null;
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || !bare) {
            throw new IllegalArgumentException(expected);
        }
        int defaultPort = scheme.equals("http") ? 80 : 443;
        int port = uri.getPort();
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT)
                + (port == -1 || port == defaultPort ? "" : ":" + port);
    }

    /** A host name as the Host header carries it, lower case, without a port. */
    private static String hostName(String value) {
        String name = Objects.requireNonNull(value, "allowed host").strip().toLowerCase(Locale.ROOT);
        if (!HOST_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("allowed host '" + value + "' must be a host name or address without "
                    + "scheme or port, like mybox.lan, 192.168.1.5 or [fe80::1]");
        }
        return name;
    }

    /**
     * The API key, when one is configured.
     *
     * @return the key, or empty
     */
    public Optional<String> key() {
        return Optional.ofNullable(apiKey);
    }

    /**
     * Every folder a request's path may point into.
     *
     * @return the data directory, then the file roots
     */
    public List<Path> allFileRoots() {
        List<Path> all = new ArrayList<>();
        all.add(dataDirectory);
        all.addAll(fileRoots);
        return all;
    }

    /**
     * A builder with the defaults: 127.0.0.1, port 0 (a free one), ~/.microw/server, brown-gpt2 only, no key, 1 MiB bodies.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String toString() {
        return "ServerConfig[host=" + host + ", port=" + port + ", data=" + dataDirectory + ", models=" + allowedModels
                + ", modelRoots=" + modelRoots + ", fileRoots=" + fileRoots + ", apiKey=" + (apiKey == null ? "none" : "***")
                + ", protectReads=" + protectReads + ", maxRequestBytes=" + maxRequestBytes
                + ", allowedOrigins=" + allowedOrigins + ", allowedHosts=" + allowedHosts + "]";
    }

    /** Builds a {@link ServerConfig}. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port;
        private Path dataDirectory = Path.of(System.getProperty("user.home"), ".microw", "server");
        private List<String> allowedModels = List.of(BrownGpt2.NAME);
        private final List<Path> modelRoots = new ArrayList<>();
        private final List<Path> fileRoots = new ArrayList<>();
        private String apiKey;
        private boolean protectReads;
        private long maxRequestBytes = 1 << 20;
        private boolean batchGenerations = true;
        private final List<String> allowedOrigins = new ArrayList<>();
        private final List<String> allowedHosts = new ArrayList<>();

        /**
         * The interface to bind (default 127.0.0.1).
         *
         * @param host a host name or address
         * @return this builder
         */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /**
         * The port (default 0: a free one, see {@link MicrowServer#port()}).
         *
         * @param port 0..65535
         * @return this builder
         */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /**
         * The data directory: jobs database, store, trained SAEs, manipulation configs.
         *
         * @param dir a folder, created at start
         * @return this builder
         */
        public Builder dataDirectory(Path dir) {
            this.dataDirectory = dir;
            return this;
        }

        /**
         * The model ids that may be loaded (default brown-gpt2 only).
         *
         * @param ids Hub ids or brown-gpt2
         * @return this builder
         */
        public Builder allowedModels(List<String> ids) {
            this.allowedModels = List.copyOf(ids);
            return this;
        }

        /**
         * Adds a folder whose subfolders are local models, loaded by the subfolder's name.
         *
         * @param root a folder
         * @return this builder
         */
        public Builder modelRoot(Path root) {
            this.modelRoots.add(root);
            return this;
        }

        /**
         * Adds a folder that file paths in requests may point into, besides the data directory.
         *
         * @param root a folder
         * @return this builder
         */
        public Builder fileRoot(Path root) {
            this.fileRoots.add(root);
            return this;
        }

        /**
         * The key clients send in X-API-Key (default none: no key needed).
         *
         * @param key the key, or null for none (a blank key is refused by {@link #build()})
         * @return this builder
         */
        public Builder apiKey(String key) {
            this.apiKey = key;
            return this;
        }

        /**
         * Whether GET requests need the key too (default false).
         *
         * @param on true to protect reads
         * @return this builder
         */
        public Builder protectReads(boolean on) {
            this.protectReads = on;
            return this;
        }

        /**
         * The largest request body accepted; larger ones get 413 (default 1 MiB).
         *
         * @param bytes a positive byte count
         * @return this builder
         */
        public Builder maxRequestBytes(long bytes) {
            this.maxRequestBytes = bytes;
            return this;
        }

        /**
         * Whether concurrent greedy generations without hooks on one model run as one batch (default true).
         * A batched row can differ from the same prompt generated alone only where float rounding flips a near tie.
         *
         * @param on false to run every request alone
         * @return this builder
         */
        public Builder batchGenerations(boolean on) {
            this.batchGenerations = on;
            return this;
        }

        /**
         * Adds a web origin whose pages may call the API; without one, only the server's own pages may (requests with a
         * foreign {@code Origin} get 403).
         *
         * @param origin {@code scheme://host[:port]}, like {@code http://localhost:3000}
         * @return this builder
         */
        public Builder allowedOrigin(String origin) {
            this.allowedOrigins.add(origin);
            return this;
        }

        /**
         * Adds a name accepted in the {@code Host} header besides localhost, 127.0.0.1, [::1] and the bound address
         * (other names get 421): the name clients use to reach a server bound to 0.0.0.0 or a LAN address.
         *
         * @param name a host name or address without port, like {@code mybox.lan}
         * @return this builder
         */
        public Builder allowedHost(String name) {
            this.allowedHosts.add(name);
            return this;
        }

        /**
         * The configuration, checked.
         *
         * @return the configuration
         */
        public ServerConfig build() {
            return new ServerConfig(host, port, dataDirectory, allowedModels, modelRoots, fileRoots, apiKey,
                    protectReads, maxRequestBytes, batchGenerations, allowedOrigins, allowedHosts);
        }
    }
}
