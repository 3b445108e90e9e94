package io.microw.spark;

import io.microw.lm.InferenceOptions;
import io.microw.lm.LanguageModel;
import io.microw.tokenizer.Encodings;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * One task's output rows, made lazily: reads up to a sort window of (id, text) rows, sorts them by length, runs them
 * through the model a batch at a time and hands out one row per real token (padding is never written) before reading
 * more. A task therefore holds one window of texts and one batch of activations at most.
 */
final class TokenRows implements Iterator<Row> {

    /** A text and its id. */
    record Text(long id, String text) {
    }

    private static final Comparator<Text> BY_LENGTH = Comparator.comparingInt((Text t) -> t.text().length())
            .thenComparingLong(Text::id);

    private final Iterator<Row> input;
    private final ExtractPlan plan;
    private final LanguageModel lm;
    private final InferenceOptions options;
    private final ArrayDeque<Text> window = new ArrayDeque<>();
    private final ArrayDeque<Row> ready = new ArrayDeque<>();

    /**
     * @param input rows of (text_id long, text string), texts not null
     * @param plan  the extraction
     * @param lm    the model, shared with the JVM's other tasks
     */
    TokenRows(Iterator<Row> input, ExtractPlan plan, LanguageModel lm) {
        this.input = input;
        this.plan = plan;
        this.lm = lm;
        this.options = InferenceOptions.defaults().withMaxLength(plan.maxLength()).withStopAfterLayer(plan.stopAfter());
    }

    @Override
    public boolean hasNext() {
        while (ready.isEmpty()) {
            if (window.isEmpty() && !fillWindow()) {
                return false;
            }
            List<Text> batch = new ArrayList<>(plan.batchSize());
            while (batch.size() < plan.batchSize() && !window.isEmpty()) {
                batch.add(window.poll());
            }
            run(batch);
        }
        return true;
    }

    @Override
    public Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no more token rows in this partition");
        }
        return ready.poll();
    }

    private boolean fillWindow() {
        List<Text> texts = new ArrayList<>();
        while (texts.size() < plan.sortWindow() && input.hasNext()) {
            Row row = input.next();
            if (row.isNullAt(0)) {
                throw new IllegalArgumentException("a text has a null id in the id column; every text needs an id");
            }
            texts.add(new Text(row.getLong(0), row.getString(1)));
        }
        texts.sort(BY_LENGTH);
        window.addAll(texts);
        return !texts.isEmpty();
    }

    private void run(List<Text> batch) {
        LayerForward forward = LayerForward.run(lm, batch.stream().map(Text::text).toList(), plan.layers(), options);
        emit(batch, forward.encodings(), forward.values());
    }

    private void emit(List<Text> batch, Encodings enc, float[][] values) {
        int seq = enc.seqLength();
        long[][] mask = enc.attentionMask();
        long[][] ids = enc.inputIds();
        long[][] special = enc.specialTokensMask();
        for (int b = 0; b < batch.size(); b++) {
            int position = 0;
            for (int s = 0; s < seq; s++) {
                if (mask[b][s] == 0) {
                    continue;
                }
                Object[] row = new Object[ExtractPlan.KEY_COLUMNS.size() + values.length];
                row[0] = batch.get(b).id();
                row[1] = position++;
                row[2] = ids[b][s];
                row[3] = special[b][s] != 0;
                for (int l = 0; l < values.length; l++) {
                    int width = plan.widths().get(l);
                    int from = (b * seq + s) * width;
                    row[4 + l] = plan.layout().encode(values[l], from, width);
                }
                ready.add(RowFactory.create(row));
            }
        }
    }
}
