package io.microw.lm;

import io.microw.data.TextDataset;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.OptionalLong;

/** A list of texts in memory seen as a {@link TextDataset}. */
final class TextList extends TextDataset {

    private final List<String> texts;

    TextList(List<String> texts) {
        this.texts = List.copyOf(texts);
    }

    @Override
    public Iterator<List<String>> iterBatches(int batchSize) {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < texts.size();
            }

            @Override
            public List<String> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int end = Math.min(texts.size(), next + batchSize);
                List<String> batch = texts.subList(next, end);
                next = end;
                return batch;
            }
        };
    }

    @Override
    public OptionalLong length() {
        return OptionalLong.of(texts.size());
    }

    @Override
    public String describe() {
        return texts.size() + " texts given as a list";
    }
}
