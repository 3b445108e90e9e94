package io.microw.io.hub;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * How {@code LanguageModel.fromPretrained} finds a model: the Hub revision, access token, cache folder, offline
 * mode, endpoint, progress listener, and where and in what precision the weights are loaded. Immutable; each
 * {@code with...} returns a changed copy. Unset values come from the environment as in Python
 * ({@code HF_TOKEN}, {@code HF_HUB_CACHE}, {@code HF_HOME}, {@code HF_HUB_OFFLINE}, {@code HF_ENDPOINT}); the
 * environment itself can be replaced with {@link #withEnvironment} (tests pass a map).
 */
public final class PretrainedOptions {

    /** The Hub's public endpoint, used when neither the options nor {@code HF_ENDPOINT} name another. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private static final PretrainedOptions DEFAULTS = new PretrainedOptions("main", null, null, null, null,
            Device.cpu(), DataType.FLOAT32, new ConsoleProgress(), System::getenv, false);

    private final String revision;
    private final String token;
    private final Path cacheDir;
    private final Boolean offline;
    private final String endpoint;
    private final Device device;
    private final DataType dtype;
    private final ProgressListener progress;
    private final Function<String, String> env;
    private final boolean refresh;

    private PretrainedOptions(String revision, String token, Path cacheDir, Boolean offline, String endpoint,
            Device device, DataType dtype, ProgressListener progress, Function<String, String> env, boolean refresh) {
        this.revision = revision;
        this.token = token;
        this.cacheDir = cacheDir;
        this.offline = offline;
        this.endpoint = endpoint;
        this.device = device;
        this.dtype = dtype;
        this.progress = progress;
        this.env = env;
        this.refresh = refresh;
    }

    /**
     * Revision {@code main}, everything else from the environment, CPU, float32, a progress bar on stderr.
     *
     * @return the default options
     */
    public static PretrainedOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Branch, tag or commit hash; default {@code main}.
     *
     * @return the revision
     */
    public String revision() {
        return revision;
    }

    /**
     * The access token set here, or {@code null} to use {@code HF_TOKEN} or the token file {@code huggingface-cli login} wrote.
     *
     * @return the token, or {@code null}
     */
    public String token() {
        return token;
    }

    /**
     * The hub cache folder set here, or {@code null} for {@code HF_HUB_CACHE}, {@code HF_HOME/hub} or {@code ~/.cache/huggingface/hub}.
     *
     * @return the cache folder, or {@code null}
     */
    public Path cacheDir() {
        return cacheDir;
    }

    /**
     * Offline mode set here, or {@code null} to follow {@code HF_HUB_OFFLINE}.
     *
     * @return the offline mode, or {@code null}
     */
    public Boolean offline() {
        return offline;
    }

    /**
     * The endpoint set here, or {@code null} for {@code HF_ENDPOINT} or {@link #DEFAULT_ENDPOINT}.
     *
     * @return the endpoint, or {@code null}
     */
    public String endpoint() {
        return endpoint;
    }

    /**
     * Where the weights are loaded; default CPU.
     *
     * @return the device
     */
    public Device device() {
        return device;
    }

    /**
     * The precision the weights are loaded in; default float32 (float16 needs a GPU device; bfloat16 is refused, see {@code LoadOptions}).
     *
     * @return the data type
     */
    public DataType dtype() {
        return dtype;
    }

    /**
     * Told about every download; default a {@link ConsoleProgress} bar on stderr ({@code ProgressListener.NONE} for silence).
     *
     * @return the listener
     */
    public ProgressListener progress() {
        return progress;
    }

    /**
     * Looks up environment variables; default {@link System#getenv(String)}.
     *
     * @return the lookup function
     */
    public Function<String, String> environment() {
        return env;
    }

    /**
     * Whether to ask the Hub for the revision's latest commit even when the cache holds a complete snapshot
     * for it; default false (a complete cached snapshot is used without any request).
     *
     * @return whether the Hub is always asked
     */
    public boolean refresh() {
        return refresh;
    }

    /**
     * Connect and read timeout of each request: 30 seconds.
     *
     * @return the timeout
     */
    public Duration timeout() {
        return REQUEST_TIMEOUT;
    }

    /**
     * These options with another revision.
     *
     * @param value a branch, tag or commit hash, not blank
     * @return the changed copy
     */
    public PretrainedOptions withRevision(String value) {
        Objects.requireNonNull(value, "revision");
        if (value.isBlank()) {
            throw new IllegalArgumentException("revision must not be blank (use 'main', a tag or a commit hash)");
        }
        return new PretrainedOptions(value, token, cacheDir, offline, endpoint, device, dtype, progress, env, refresh);
    }

    /**
     * The access token for gated or private repositories; {@code null} falls back to the environment.
     *
     * @param value the token, or {@code null}
     * @return the changed copy
     */
    public PretrainedOptions withToken(String value) {
        return new PretrainedOptions(revision, value, cacheDir, offline, endpoint, device, dtype, progress, env, refresh);
    }

    /**
     * The hub cache folder (the one holding {@code models--org--name}); {@code null} falls back to the environment.
     *
     * @param value the cache folder, or {@code null}
     * @return the changed copy
     */
    public PretrainedOptions withCacheDir(Path value) {
        return new PretrainedOptions(revision, token, value, offline, endpoint, device, dtype, progress, env, refresh);
    }

    /**
     * Offline mode on or off regardless of {@code HF_HUB_OFFLINE}.
     *
     * @param value whether only the cache is read
     * @return the changed copy
     */
    public PretrainedOptions withOffline(boolean value) {
        return new PretrainedOptions(revision, token, cacheDir, value, endpoint, device, dtype, progress, env, refresh);
    }

    /**
     * Another Hub endpoint (a mirror, a local server), e.g. {@code http://127.0.0.1:8080}.
     *
     * @param value the endpoint URL, or {@code null} for the environment's or the default
     * @return the changed copy
     */
    public PretrainedOptions withEndpoint(String value) {
        return new PretrainedOptions(revision, token, cacheDir, offline, value, device, dtype, progress, env, refresh);
    }

    /**
     * These options with another device to load the weights on.
     *
     * @param value the device
     * @return the changed copy
     */
    public PretrainedOptions withDevice(Device value) {
        Objects.requireNonNull(value, "device");
        return new PretrainedOptions(revision, token, cacheDir, offline, endpoint, value, dtype, progress, env, refresh);
    }

    /**
     * These options with another precision for the weights.
     *
     * @param value the data type
     * @return the changed copy
     */
    public PretrainedOptions withDtype(DataType value) {
        Objects.requireNonNull(value, "dtype");
        return new PretrainedOptions(revision, token, cacheDir, offline, endpoint, device, value, progress, env, refresh);
    }

    /**
     * These options with another download progress listener.
     *
     * @param value the listener; {@link ProgressListener#NONE} for none
     * @return the changed copy
     */
    public PretrainedOptions withProgress(ProgressListener value) {
        Objects.requireNonNull(value, "progress listener (use ProgressListener.NONE for none)");
        return new PretrainedOptions(revision, token, cacheDir, offline, endpoint, device, dtype, value, env, refresh);
    }

    /**
     * Replaces the environment lookup (a missing variable yields {@code null}).
     *
     * @param value looks up a variable by name
     * @return the changed copy
     */
    public PretrainedOptions withEnvironment(Function<String, String> value) {
        Objects.requireNonNull(value, "environment");
        return new PretrainedOptions(revision, token, cacheDir, offline, endpoint, device, dtype, progress, value, refresh);
    }

    /**
     * Replaces the environment with a fixed map; variables not in it are unset.
     *
     * @param value the variables (copied)
     * @return the changed copy
     */
    public PretrainedOptions withEnvironment(Map<String, String> value) {
        Map<String, String> copy = Map.copyOf(value);
        return withEnvironment(copy::get);
    }

    /**
     * These options with refresh on or off (see {@link #refresh()}).
     *
     * @param value whether to ask the Hub even when the cache holds a complete snapshot
     * @return the changed copy
     */
    public PretrainedOptions withRefresh(boolean value) {
        return new PretrainedOptions(revision, token, cacheDir, offline, endpoint, device, dtype, progress, env, value);
    }
}
