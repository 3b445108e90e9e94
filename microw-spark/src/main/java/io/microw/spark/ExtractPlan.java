package io.microw.spark;

import io.microw.lm.LanguageModel;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What every task of an extraction does, checked on the driver before the job starts: the model, the layers
 * (canonical names, each with a {@code [batch, seq, d]} output), their Parquet columns and widths, the layer after
 * which the forward stops, and the batching options. Serializable: it travels to the executors.
 *
 * @param model     the model
 * @param layers    canonical layer names, in the order given, without repeats
 * @param columns   the Parquet column of each layer
 * @param widths    the output width of each layer
 * @param stopAfter the layer finishing last in model order
 * @param maxLength tokens kept per text (the model's context when the options say 0)
 * @param batchSize texts per forward
 * @param sortWindow texts sorted by length together
 * @param threads   model threads per executor JVM (0: its cores)
 * @param layout    how the layer columns store their vectors
 */
record ExtractPlan(ModelRef model, List<String> layers, List<String> columns, List<Integer> widths, String stopAfter,
                   int maxLength, int batchSize, int sortWindow, int threads, ActivationLayout layout)
        implements Serializable {

    /** The fixed columns, before one column per layer. */
    static final List<String> KEY_COLUMNS = List.of("text_id", "position", "token_id", "special");

    /** Resolves {@code layers} on {@code lm} (the model {@code ref} names, loaded on the driver). */
    static ExtractPlan of(ModelRef ref, LanguageModel lm, List<String> layers, ExtractOptions options) {
        if (layers == null || layers.isEmpty()) {
            throw new IllegalArgumentException("no layers given: name at least one, e.g. 'transformer.h.0'");
        }
        if (!lm.hasTokenizer()) {
            throw new IllegalArgumentException("model '" + ref.spec() + "' has no tokenizer.json, so it cannot read "
                    + "texts");
        }
        Set<String> canonical = new LinkedHashSet<>();
        layers.forEach(l -> canonical.add(lm.layers().resolve(l)));
        List<String> names = List.copyOf(canonical);
        List<String> columns = new ArrayList<>();
        List<Integer> widths = new ArrayList<>();
        for (String layer : names) {
            long[] shape = lm.inference().layerOutputShape(layer);
            if (shape.length != 3) {
                throw new IllegalArgumentException("layer '" + layer + "' gives outputs of shape "
                        + java.util.Arrays.toString(shape) + "; extraction writes one row per token and needs "
                        + "[batch, seq, d] outputs, such as a block's residual stream 'transformer.h.0'");
            }
            String column = column(layer);
            if (columns.contains(column) || KEY_COLUMNS.contains(column)) {
                throw new IllegalArgumentException("layer '" + layer + "' would be written as column '" + column
                        + "', which another column already has");
            }
            columns.add(column);
            widths.add((int) shape[2]);
        }
        int context = lm.config().maxPositions();
        int maxLength = options.maxLength() == 0 ? context : Math.min(options.maxLength(), context);
        return new ExtractPlan(ref, names, List.copyOf(columns), List.copyOf(widths),
                lm.layers().lastInModelOrder(names), maxLength, options.batchSize(), options.sortWindow(),
                options.threads(), options.layout());
    }

    /** A layer's column: its canonical name with every character other than a letter, digit or '_' as '_'. */
    static String column(String canonicalLayer) {
        return canonicalLayer.isEmpty() ? "root" : canonicalLayer.replaceAll("[^A-Za-z0-9_]", "_");
    }

    /** The output schema: text_id, position, token_id, special, then one column per layer in the plan's layout. */
    StructType schema() {
        List<StructField> fields = new ArrayList<>(List.of(
                DataTypes.createStructField("text_id", DataTypes.LongType, false),
                DataTypes.createStructField("position", DataTypes.IntegerType, false),
                DataTypes.createStructField("token_id", DataTypes.LongType, false),
                DataTypes.createStructField("special", DataTypes.BooleanType, false)));
        for (String column : columns) {
            fields.add(DataTypes.createStructField(column, layout.columnType(), false));
        }
        return DataTypes.createStructType(fields);
    }
}
