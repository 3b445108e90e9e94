package io.microw.data;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Turns a format's records into {@link Row}s: picks the text and label columns, checks the label against the label
 * set, and handles bad rows (thrown, or in lenient mode skipped, logged and counted; the count is reported when the
 * pass ends).
 */
final class MappedCursor extends LookaheadCursor {

    private static final Logger LOG = LoggerFactory.getLogger(MappedCursor.class);
    private static final int LOGGED = 5;

    private final RecordCursor records;
    private final String textColumn;
    private final String labelColumn;
    private final List<String> labels;
    private final boolean lenient;
    private final LongConsumer onSkippedCount;
    private long skipped;

    MappedCursor(RecordCursor records, String textColumn, String labelColumn, List<String> labels, boolean lenient,
            LongConsumer onSkippedCount) {
        this.records = records;
        this.textColumn = textColumn;
        this.labelColumn = labelColumn;
        this.labels = labels;
        this.lenient = lenient;
        this.onSkippedCount = onSkippedCount;
    }

    @Override
    Row compute() {
        while (true) {
            try {
                Map<String, String> record = records.next();
                if (record != null) {
                    return toRow(record);
                }
                onSkippedCount.accept(skipped);
                if (skipped > 0) {
                    LOG.warn("skipped {} bad row(s) (lenient mode)", skipped);
                }
                return null;
            } catch (BadRowException e) {
                if (!lenient) {
                    throw e;
                }
                if (skipped++ < LOGGED) {
                    LOG.warn("skipping a bad row: {}", e.getMessage());
                }
            }
        }
    }

    private Row toRow(Map<String, String> record) {
        String text = field(record, textColumn);
        String label = labelColumn == null ? null : field(record, labelColumn);
        if (label != null && labels != null && !labels.contains(label)) {
            throw new BadRowException(records.origin(), "label " + Texts.abbreviate(label) + " is not in the label set "
                    + labels);
        }
        return new Row(text, label, records.origin());
    }

    private String field(Map<String, String> record, String column) {
        if (!record.containsKey(column)) {
            throw new BadRowException(records.origin(), "the row has no '" + column + "' field; its fields are "
                    + record.keySet());
        }
        String value = record.get(column);
        if (value == null) {
            throw new BadRowException(records.origin(), "the '" + column + "' field is null");
        }
        return value;
    }

    @Override
    public void close() {
        records.close();
    }
}
