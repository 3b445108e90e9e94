package io.microw.spark;

import io.microw.sae.Sae;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One task of {@link MicrowSpark#featureStatistics}: the statistics of its partition's token vectors (one column, in
 * either layout).
 */
final class StatisticsPartition implements FlatMapFunction<Iterator<Row>, FeatureStatistics> {

    private static final int BATCH = 512;

    private final SaeRef sae;
    private final String column;
    private final ActivationLayout layout;

    StatisticsPartition(SaeRef sae, String column, ActivationLayout layout) {
        this.sae = sae;
        this.column = column;
        this.layout = layout;
    }

    @Override
    public Iterator<FeatureStatistics> call(Iterator<Row> vectors) {
        Sae model = ExecutorModels.sae(sae);
        int latents = model.config().dSae();
        int width = model.config().dIn();
        FeatureStatistics stats = new FeatureStatistics(latents);
        List<float[]> batch = new ArrayList<>(BATCH);
        while (vectors.hasNext()) {
            batch.add(layout.decode(vectors.next(), 0, width, column));
            if (batch.size() == BATCH || !vectors.hasNext()) {
                float[] codes = SaeCodes.encode(model, batch, column);
                for (int i = 0; i < codes.length; i++) {
                    if (codes[i] > 0) {
                        stats.add(i % latents, codes[i]);
                    }
                }
                stats.addTokens(batch.size());
                batch.clear();
            }
        }
        return List.of(stats).iterator();
    }
}
