package io.microw.spark;

import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.train.SaeTrainer;
import io.microw.sae.train.SaeTrainingConfig;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The two layer-column layouts: the same values through every reader, and clear errors on corrupt values. */
class ActivationLayoutTest {

    private static final String LAYER = "transformer.h.0";
    private static final String COLUMN = "transformer_h_0";

    @TempDir
    static Path dir;

    private static String floats;
    private static String binary;

    @BeforeAll
    static void extractBothLayouts() {
        Dataset<Row> texts = TestSpark.texts(TestSpark.brownSentences().subList(0, 24)).repartition(3);
        floats = dir.resolve("floats").toString();
        binary = dir.resolve("binary").toString();
        MicrowSpark.extractActivations(texts, "text", ModelRef.demo(), List.of(LAYER),
                ExtractOptions.into(floats).withIdColumn("id"));
        MicrowSpark.extractActivations(texts, "text", ModelRef.demo(), List.of(LAYER),
                ExtractOptions.into(binary).withIdColumn("id").withLayout(ActivationLayout.BINARY));
    }

    @Test
    void bothLayoutsFeedTheTrainerTheSameRowsAndTrainTheSameSae() {
        ParquetActivationSource a = new ParquetActivationSource(TestSpark.session(), floats, LAYER, 64, 5);
        ParquetActivationSource b = new ParquetActivationSource(TestSpark.session(), binary, LAYER, 64, 5);
        assertThat(b.rowsPerEpoch()).isEqualTo(a.rowsPerEpoch()).isPositive();
        assertThat(b.width()).isEqualTo(a.width()).isEqualTo(256);
        Iterator<float[][]> ia = a.batches(50, 1);
        Iterator<float[][]> ib = b.batches(50, 1);
        int rows = 0;
        while (ia.hasNext()) {
            float[][] x = ia.next();
            float[][] y = ib.next();
            assertThat(y).as("batch at row %d", rows).isDeepEqualTo(x);
            rows += x.length;
        }
        assertThat(ib.hasNext()).isFalse();
        assertThat(rows).isEqualTo(a.rowsPerEpoch());

        SaeTrainingConfig config = SaeTrainingConfig.builder().lr(3e-3).batchSize(32).epochs(2).threads(1).build();
        try (Sae fromFloats = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 256, 64, 4), 9);
             Sae fromBinary = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 256, 64, 4), 9);
             Sae init = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 256, 64, 4), 9)) {
            new SaeTrainer(fromFloats, config).train(a);
            new SaeTrainer(fromBinary, config).train(b);
            assertThat(fromBinary.parameter("W_enc")).isEqualTo(fromFloats.parameter("W_enc"))
                    .isNotEqualTo(init.parameter("W_enc"));
            assertThat(fromBinary.parameter("b_dec")).isEqualTo(fromFloats.parameter("b_dec"));
        }
    }

    @Test
    void microwFloatsDecodesTheBinaryColumnInSql() {
        MicrowSpark.registerFloatsFunction(TestSpark.session());
        TestSpark.session().read().parquet(floats).createOrReplaceTempView("acts_floats");
        TestSpark.session().read().parquet(binary).createOrReplaceTempView("acts_binary");
        List<Row> differing = TestSpark.session().sql("SELECT f.text_id, f.position FROM acts_floats f JOIN "
                + "acts_binary b ON f.text_id = b.text_id AND f.position = b.position "
                + "WHERE f." + COLUMN + " <> microw_floats(b." + COLUMN + ")").collectAsList();
        assertThat(differing).isEmpty();
        long joined = TestSpark.session().sql("SELECT count(*) FROM acts_floats f JOIN acts_binary b "
                + "ON f.text_id = b.text_id AND f.position = b.position AND size(microw_floats(b." + COLUMN
                + ")) = 256").first().getLong(0);
        assertThat(joined).isEqualTo(TestSpark.session().read().parquet(floats).count()).isPositive();
    }

    @Test
    void binaryIsLittleEndianFloat32() {
        byte[] bytes = (byte[]) ActivationLayout.BINARY.encode(new float[] {9f, 1f, -2f, 9f}, 1, 2);
        // 1.0f is 0x3F800000 and -2.0f is 0xC0000000, least significant byte first
        assertThat(bytes).containsExactly(0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0);
        assertThat(ActivationLayout.floats(bytes)).containsExactly(1f, -2f);
        assertThat(ActivationLayout.parse("BINARY")).isEqualTo(ActivationLayout.BINARY);
        assertThatThrownBy(() -> ActivationLayout.parse("floats")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'floats'").hasMessageContaining("float-array or binary");
    }

    @Test
    void aBinaryValueOfTheWrongLengthNamesTheColumnAndTheExpectedBytes() throws Exception {
        Path sae = dir.resolve("sae");
        Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 256, 32, 4), 3).save(sae);
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("text_id", DataTypes.LongType, false),
                DataTypes.createStructField("position", DataTypes.IntegerType, false),
                DataTypes.createStructField("token_id", DataTypes.LongType, false),
                DataTypes.createStructField("special", DataTypes.BooleanType, false),
                DataTypes.createStructField(COLUMN, DataTypes.BinaryType, false)));
        List<Row> rows = new ArrayList<>();
        rows.add(RowFactory.create(0L, 0, 5L, false, new byte[4 * 256]));
        rows.add(RowFactory.create(0L, 1, 6L, false, new byte[4 * 255 + 2]));
        Dataset<Row> corrupt = TestSpark.session().createDataFrame(rows, schema).coalesce(1);
        assertThatThrownBy(() -> MicrowSpark.featureStatistics(corrupt, LAYER, SaeRef.of(sae.toString())))
                .hasStackTraceContaining("column '" + COLUMN + "' holds a binary value of 1022 bytes; expected 1024 "
                        + "bytes (256 little-endian float32)");
        assertThatThrownBy(() -> MicrowSpark.featureStatistics(corrupt.withColumn(COLUMN, col("position")), LAYER,
                SaeRef.of(sae.toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + COLUMN + "' has type int; expected array<float> or binary");
    }
}
