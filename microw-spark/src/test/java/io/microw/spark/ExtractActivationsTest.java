package io.microw.spark;

import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.store.LocalStore;
import io.microw.store.Store;
import io.microw.store.StoredTensor;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExtractActivationsTest {

    private static final List<String> LAYERS = List.of("transformer.h.0", "transformer.h.2.mlp");
    private static final List<String> COLUMNS = List.of("transformer_h_0", "transformer_h_2_mlp");

    @TempDir
    static Path dir;

    /** (text id, position) to [token id, special, layer 0 values, layer 1 values], from single-process saving. */
    private static Map<String, Object[]> reference;
    private static List<String> sentences;

    @BeforeAll
    static void saveSingleProcess() {
        sentences = TestSpark.brownSentences();
        try (LanguageModel lm = BrownGpt2.load()) {
            lm.activations().saveActivations(sentences, LAYERS, SaveOptions.into(dir.resolve("store"))
                    .withRunName("ref"));
        }
        reference = readStore(new LocalStore(dir.resolve("store")), "ref");
    }

    @Test
    void equalsSingleProcessSavingWhateverThePartitioning() {
        Dataset<Row> texts = TestSpark.texts(sentences);
        String byOrder = dir.resolve("by-order").toString();
        ActivationsManifest m1 = MicrowSpark.extractActivations(texts.coalesce(1), "text", ModelRef.demo(), LAYERS,
                ExtractOptions.into(byOrder).withBatchSize(5));
        String byId = dir.resolve("by-id").toString();
        ActivationsManifest m3 = MicrowSpark.extractActivations(texts.repartition(3), "text", ModelRef.demo(), LAYERS,
                ExtractOptions.into(byId).withIdColumn("id").withBatchSize(4).withSortWindow(7));

        assertEqualsReference(read(byOrder));
        assertEqualsReference(read(byId));
        assertThat(m1.rows()).isEqualTo(reference.size());
        assertThat(m1.texts()).isEqualTo(sentences.size());
        assertThat(m1.layers()).isEqualTo(LAYERS);
        assertThat(m1.columns()).isEqualTo(COLUMNS);
        assertThat(m1.widths()).containsExactly(256, 256);
        assertThat(m1.layout()).isEqualTo(ActivationLayout.FLOAT_ARRAY);
        assertThat(m1.model()).isEqualTo("brown-gpt2");
        assertThat(m1.configHash()).startsWith("sha256:").hasSize(7 + 64);
        assertThat(ActivationsManifest.read(byId, hadoop())).isEqualTo(m3);
        assertThat(Files.exists(Path.of(byId, ActivationsManifest.FILE))).isTrue();
    }

    @Test
    void binaryLayoutHoldsTheSameValuesAsLittleEndianFloat32() throws Exception {
        String out = dir.resolve("binary").toString();
        ActivationsManifest m = MicrowSpark.extractActivations(TestSpark.texts(sentences).repartition(2), "text",
                ModelRef.demo(), LAYERS, ExtractOptions.into(out).withIdColumn("id")
                        .withLayout(ActivationLayout.BINARY));
        assertThat(m.layout()).isEqualTo(ActivationLayout.BINARY);
        assertThat(ActivationsManifest.read(out, hadoop())).isEqualTo(m);
        assertThat(Files.readString(Path.of(out, ActivationsManifest.FILE))).contains("\"layout\" : \"binary\"");
        Dataset<Row> back = TestSpark.session().read().parquet(out);
        for (String column : COLUMNS) {
            assertThat(back.schema().apply(column).dataType()).isEqualTo(DataTypes.BinaryType);
        }
        assertThat(back.select(functions.length(functions.col(COLUMNS.get(0)))).distinct().as(Encoders.INT())
                .collectAsList()).as("bytes per value").containsExactly(4 * 256);
        assertEqualsReference(read(out));
        assertThat(m.rows()).isEqualTo(reference.size());
    }

    private static void assertEqualsReference(Map<String, Object[]> run) {
        assertThat(run.keySet()).isEqualTo(reference.keySet());
        run.forEach((key, row) -> {
            Object[] ref = reference.get(key);
            assertThat(row[0]).as("token id at %s", key).isEqualTo(ref[0]);
            assertThat(row[1]).as("special at %s", key).isEqualTo(ref[1]);
            for (int l = 0; l < LAYERS.size(); l++) {
                float[] got = (float[]) row[2 + l];
                float[] want = (float[]) ref[2 + l];
                assertThat(got).hasSameSizeAs(want);
                for (int i = 0; i < want.length; i++) {
                    assertThat(Math.abs(got[i] - want[i])).as("%s %s [%d]", key, LAYERS.get(l), i)
                            .isLessThanOrEqualTo(1e-5f);
                }
            }
        });
    }

    @Test
    void skipsAndCountsNullTexts() {
        List<Row> rows = List.of(RowFactory.create(0L, sentences.get(0)), RowFactory.create(1L, null),
                RowFactory.create(2L, sentences.get(2)));
        Dataset<Row> texts = TestSpark.session().createDataFrame(rows, TestSpark.texts(List.of()).schema());
        String out = dir.resolve("nulls").toString();
        ActivationsManifest m = MicrowSpark.extractActivations(texts, "text", ModelRef.demo(), LAYERS.subList(0, 1),
                ExtractOptions.into(out).withIdColumn("id"));
        assertThat(m.nullTexts()).isEqualTo(1);
        assertThat(m.texts()).isEqualTo(2);
        List<Long> ids = TestSpark.session().read().parquet(out).select("text_id").distinct().orderBy("text_id")
                .as(org.apache.spark.sql.Encoders.LONG()).collectAsList();
        assertThat(ids).containsExactly(0L, 2L);
    }

    @Test
    void refusesAnExistingOutputUnlessOverwriting() throws Exception {
        Path out = Files.createDirectories(dir.resolve("existing"));
        Files.writeString(out.resolve("keep.txt"), "x");
        Dataset<Row> texts = TestSpark.texts(sentences.subList(0, 3));
        assertThatThrownBy(() -> MicrowSpark.extractActivations(texts, "text", ModelRef.demo(), LAYERS.subList(0, 1),
                ExtractOptions.into(out.toString())))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(out.toString())
                .hasMessageContaining("overwrite");
        assertThat(out.resolve("keep.txt")).exists();

        ActivationsManifest m = MicrowSpark.extractActivations(texts, "text", ModelRef.demo(), LAYERS.subList(0, 1),
                ExtractOptions.into(out.toString()).withOverwrite(true));
        assertThat(m.texts()).isEqualTo(3);
        assertThat(out.resolve("keep.txt")).doesNotExist();
    }

    @Test
    void namesWhatIsWrongWithBadInput() {
        Dataset<Row> texts = TestSpark.texts(sentences.subList(0, 2));
        String out = dir.resolve("never").toString();
        assertThatThrownBy(() -> MicrowSpark.extractActivations(texts, "body", ModelRef.demo(), LAYERS,
                ExtractOptions.into(out)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'body'")
                .hasMessageContaining("[id, text]");
        assertThatThrownBy(() -> MicrowSpark.extractActivations(texts, "id", ModelRef.demo(), LAYERS,
                ExtractOptions.into(out)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bigint")
                .hasMessageContaining("string");
        assertThatThrownBy(() -> MicrowSpark.extractActivations(texts, "text", ModelRef.of("/no/such/model"),
                LAYERS, ExtractOptions.into(out)))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("/no/such/model");
        assertThat(Path.of(out)).doesNotExist();
    }

    private static org.apache.hadoop.conf.Configuration hadoop() {
        return TestSpark.session().sparkContext().hadoopConfiguration();
    }

    private static Map<String, Object[]> read(String dataset) {
        SparkSession spark = TestSpark.session();
        Map<String, Object[]> rows = new HashMap<>();
        for (Row r : spark.read().parquet(dataset).collectAsList()) {
            Object[] v = new Object[2 + COLUMNS.size()];
            v[0] = r.<Long>getAs("token_id");
            v[1] = r.<Boolean>getAs("special");
            for (int l = 0; l < COLUMNS.size(); l++) {
                Object value = r.get(r.fieldIndex(COLUMNS.get(l)));
                if (value instanceof byte[] bytes) { // the binary layout: little-endian float32
                    float[] f = new float[bytes.length / 4];
                    java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
                    v[2 + l] = f;
                    continue;
                }
                List<Float> list = r.getList(r.fieldIndex(COLUMNS.get(l)));
                float[] f = new float[list.size()];
                for (int i = 0; i < f.length; i++) {
                    f[i] = list.get(i);
                }
                v[2 + l] = f;
            }
            Object previous = rows.put(r.<Long>getAs("text_id") + ":" + r.<Integer>getAs("position"), v);
            assertThat(previous).as("duplicate row").isNull();
        }
        return rows;
    }

    private static Map<String, Object[]> readStore(Store store, String run) {
        Map<String, Object[]> rows = new HashMap<>();
        int text = 0;
        for (int batch : store.listBatches(run)) {
            long[] mask = store.readTensor(run, batch, Store.ATTENTION_MASKS, Store.ATTENTION_MASK).requireLongs();
            long[] ids = store.readTensor(run, batch, Store.INPUT_IDS, Store.INPUT_IDS).requireLongs();
            long[] special = store.readTensor(run, batch, Store.SPECIAL_TOKENS_MASK, Store.SPECIAL_TOKENS_MASK)
                    .requireLongs();
            List<StoredTensor> acts = new ArrayList<>();
            for (String layer : LAYERS) {
                acts.add(store.readTensor(run, batch, layer, Store.ACTIVATIONS));
            }
            long[] shape = acts.get(0).shape();
            int b = (int) shape[0];
            int seq = (int) shape[1];
            for (int row = 0; row < b; row++, text++) {
                int position = 0;
                for (int s = 0; s < seq; s++) {
                    int i = row * seq + s;
                    if (mask[i] == 0) {
                        continue;
                    }
                    Object[] v = new Object[2 + LAYERS.size()];
                    v[0] = ids[i];
                    v[1] = special[i] != 0;
                    for (int l = 0; l < LAYERS.size(); l++) {
                        int d = (int) acts.get(l).shape()[2];
                        float[] all = acts.get(l).requireFloats();
                        v[2 + l] = java.util.Arrays.copyOfRange(all, i * d, i * d + d);
                    }
                    rows.put(text + ":" + position++, v);
                }
            }
        }
        return rows;
    }
}
