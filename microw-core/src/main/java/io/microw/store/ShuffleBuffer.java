package io.microw.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * SAELens' mixing buffer over a stream of rows: fill up to {@code capacity} rows, shuffle, hand out half, refill,
 * and so on; when the source runs dry, the rest is shuffled and handed out. Holds at most {@code capacity} rows,
 * so rows far apart in the source get mixed without the whole source in memory.
 */
public final class ShuffleBuffer<T> implements Iterator<T> {

    private final Iterator<T> source;
    private final int capacity;
    private final Random random;
    private final List<T> buffer = new ArrayList<>();
    private final ArrayDeque<T> ready = new ArrayDeque<>();

    /**
     * Mixes {@code source} in a buffer of {@code capacity} rows (at least 2) drawn with {@code random}.
     *
     * @param source   the rows in their original order
     * @param capacity the number of rows held, at least 2
     * @param random   draws which held row comes out next
     */
    public ShuffleBuffer(Iterator<T> source, int capacity, Random random) {
        if (capacity < 2) {
            throw new IllegalArgumentException("shuffle buffer capacity must be at least 2 rows, got " + capacity);
        }
        this.source = source;
        this.capacity = capacity;
        this.random = random;
    }

    @Override
    public boolean hasNext() {
        if (ready.isEmpty()) {
            refill();
        }
        return !ready.isEmpty();
    }

    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return ready.poll();
    }

    private void refill() {
        while (buffer.size() < capacity && source.hasNext()) {
            buffer.add(source.next());
        }
        if (buffer.isEmpty()) {
            return;
        }
        Collections.shuffle(buffer, random);
        int keep = source.hasNext() ? buffer.size() / 2 : 0;
        List<T> out = buffer.subList(keep, buffer.size());
        ready.addAll(out);
        out.clear();
    }
}
