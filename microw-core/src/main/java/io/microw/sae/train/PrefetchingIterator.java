package io.microw.sae.train;

import io.microw.sae.SaeException;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads an iterator ahead on a daemon thread, up to {@code depth} elements, so that loading the next batch overlaps
 * training on the current one. Order is unchanged. An exception in the reader is rethrown by {@link #next()};
 * {@link #close()} stops the reader (the trainer closes it when it stops early).
 */
final class PrefetchingIterator<T> implements Iterator<T>, AutoCloseable {

    private static final Object END = new Object();

    private final BlockingQueue<Object> queue;
    private final Thread reader;
    private volatile boolean closed;
    private Object next;

    PrefetchingIterator(Iterator<T> source, int depth, String name) {
        this.queue = new ArrayBlockingQueue<>(Math.max(1, depth));
        this.reader = new Thread(() -> read(source), name);
        reader.setDaemon(true);
        reader.start();
    }

    private void read(Iterator<T> source) {
        try {
            while (!closed && source.hasNext()) {
                put(source.next());
            }
            put(END);
        } catch (RuntimeException | Error e) {
            put(e);
        }
    }

    private void put(Object o) {
        try {
            while (!closed && !queue.offer(o, 100, TimeUnit.MILLISECONDS)) {
                // wait for the consumer, or for close()
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SaeException("interrupted while waiting for the next batch", e);
            }
        }
        if (next instanceof RuntimeException e) {
            throw e;
        }
        if (next instanceof Error e) {
            throw e;
        }
        return next != END;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        T t = (T) next;
        next = null;
        return t;
    }

    /** Closes an iterator that holds resources (a prefetching reader, an open file); others are left alone. */
    static void closeIfCloseable(Iterator<?> it) {
        if (it instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new SaeException("could not close the data source: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        reader.interrupt();
    }
}
