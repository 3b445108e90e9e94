package io.microw.spark;

import io.microw.io.DType;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.train.SaeTrainer;
import io.microw.sae.train.SaeTrainingConfig;
import io.microw.sae.train.StoreActivationSource;
import io.microw.store.BatchContents;
import io.microw.store.LocalStore;
import io.microw.store.RunWriter;
import io.microw.store.StoreDataLoader;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

class ParquetActivationSourceTest {

    private static final String LAYER = "transformer.h.0";

    @TempDir
    Path dir;

    @Test
    void trainsTheSameSaeAsTheSameRowsInALocalStore() {
        String out = dir.resolve("acts").toString();
        MicrowSpark.extractActivations(TestSpark.texts(TestSpark.brownSentences().subList(0, 24)).repartition(3),
                "text", ModelRef.demo(), List.of(LAYER), ExtractOptions.into(out).withIdColumn("id"));
        List<Row> rows = TestSpark.session().read().parquet(out).filter(col("special").equalTo(false))
                .orderBy("text_id", "position").select(ExtractPlan.column(LAYER)).collectAsList();
        int d = 256;
        float[] flat = new float[rows.size() * d];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(ActivationLayout.FLOAT_ARRAY.decode(rows.get(i), 0, d, "test"), 0, flat, i * d, d);
        }
        LocalStore store = new LocalStore(dir.resolve("store"));
        RunWriter writer = store.writer("rows");
        writer.open(false);
        writer.writeBatch(0, new BatchContents().addFloats(LAYER, "activations", new long[] {rows.size(), d}, flat,
                DType.F32));

        ParquetActivationSource parquet = new ParquetActivationSource(TestSpark.session(), out, LAYER, 64, 5);
        assertThat(parquet.rowsPerEpoch()).isEqualTo(rows.size());
        assertThat(parquet.width()).isEqualTo(d);
        StoreActivationSource local = new StoreActivationSource(StoreDataLoader.builder(store, "rows", LAYER)
                .realTokensOnly(false).shuffleBufferRows(64).seed(5).build());

        SaeTrainingConfig config = SaeTrainingConfig.builder().lr(3e-3).batchSize(32).epochs(2).threads(1).build();
        try (Sae a = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, d, 64, 4), 9);
             Sae b = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, d, 64, 4), 9);
             Sae init = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, d, 64, 4), 9)) {
            long stepsA = new SaeTrainer(a, config).train(parquet).steps();
            long stepsB = new SaeTrainer(b, config).train(local).steps();
            assertThat(stepsA).isEqualTo(stepsB).isPositive();
            assertThat(a.parameter("W_enc")).isEqualTo(b.parameter("W_enc")).isNotEqualTo(init.parameter("W_enc"));
            assertThat(a.parameter("b_dec")).isEqualTo(b.parameter("b_dec"));
        }
    }
}
