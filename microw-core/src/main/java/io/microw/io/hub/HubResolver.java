package io.microw.io.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.io.JsonMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a Hub repo id into a local model directory, {@code snapshots/<commit>} in the Hugging Face cache, holding
 * {@code config.json}, the safetensors weights (single file, or the index and every shard it names) and, when the
 * repository has them, {@code tokenizer.json}, {@code tokenizer_config.json} and {@code generation_config.json}.
 * A complete cached snapshot is used without any request (unless {@link PretrainedOptions#refresh()}); otherwise
 * the missing files are downloaded. Offline, only the cache is read.
 */
public final class HubResolver {

    /** The single-file weights. */
    public static final String WEIGHTS = "model.safetensors";
    /** The index of sharded weights. */
    public static final String WEIGHTS_INDEX = "model.safetensors.index.json";
    /** Files used when the repository has them; their absence is fine. */
    public static final List<String> OPTIONAL_FILES =
            List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json");

    private static final Logger LOG = LoggerFactory.getLogger(HubResolver.class);
    private static final ObjectMapper JSON = JsonMapper.mapper();
    private static final String CONFIG = "config.json";

    private HubResolver() {
    }

    /**
     * Validates {@code repoId}, then returns the snapshot directory of its model, downloading what is missing.
     *
     * @param repoId  the model repository, {@code org/name} or {@code name}
     * @param options revision, token, cache, endpoint and offline settings
     * @return the cached snapshot folder, usable as a model directory
     */
    public static Path snapshot(String repoId, PretrainedOptions options) {
        RepoId repo = RepoId.parse(repoId);
        HubSettings settings = HubSettings.from(options);
        HfCache cache = new HfCache(settings.cacheRoot());
        String revision = options.revision();
        HfCache.checkRelative(revision, "revision");

        Optional<String> cached = cache.commitFor(repo, revision);
        List<String> missing = cached.map(c -> missingFiles(cache, repo, c, !settings.offline()))
                .orElse(List.of(CONFIG));
        if (cached.isPresent() && missing.isEmpty() && (settings.offline() || !options.refresh())) {
            return cache.snapshotDir(repo, cached.get());
        }
        if (settings.offline()) {
            throw offlineMiss(repo, revision, cache, cached, missing);
        }
        HubClient client = new HubClient(settings.endpoint(), settings.token(), options.timeout());
        try {
            return download(repo, revision, cache, client, new Download(client, cache, options.progress()));
        } catch (HubException e) {
            if (e.status() == 0 && cached.isPresent() && missing.isEmpty()) {
                LOG.warn("could not check {} (revision '{}') for updates, using the cached snapshot {}: {}",
                        repo, revision, cached.get(), e.getMessage());
                return cache.snapshotDir(repo, cached.get());
            }
            throw e;
        }
    }

    /**
     * The paths of every file of a repository at {@code options.revision()}: from the Hub, or offline from the
     * cached snapshot of that revision (an error when the cache has none).
     *
     * @param repo    the repository
     * @param options revision, token, cache, endpoint and offline settings
     * @return the file paths
     */
    public static List<String> listFiles(RepoId repo, PretrainedOptions options) {
        HubSettings settings = HubSettings.from(options);
        HfCache cache = new HfCache(settings.cacheRoot());
        String revision = options.revision();
        HfCache.checkRelative(revision, "revision");
        if (!settings.offline()) {
            return new HubClient(settings.endpoint(), settings.token(), options.timeout()).listFiles(repo, revision);
        }
        Optional<String> commit = cache.commitFor(repo, revision);
        Path snapshot = commit.map(c -> cache.snapshotDir(repo, c)).orElse(null);
        if (snapshot == null || !java.nio.file.Files.isDirectory(snapshot)) {
            throw offlineMiss(repo, revision, cache, commit, List.of("(file listing)"));
        }
        try (var files = java.nio.file.Files.walk(snapshot)) {
            return files.filter(f -> !java.nio.file.Files.isDirectory(f))
                    .map(f -> snapshot.relativize(f).toString().replace(java.io.File.separatorChar, '/'))
                    .sorted().toList();
        } catch (java.io.IOException e) {
            throw new HubException("cannot list the cached snapshot " + snapshot + ": " + e.getMessage(), 0, e);
        }
    }

    /**
     * One file of a repository (a model's or a dataset's) at {@code options.revision()}: the cached copy when the
     * cache holds it for that revision (no request unless {@link PretrainedOptions#refresh()}), else downloaded into
     * the cache. Offline, only the cache is read.
     *
     * @param repo    the repository
     * @param file    the file's path in the repository
     * @param options revision, token, cache, endpoint and offline settings
     * @return the file's path in the cache
     */
    public static Path file(RepoId repo, String file, PretrainedOptions options) {
        HubSettings settings = HubSettings.from(options);
        HfCache cache = new HfCache(settings.cacheRoot());
        String revision = options.revision();
        HfCache.checkRelative(revision, "revision");
        Optional<String> cached = cache.commitFor(repo, revision);
        Optional<Path> present = cached.flatMap(commit -> cache.cachedFile(repo, commit, file));
        if (present.isPresent() && (settings.offline() || !options.refresh())) {
            return present.get();
        }
        if (settings.offline()) {
            throw offlineMiss(repo, revision, cache, cached, List.of(file));
        }
        HubClient client = new HubClient(settings.endpoint(), settings.token(), options.timeout());
        try {
            HubClient.FileMetadata meta = client.head(repo, revision, file);
            HfCache.checkRelative(meta.commit(), "commit");
            cache.writeRef(repo, revision, meta.commit());
            return fetch(repo, meta.commit(), file, meta, cache, new Download(client, cache, options.progress()));
        } catch (HubException e) {
            if (e.status() == 0 && present.isPresent()) {
                LOG.warn("could not check {} of {} (revision '{}') for updates, using the cached copy: {}", file, repo,
                        revision, e.getMessage());
                return present.get();
            }
            throw e;
        }
    }

    /**
     * Whether every one of {@code files} of a repository is in the local cache at {@code options.revision()}, so that
     * reading them works offline; reads the cache only, never the network.
     *
     * @param repo    the repository
     * @param files   the files' paths in the repository
     * @param options revision and cache settings
     * @return true when all are cached
     */
    public static boolean isCached(RepoId repo, List<String> files, PretrainedOptions options) {
        HfCache cache = new HfCache(HubSettings.from(options).cacheRoot());
        if (!Files.isDirectory(cache.repoDir(repo))) {
            return false;
        }
        Optional<String> commit = cache.commitFor(repo, options.revision());
        return commit.isPresent() && files.stream().allMatch(f -> cache.cachedFile(repo, commit.get(), f).isPresent());
    }

    /**
     * Like {@link #file}, for a file the repository may lack: empty when the Hub answers 404 (remembered in the
     * cache's {@code .no_exist}, so later calls ask nothing), and offline when the cache does not hold it.
     *
     * @param repo    the repository
     * @param file    the file's path in the repository
     * @param options revision, token, cache, endpoint and offline settings
     * @return the file's path in the cache, or empty when it is absent
     */
    public static Optional<Path> optionalFile(RepoId repo, String file, PretrainedOptions options) {
        HubSettings settings = HubSettings.from(options);
        HfCache cache = new HfCache(settings.cacheRoot());
        String revision = options.revision();
        HfCache.checkRelative(revision, "revision");
        Optional<String> cached = cache.commitFor(repo, revision);
        if (cached.isPresent() && (settings.offline() || !options.refresh())) {
            Optional<Path> present = cache.cachedFile(repo, cached.get(), file);
            if (present.isPresent() || cache.knownMissing(repo, cached.get(), file)) {
                return present;
            }
        }
        if (settings.offline()) {
            return Optional.empty();
        }
        try {
            return Optional.of(file(repo, file, options));
        } catch (HubException e) {
            if (e.status() != 404) {
                throw e;
            }
            cache.commitFor(repo, revision).ifPresent(commit -> cache.markMissing(repo, commit, file));
            return Optional.empty();
        }
    }

    private static Path download(RepoId repo, String revision, HfCache cache, HubClient client, Download download) {
        HubClient.FileMetadata config = client.head(repo, revision, CONFIG);
        String commit = config.commit();
        HfCache.checkRelative(commit, "commit");
        cache.writeRef(repo, revision, commit);
        fetch(repo, commit, CONFIG, config, cache, download);

        if (cache.cachedFile(repo, commit, WEIGHTS).isEmpty()) {
            Path index = cache.cachedFile(repo, commit, WEIGHTS_INDEX).orElse(null);
            if (index == null) {
                HubClient.FileMetadata single = headOptional(client, cache, repo, commit, WEIGHTS);
                if (single != null) {
                    fetch(repo, commit, WEIGHTS, single, cache, download);
                } else {
                    HubClient.FileMetadata indexMeta = headOptional(client, cache, repo, commit, WEIGHTS_INDEX);
                    if (indexMeta == null) {
                        throw new HubException(repo + " at revision '" + revision + "' (commit " + commit + ") has"
                                + " neither " + WEIGHTS + " nor " + WEIGHTS_INDEX + "; microw reads safetensors"
                                + " weights only (PyTorch .bin checkpoints must be converted)", 404, null);
                    }
                    index = fetch(repo, commit, WEIGHTS_INDEX, indexMeta, cache, download);
                }
            }
            if (index != null) {
                for (String shard : shards(index)) {
                    if (cache.cachedFile(repo, commit, shard).isEmpty()) {
                        fetch(repo, commit, shard, client.head(repo, commit, shard), cache, download);
                    }
                }
            }
        }
        for (String file : OPTIONAL_FILES) {
            if (cache.cachedFile(repo, commit, file).isEmpty() && !cache.knownMissing(repo, commit, file)) {
                HubClient.FileMetadata meta = headOptional(client, cache, repo, commit, file);
                if (meta != null) {
                    fetch(repo, commit, file, meta, cache, download);
                }
            }
        }
        return cache.snapshotDir(repo, commit);
    }

    /** HEAD of a file that may be absent: a 404 is recorded in {@code .no_exist} and yields {@code null}. */
    private static HubClient.FileMetadata headOptional(HubClient client, HfCache cache, RepoId repo, String commit,
            String file) {
        try {
            return client.head(repo, commit, file);
        } catch (HubException e) {
            if (e.status() == 404) {
                cache.markMissing(repo, commit, file);
                return null;
            }
            throw e;
        }
    }

    private static Path fetch(RepoId repo, String commit, String file, HubClient.FileMetadata meta, HfCache cache,
            Download download) {
        Optional<Path> present = cache.cachedFile(repo, commit, file);
        if (present.isPresent()) {
            return present.get();
        }
        download.fetch(repo, commit, file, meta);
        return cache.link(repo, commit, file, meta.etag());
    }

    /**
     * What the snapshot lacks: config, weights (or shards) and, when {@code withUnknownOptional}, optional files
     * neither cached nor known to be absent.
     */
    static List<String> missingFiles(HfCache cache, RepoId repo, String commit, boolean withUnknownOptional) {
        List<String> missing = new ArrayList<>();
        if (cache.cachedFile(repo, commit, CONFIG).isEmpty()) {
            missing.add(CONFIG);
        }
        if (cache.cachedFile(repo, commit, WEIGHTS).isEmpty()) {
            Optional<Path> index = cache.cachedFile(repo, commit, WEIGHTS_INDEX);
            if (index.isEmpty()) {
                missing.add(WEIGHTS + " (or " + WEIGHTS_INDEX + ")");
            } else {
                for (String shard : shards(index.get())) {
                    if (cache.cachedFile(repo, commit, shard).isEmpty()) {
                        missing.add(shard);
                    }
                }
            }
        }
        if (withUnknownOptional) {
            for (String file : OPTIONAL_FILES) {
                if (cache.cachedFile(repo, commit, file).isEmpty() && !cache.knownMissing(repo, commit, file)) {
                    missing.add(file);
                }
            }
        }
        return missing;
    }

    /** The shard file names an index's {@code weight_map} points to, in order of first use. */
    static Set<String> shards(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the weight index " + index, e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new HubException(index + " has no 'weight_map' object naming the shard files");
        }
        Set<String> shards = new LinkedHashSet<>();
        for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
            JsonNode value = it.next();
            if (!value.isTextual()) {
                throw new HubException(index + ": weight_map values must be shard file names, found " + value);
            }
            HfCache.checkRelative(value.asText(), "shard file name in " + index);
            shards.add(value.asText());
        }
        return shards;
    }

    private static HubException offlineMiss(RepoId repo, String revision, HfCache cache, Optional<String> commit,
            List<String> missing) {
        String what = commit.isEmpty()
                ? "there is no " + cache.repoDir(repo).resolve("refs").resolve(revision) + " (the revision was never"
                  + " downloaded to this cache)"
                : "snapshot " + commit.get() + " lacks " + String.join(", ", missing);
        return new HubException("offline mode (HF_HUB_OFFLINE or PretrainedOptions.withOffline) and " + repo
                + " at revision '" + revision + "' is not complete in the cache " + cache.root() + ": " + what
                + ". Run once online, or fetch it with `huggingface-cli download " + repo
                + (repo.isDataset() ? " --repo-type dataset" : "")
                + ("main".equals(revision) ? "" : " --revision " + revision) + "`"
                + " (set HF_HUB_CACHE or HF_HOME if the files are in another cache)");
    }
}
