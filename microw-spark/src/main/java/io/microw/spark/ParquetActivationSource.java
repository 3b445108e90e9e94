package io.microw.spark;

import io.microw.sae.train.ActivationSource;
import io.microw.store.ShuffleBuffer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;

import static org.apache.spark.sql.functions.col;

/**
 * Training rows for {@code SaeTrainer} from a dataset {@link MicrowSpark#extractActivations} wrote (a local path or
 * any Hadoop file system URI), in the layout its manifest names: one layer's non-special token rows, in (text_id,
 * position) order, streamed to this JVM a partition at a time, mixed over all epochs by a {@link ShuffleBuffer} seeded
 * as {@code StoreDataLoader} seeds it. So the trainer sees exactly the batches it would see from the same rows in a
 * {@code LocalStore} read with the same buffer and seed.
 */
public final class ParquetActivationSource implements ActivationSource {

    private final SparkSession spark;
    private final String dataset;
    private final String column;
    private final int width;
    private final ActivationLayout layout;
    private final int shuffleRows;
    private final long seed;
    private final long rows;

    /**
     * Rows of {@code layer} from {@code dataset}.
     *
     * @param spark       the session that reads the dataset
     * @param dataset     the extracted dataset's directory or URI (it must have its manifest)
     * @param layer       the layer: canonical name or column
     * @param shuffleRows the shuffle buffer's rows (below 2: no shuffling)
     * @param seed        the shuffle's seed
     */
    public ParquetActivationSource(SparkSession spark, String dataset, String layer, int shuffleRows, long seed) {
        this.spark = spark;
        this.dataset = dataset;
        ActivationsManifest manifest = ActivationsManifest.read(dataset, spark.sparkContext().hadoopConfiguration());
        this.column = ExtractPlan.column(layer);
        int at = manifest.columns().indexOf(column);
        if (at < 0) {
            throw new IllegalArgumentException("dataset '" + dataset + "' has no layer '" + layer + "'; its layers are "
                    + manifest.layers());
        }
        this.width = manifest.widths().get(at);
        this.layout = manifest.layout();
        this.rows = manifest.rows() - manifest.specialTokens();
        this.shuffleRows = shuffleRows;
        this.seed = seed;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public long rowsPerEpoch() {
        return rows;
    }

    @Override
    public Iterator<float[][]> batches(int size, int epochs) {
        if (size < 1 || epochs < 1) {
            throw new IllegalArgumentException("batch size " + size + " and epochs " + epochs
                    + ": both must be at least 1");
        }
        Iterator<float[]> all = new EpochRows(epochs);
        Iterator<float[]> mixed = shuffleRows >= 2 ? new ShuffleBuffer<>(all, shuffleRows, new Random(seed)) : all;
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return mixed.hasNext();
            }

            @Override
            public float[][] next() {
                if (!mixed.hasNext()) {
                    throw new NoSuchElementException("no more batches");
                }
                List<float[]> out = new ArrayList<>(size);
                while (out.size() < size && mixed.hasNext()) {
                    out.add(mixed.next());
                }
                return out.toArray(new float[0][]);
            }
        };
    }

    /** One epoch's rows in (text_id, position) order, read partition by partition. */
    private Iterator<Row> epoch() {
        Dataset<Row> ordered = spark.read().parquet(dataset).filter(col("special").equalTo(false))
                .select(col(column), col("text_id"), col("position")).orderBy("text_id", "position");
        return ordered.toLocalIterator();
    }

    /** The rows of every epoch in turn. */
    private final class EpochRows implements Iterator<float[]> {
        private int epochsLeft;
        private Iterator<Row> current = java.util.Collections.emptyIterator();

        EpochRows(int epochs) {
            this.epochsLeft = epochs;
        }

        @Override
        public boolean hasNext() {
            while (!current.hasNext() && epochsLeft > 0) {
                epochsLeft--;
                current = epoch();
            }
            return current.hasNext();
        }

        @Override
        public float[] next() {
            if (!hasNext()) {
                throw new NoSuchElementException("no more rows");
            }
            return layout.decode(current.next(), 0, width, column);
        }
    }
}
