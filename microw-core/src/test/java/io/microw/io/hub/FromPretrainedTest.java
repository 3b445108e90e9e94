package io.microw.io.hub;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.LoadOptions;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code LanguageModel.fromPretrained} against a fake Hub on 127.0.0.1 serving the GPT-2 fixture. */
class FromPretrainedTest {

    private static final String REPO = "microw-test/tiny-gpt2";
    private static final long[][] IDS = {{464, 68, 586, 831, 45}};
    private static final long[][] MASK = {{1, 1, 1, 1, 1}};

    @TempDir
    Path tmp;

    private FakeHub hub;
    private Path cache;
    private Path modelDir;

    @BeforeEach
    void start() throws IOException {
        try (Fixture fixture = Fixture.open("gpt2")) {
            modelDir = fixture.modelDir();
        }
        hub = new FakeHub().serve(REPO, modelDir);
        cache = tmp.resolve("hub");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    /** Options that never touch the real environment or HOME: a temp cache, the fake Hub, an empty environment. */
    private PretrainedOptions options() {
        return options(Map.of());
    }

    private PretrainedOptions options(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("HF_HOME", tmp.resolve("hf-home").toString());
        return PretrainedOptions.defaults().withEnvironment(all).withCacheDir(cache).withEndpoint(hub.endpoint());
    }

    private Path repoDir() {
        return cache.resolve("models--microw-test--tiny-gpt2");
    }

    private float[] logits(LanguageModel model) {
        try (InferenceResult result = model.inference().forward(IDS, MASK)) {
            return result.logits().toFloatArray();
        }
    }

    private float[] referenceLogits() {
        try (LanguageModel direct = LanguageModel.load(modelDir)) {
            return logits(direct);
        }
    }

    private List<FakeHub.Request> gets(String file) {
        return hub.requests().stream().filter(r -> r.method().equals("GET") && r.file().equals(file)).toList();
    }

    private List<String> filesUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> !Files.isDirectory(p)).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void downloadsIntoThePythonLayoutThenLoadsAndRuns() throws IOException {
        List<String> progress = new ArrayList<>();
        PretrainedOptions opts = options().withProgress((f, done, total) -> progress.add(f + ":" + done + "/" + total));
        try (LanguageModel model = LanguageModel.fromPretrained(REPO, opts)) {
            assertThat(logits(model)).containsExactly(referenceLogits());
            assertThat(model.device()).isEqualTo(Device.cpu());
            assertThat(model.directory()).contains(repoDir().resolve("snapshots").resolve(FakeHub.COMMIT));
        }
        assertThat(Files.readString(repoDir().resolve("refs/main"))).isEqualTo(FakeHub.COMMIT);
        byte[] weights = Files.readAllBytes(modelDir.resolve("model.safetensors"));
        String sha = FakeHub.etag("model.safetensors", weights);
        Path snapshotWeights = repoDir().resolve("snapshots/" + FakeHub.COMMIT + "/model.safetensors");
        assertThat(Files.isSymbolicLink(snapshotWeights)).isTrue();
        assertThat(Files.readSymbolicLink(snapshotWeights).toString()).isEqualTo("../../blobs/" + sha);
        assertThat(Files.readAllBytes(repoDir().resolve("blobs/" + sha))).isEqualTo(weights);
        assertThat(filesUnder(repoDir().resolve("blobs"))).noneMatch(f -> f.endsWith(".incomplete"));
        assertThat(filesUnder(repoDir().resolve("snapshots/" + FakeHub.COMMIT)))
                .containsExactly("config.json", "generation_config.json", "model.safetensors");
        assertThat(filesUnder(repoDir().resolve(".no_exist/" + FakeHub.COMMIT)))
                .containsExactly("tokenizer.json", "tokenizer_config.json");
        assertThat(progress).contains("model.safetensors:" + weights.length + "/" + weights.length);
        assertThat(hub.requests()).allMatch(r -> r.authorization() == null);
    }

    @Test
    void aSecondLoadIsACacheHitWithoutAnyRequest() {
        LanguageModel.fromPretrained(REPO, options()).close();
        assertThat(gets("model.safetensors")).hasSize(1);
        hub.clearRequests();
        try (LanguageModel model = LanguageModel.fromPretrained(REPO, options())) {
            assertThat(logits(model)).containsExactly(referenceLogits());
        }
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void refreshAsksForTheLatestCommitButDownloadsNothingAgain() {
        LanguageModel.fromPretrained(REPO, options()).close();
        hub.clearRequests();
        LanguageModel.fromPretrained(REPO, options().withRefresh(true)).close();
        assertThat(hub.requests()).isNotEmpty().noneMatch(r -> r.method().equals("GET"));
    }

    @Test
    void offlineWithAWarmCacheWorksAndWithAColdCacheFailsClearly() {
        LanguageModel.fromPretrained(REPO, options()).close();
        hub.clearRequests();
        LanguageModel.fromPretrained(REPO, options().withOffline(true)).close();
        LanguageModel.fromPretrained(REPO, options(Map.of("HF_HUB_OFFLINE", "1"))).close();
        assertThat(hub.requests()).isEmpty();

        PretrainedOptions cold = options(Map.of("HF_HUB_OFFLINE", "1")).withCacheDir(tmp.resolve("empty"));
        assertThatThrownBy(() -> LanguageModel.fromPretrained(REPO, cold))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("offline")
                .hasMessageContaining(REPO)
                .hasMessageContaining("revision 'main'")
                .hasMessageContaining("huggingface-cli download " + REPO);
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void offlineNamesTheMissingFileOfAnIncompleteSnapshot() throws IOException {
        LanguageModel.fromPretrained(REPO, options()).close();
        Files.delete(repoDir().resolve("snapshots/" + FakeHub.COMMIT + "/model.safetensors"));
        assertThatThrownBy(() -> LanguageModel.fromPretrained(REPO, options().withOffline(true)))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining(FakeHub.COMMIT);
    }

    @Test
    void aGatedRepoNeedsTheToken() {
        hub.requireToken("hf_secret");
        assertThatThrownBy(() -> LanguageModel.fromPretrained(REPO, options()))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("HF_TOKEN")
                .hasMessageContaining("401")
                .hasMessageContaining(REPO)
                .satisfies(e -> assertThat(((HubException) e).status()).isEqualTo(401));
        assertThat(repoDir().resolve("snapshots")).doesNotExist();

        try (LanguageModel model = LanguageModel.fromPretrained(REPO, options(Map.of("HF_TOKEN", "hf_secret")))) {
            assertThat(logits(model)).containsExactly(referenceLogits());
        }
        assertThat(hub.requests()).filteredOn(r -> r.authorization() != null)
                .allMatch(r -> r.authorization().equals("Bearer hf_secret")).isNotEmpty();
    }

    @Test
    void aWrongTokenIsRefusedAndTheOptionBeatsTheEnvironment() {
        hub.requireToken("hf_secret");
        assertThatThrownBy(() -> LanguageModel.fromPretrained(REPO, options().withToken("hf_wrong")))
                .isInstanceOf(HubException.class).hasMessageContaining("token that was sent");
        LanguageModel.fromPretrained(REPO, options(Map.of("HF_TOKEN", "hf_wrong")).withToken("hf_secret")).close();
    }

    @Test
    void theTokenFileOfHuggingfaceCliLoginIsUsed() throws IOException {
        hub.requireToken("hf_secret");
        FakeHub.write(tmp.resolve("hf-home/token"), "hf_secret\n".getBytes());
        LanguageModel.fromPretrained(REPO, options()).close();
    }

    @Test
    void anUnknownRepoIsNotFound() throws IOException {
        assertThatThrownBy(() -> LanguageModel.fromPretrained("nobody/no-such-model", options()))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("nobody/no-such-model")
                .hasMessageContaining("not found")
                .satisfies(e -> assertThat(((HubException) e).status()).isEqualTo(404));
        assertThat(filesUnder(cache)).isEmpty();
    }

    @Test
    void anUnknownRevisionIsNotFound() {
        assertThatThrownBy(() -> LanguageModel.fromPretrained(REPO, options().withRevision("v9")))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("revision 'v9'")
                .hasMessageContaining(REPO);
    }

    @Test
    void aRepoWithoutSafetensorsSaysSo() throws IOException {
        hub.serve("microw-test/bin-only", Map.of("config.json", Files.readAllBytes(modelDir.resolve("config.json")),
                "pytorch_model.bin", new byte[10]));
        assertThatThrownBy(() -> LanguageModel.fromPretrained("microw-test/bin-only", options()))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining("microw-test/bin-only");
    }

    @Test
    void anUnreachableEndpointIsANetworkErrorNamingTheUrl() throws IOException {
        String dead;
        try (FakeHub other = new FakeHub()) {
            dead = other.endpoint();
        }
        assertThatThrownBy(() -> LanguageModel.fromPretrained(REPO, options().withEndpoint(dead)))
                .isInstanceOf(HubException.class)
                .hasMessageContaining(dead + "/" + REPO + "/resolve/main/config.json")
                .hasMessageContaining("HF_HUB_OFFLINE");
    }

    @Test
    void theEndpointComesFromHfEndpoint() {
        PretrainedOptions viaEnv = options(Map.of("HF_ENDPOINT", hub.endpoint() + "/")).withEndpoint(null);
        LanguageModel.fromPretrained(REPO, viaEnv).close();
        assertThat(gets("model.safetensors")).hasSize(1);
    }

    @Test
    void anInterruptedDownloadResumesWithARangeRequest() throws IOException {
        byte[] weights = Files.readAllBytes(modelDir.resolve("model.safetensors"));
        hub.dropHalfwayOnce("model.safetensors");
        try (LanguageModel model = LanguageModel.fromPretrained(REPO, options())) {
            assertThat(logits(model)).containsExactly(referenceLogits());
        }
        List<FakeHub.Request> gets = gets("model.safetensors");
        assertThat(gets).hasSize(2);
        assertThat(gets.get(0).range()).isNull();
        assertThat(gets.get(1).range()).matches("bytes=\\d+-").isNotEqualTo("bytes=0-");
        String sha = FakeHub.etag("model.safetensors", weights);
        assertThat(Files.readAllBytes(repoDir().resolve("blobs/" + sha))).isEqualTo(weights);
    }

    @Test
    void aPartialFileFromAnEarlierRunIsResumed() throws IOException {
        byte[] weights = Files.readAllBytes(modelDir.resolve("model.safetensors"));
        String sha = FakeHub.etag("model.safetensors", weights);
        int half = weights.length / 2;
        FakeHub.write(repoDir().resolve("blobs/" + sha + ".incomplete"), java.util.Arrays.copyOf(weights, half));
        LanguageModel.fromPretrained(REPO, options()).close();
        assertThat(gets("model.safetensors")).extracting(FakeHub.Request::range).containsExactly("bytes=" + half + "-");
        assertThat(Files.readAllBytes(repoDir().resolve("blobs/" + sha))).isEqualTo(weights);
    }

    @Test
    void aServerThatIgnoresTheRangeStillGivesTheRightBytes() throws IOException {
        byte[] weights = Files.readAllBytes(modelDir.resolve("model.safetensors"));
        String sha = FakeHub.etag("model.safetensors", weights);
        FakeHub.write(repoDir().resolve("blobs/" + sha + ".incomplete"), java.util.Arrays.copyOf(weights, 1000));
        hub.ignoreRange();
        hub.dropHalfwayOnce("model.safetensors");
        LanguageModel.fromPretrained(REPO, options()).close();
        assertThat(Files.readAllBytes(repoDir().resolve("blobs/" + sha))).isEqualTo(weights);
        assertThat(filesUnder(repoDir().resolve("blobs"))).noneMatch(f -> f.endsWith(".incomplete"));
    }

    @Test
    void aCorruptedDownloadIsRejectedAndLeavesNothingBehind() throws IOException {
        byte[] weights = Files.readAllBytes(modelDir.resolve("model.safetensors"));
        String sha = FakeHub.etag("model.safetensors", weights);
        hub.corrupt("model.safetensors");
        assertThatThrownBy(() -> LanguageModel.fromPretrained(REPO, options()))
                .isInstanceOf(HubException.class)
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining("corrupted")
                .hasMessageContaining(sha)
                .hasMessageMatching("(?s).*sha256 is [0-9a-f]{64}.*");
        assertThat(filesUnder(repoDir().resolve("blobs"))).noneMatch(f -> f.startsWith(sha));
        assertThat(filesUnder(repoDir().resolve("snapshots"))).doesNotContain(FakeHub.COMMIT + "/model.safetensors");
    }

    @Test
    void aCacheWrittenByPythonIsUsedWithoutAnyRequest() throws IOException {
        // Python's layout: refs/main -> commit, blobs named by etag, snapshot entries as relative symlinks.
        String commit = "fedcba9876543210fedcba9876543210fedcba98";
        Path repo = cache.resolve("models--someone--gpt2-from-python");
        FakeHub.write(repo.resolve("refs/main"), commit.getBytes());
        Path snapshot = repo.resolve("snapshots/" + commit);
        Files.createDirectories(snapshot);
        try (Stream<Path> files = Files.list(modelDir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                byte[] content = Files.readAllBytes(f);
                String etag = FakeHub.etag(name, content);
                FakeHub.write(repo.resolve("blobs/" + etag), content);
                Files.createSymbolicLink(snapshot.resolve(name), Path.of("../../blobs/" + etag));
            }
        }
        FakeHub.write(repo.resolve(".no_exist/" + commit + "/tokenizer.json"), new byte[0]);
        FakeHub.write(repo.resolve(".no_exist/" + commit + "/tokenizer_config.json"), new byte[0]);
        try (LanguageModel model = LanguageModel.fromPretrained("someone/gpt2-from-python", options())) {
            assertThat(logits(model)).containsExactly(referenceLogits());
        }
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void aCacheWithPlainFilesInTheSnapshotIsUsedOffline() throws IOException {
        String commit = "fedcba9876543210fedcba9876543210fedcba98";
        Path repo = cache.resolve("models--gpt2");
        FakeHub.write(repo.resolve("refs/v1.0"), (commit + "\n").getBytes());
        try (Stream<Path> files = Files.list(modelDir)) {
            for (Path f : files.toList()) {
                FakeHub.write(repo.resolve("snapshots/" + commit + "/" + f.getFileName()), Files.readAllBytes(f));
            }
        }
        LanguageModel.fromPretrained("gpt2", options().withRevision("v1.0").withOffline(true)).close();
        LanguageModel.fromPretrained("gpt2", options().withRevision(commit).withOffline(true)).close();
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void aShardedCheckpointDownloadsTheIndexAndEveryShard() throws IOException {
        Map<String, byte[]> files = new HashMap<>();
        files.put("config.json", Files.readAllBytes(modelDir.resolve("config.json")));
        Path sharded = Shards.split(modelDir.resolve("model.safetensors"), tmp.resolve("sharded"));
        try (Stream<Path> list = Files.list(sharded)) {
            for (Path f : list.toList()) {
                files.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        hub.serve("microw-test/sharded", files);
        try (LanguageModel model = LanguageModel.fromPretrained("microw-test/sharded", options())) {
            assertThat(logits(model)).containsExactly(referenceLogits());
        }
        assertThat(gets("model.safetensors")).isEmpty();
        assertThat(hub.requests()).filteredOn(r -> r.method().equals("GET")).extracting(FakeHub.Request::file)
                .contains("model.safetensors.index.json", "model-00001-of-00002.safetensors",
                        "model-00002-of-00002.safetensors");
        hub.clearRequests();
        LanguageModel.fromPretrained("microw-test/sharded", options()).close();
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void anIllegalRepoIdIsAnIllegalArgument() {
        for (String bad : List.of("a--b/c", "org/na..me", "-org/name", "org/name-", "a/b/c", "org/na me", "org/")) {
            assertThatThrownBy(() -> LanguageModel.fromPretrained(bad, options()))
                    .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad);
        }
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void aLocalDirectoryIsLoadedDirectly() {
        try (LanguageModel model = LanguageModel.fromPretrained(modelDir.toString(), options())) {
            assertThat(model.directory()).contains(modelDir);
        }
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void aMissingLocalPathIsNeitherADirectoryNorARepoId() {
        String path = tmp.resolve("no/such/dir").toString();
        assertThatThrownBy(() -> LanguageModel.fromPretrained(path, options()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(path)
                .hasMessageContaining("neither an existing model directory");
    }

    @Test
    void halfPrecisionOnTheCpuIsRefusedBeforeAnyDownload() {
        assertThatThrownBy(() -> LanguageModel.fromPretrained(REPO, options().withDtype(DataType.FLOAT16)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("float32");
        assertThatThrownBy(() -> LanguageModel.load(modelDir, LoadOptions.defaults().withDtype(DataType.FLOAT16)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CPU");
        assertThatThrownBy(() -> LanguageModel.fromPretrained(REPO, options().withDtype(DataType.BFLOAT16)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bfloat16");
        assertThatThrownBy(() -> LoadOptions.defaults().withDtype(DataType.INT8))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void loadWithExplicitCpuOptionsMatchesPlainLoad() {
        try (LanguageModel model = LanguageModel.load(modelDir, LoadOptions.defaults().withDevice(Device.cpu()))) {
            assertThat(model.dtype()).isEqualTo(DataType.FLOAT32);
            assertThat(logits(model)).containsExactly(referenceLogits());
        }
    }
}
