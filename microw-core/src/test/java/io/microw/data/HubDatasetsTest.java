package io.microw.data;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.microw.io.hub.HubException;
import io.microw.io.hub.PretrainedOptions;
import io.microw.io.hub.ProgressListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.microw.data.DataFiles.all;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HubDatasetsTest {

    private static final String COMMIT = "89abcdef0123456789abcdef0123456789abcdef";
    private static final String PREFIX = "/datasets/acme/reviews/resolve/";

    @TempDir
    Path dir;

    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private Map<String, byte[]> files;

    @BeforeEach
    void start() throws IOException {
        files = Map.of(
                "data/train-00000-of-00002.parquet", Files.readAllBytes(DataFiles.parquet(dir, "a.parquet",
                        List.of("good film", "bad film"), List.of("pos", "neg"))),
                "data/train-00001-of-00002.parquet", Files.readAllBytes(DataFiles.parquet(dir, "b.parquet",
                        List.of("fine film"), List.of("pos"))));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    /** Just enough of the Hub: HEAD and GET of one dataset's files at {@code main} or its commit. */
    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            requests.add(ex.getRequestMethod() + " " + path);
            if (path.equals("/api/datasets/acme/reviews/tree/main")) {
                listFiles(ex);
                return;
            }
            String rest = path.startsWith(PREFIX) ? path.substring(PREFIX.length()) : "";
            String revision = rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : "";
            boolean known = revision.equals("main") || revision.equals(COMMIT);
            byte[] body = known ? files.get(rest.substring(revision.length() + 1)) : null;
            if (body == null) {
                ex.getResponseHeaders().add("X-Error-Code", "EntryNotFound");
                ex.sendResponseHeaders(404, -1);
                return;
            }
            ex.getResponseHeaders().add("X-Repo-Commit", COMMIT);
            ex.getResponseHeaders().add("ETag", "\"" + sha256(body) + "\"");
            ex.getResponseHeaders().add("X-Linked-Size", Integer.toString(body.length));
            boolean head = ex.getRequestMethod().equals("HEAD");
            ex.sendResponseHeaders(200, head ? -1 : body.length);
            if (!head) {
                ex.getResponseBody().write(body);
            }
        }
    }

    /** The tree API: every served file plus a README, in two pages linked by {@code Link: rel="next"}. */
    private void listFiles(HttpExchange ex) throws IOException {
        boolean second = "page=2".equals(ex.getRequestURI().getQuery());
        String body = second
                ? "[{\"type\":\"file\",\"path\":\"data/train-00001-of-00002.parquet\"},"
                  + "{\"type\":\"file\",\"path\":\"data/test-00000-of-00001.parquet\"}]"
                : "[{\"type\":\"directory\",\"path\":\"data\"},{\"type\":\"file\",\"path\":\"README.md\"},"
                  + "{\"type\":\"file\",\"path\":\"data/train-00000-of-00002.parquet\"}]";
        if (!second) {
            ex.getResponseHeaders().add("Link", "</api/datasets/acme/reviews/tree/main?page=2>; rel=\"next\"");
        }
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    @Test
    void aSplitIsFoundThroughTheHubFileListing() {
        TextDataset data = HubDatasets.text("acme/reviews", "train", DatasetOptions.defaults(), hub());
        List<String> texts = new java.util.ArrayList<>();
        data.iterBatches(10).forEachRemaining(texts::addAll);
        assertThat(texts).containsExactly("good film", "bad film", "fine film");
        assertThat(HubDatasets.splitFiles("acme/reviews", "test", hub()))
                .containsExactly("data/test-00000-of-00001.parquet");
        assertThatThrownBy(() -> HubDatasets.text("acme/reviews", "validation", DatasetOptions.defaults(), hub()))
                .isInstanceOf(DatasetException.class).hasMessageContaining("split 'validation'")
                .hasMessageContaining("data/train-00000-of-00002.parquet");
        // offline, the cached snapshot is the listing: only the downloaded train shards are there
        assertThat(HubDatasets.splitFiles("acme/reviews", "train", hub().withOffline(true))).isEqualTo(SHARDS);
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private PretrainedOptions hub() {
        return PretrainedOptions.defaults().withEnvironment(Map.of()).withCacheDir(dir.resolve("cache"))
                .withEndpoint("http://127.0.0.1:" + server.getAddress().getPort()).withProgress(ProgressListener.NONE);
    }

    private static final List<String> SHARDS = List.of("data/train-00000-of-00002.parquet",
            "data/train-00001-of-00002.parquet");

    @Test
    void parquetShardsAreDownloadedIntoTheDatasetCacheAndReadInOrder() {
        TextDataset data = HubDatasets.text("acme/reviews", SHARDS, DatasetOptions.defaults(), hub());
        assertThat(all(data)).containsExactly("good film", "bad film", "fine film");
        assertThat(data.length()).hasValue(3);
        assertThat(data.describe()).contains("acme/reviews");
        assertThat(requests).allMatch(r -> r.contains(" /datasets/acme/reviews/resolve/"));
        Path snapshot = dir.resolve("cache/datasets--acme--reviews/snapshots/" + COMMIT);
        assertThat(snapshot.resolve(SHARDS.get(0))).isRegularFile();
        assertThat(dir.resolve("cache/datasets--acme--reviews/refs/main")).hasContent(COMMIT);

        requests.clear();
        ClassificationDataset labeled = HubDatasets.classification("acme/reviews", SHARDS,
                DatasetOptions.defaults().withStrategy(LoadingStrategy.STREAMING).withLabels(List.of("neg", "pos")),
                hub().withOffline(true));
        assertThat(requests).isEmpty();
        assertThat(all(labeled)).hasSize(3);
        assertThat(labeled.iterLabeledBatches(5).next()).extracting(Row::label).containsExactly("pos", "neg", "pos");
    }

    @Test
    void missingFilesAndOfflineCacheMissesAreClearErrors() {
        assertThatThrownBy(() -> HubDatasets.text("acme/reviews", List.of("data/nope.parquet"),
                DatasetOptions.defaults(), hub())).isInstanceOf(HubException.class)
                .hasMessageContaining("data/nope.parquet").hasMessageContaining("acme/reviews");
        assertThatThrownBy(() -> HubDatasets.text("acme/reviews", SHARDS, DatasetOptions.defaults(),
                hub().withOffline(true))).isInstanceOf(HubException.class).hasMessageContaining("offline")
                .hasMessageContaining("--repo-type dataset");
        assertThatThrownBy(() -> HubDatasets.text("acme/reviews", List.of("data/train.csv"),
                DatasetOptions.defaults(), hub())).hasMessageContaining("not a .parquet file");
        assertThatThrownBy(() -> HubDatasets.text("acme/../x", SHARDS, DatasetOptions.defaults(), hub()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void severalLocalFilesReadAsOne() {
        Path a = DataFiles.write(dir, "x1.txt", "one\ntwo\n");
        Path b = DataFiles.write(dir, "x2.txt", "three\n");
        TextDataset data = Datasets.fromFiles(List.of(a, b), DatasetOptions.defaults()
                .withStrategy(LoadingStrategy.ON_DISK));
        assertThat(all(data, 2)).containsExactly("one", "two", "three");
        assertThat(data.length()).hasValue(3);
    }
}
