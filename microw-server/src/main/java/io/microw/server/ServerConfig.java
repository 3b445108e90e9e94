package io.microw.server;

import io.microw.demo.BrownGpt2;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
 */
public record ServerConfig(String host, int port, Path dataDirectory, List<String> allowedModels,
                           List<Path> modelRoots, List<Path> fileRoots, String apiKey, boolean protectReads,
                           long maxRequestBytes, boolean batchGenerations) {

    /** The header that carries the API key. */
    public static final String API_KEY_HEADER = "X-API-Key";

    /**
     * Checks the values and normalises the paths (absolute, no {@code ..}); a blank key means none.
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
            apiKey = null;
        }
        if (maxRequestBytes < 1) {
            throw new IllegalArgumentException("maxRequestBytes must be positive, got " + maxRequestBytes);
        }
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
                + ", protectReads=" + protectReads + ", maxRequestBytes=" + maxRequestBytes + "]";
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
         * @param key the key, or null or blank for none
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
         * The configuration, checked.
         *
         * @return the configuration
         */
        public ServerConfig build() {
            return new ServerConfig(host, port, dataDirectory, allowedModels, modelRoots, fileRoots, apiKey,
                    protectReads, maxRequestBytes, batchGenerations);
        }
    }
}
