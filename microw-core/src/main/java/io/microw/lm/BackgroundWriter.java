package io.microw.lm;

import io.microw.store.BatchContents;
import io.microw.store.RunWriter;
import io.microw.store.StoreException;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.ObjIntConsumer;

/**
 * Writes batches on a thread of its own while the model computes the next ones: a bounded queue between the two,
 * so memory holds at most {@code capacity} waiting batches. A write failure stops the writer and is rethrown to
 * the computing thread at its next {@link #submit} or at {@link #finish}, as is a {@link SaveStoppedException}
 * that {@code onWritten} throws (as it was thrown: a requested stop, not a failure).
 */
final class BackgroundWriter implements AutoCloseable {

    private record Job(int index, BatchContents contents) {
    }

    private static final Job END = new Job(-1, null);

    private final BlockingQueue<Job> queue;
    private final Thread thread;
    private volatile Throwable failure;

    /** Starts the thread; {@code onWritten} is called with each batch once it is on disk. */
    BackgroundWriter(RunWriter writer, int capacity, ObjIntConsumer<BatchContents> onWritten) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(() -> loop(writer, onWritten), "microw-activation-writer");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(RunWriter writer, ObjIntConsumer<BatchContents> onWritten) {
        try {
            while (true) {
                Job job = queue.take();
                if (job == END) {
                    return;
                }
                writer.writeBatch(job.index(), job.contents());
                onWritten.accept(job.contents(), job.index());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            failure = t;
            queue.clear();
        }
    }

    /** Queues a batch, waiting while the queue is full; rethrows an earlier write failure. */
    void submit(int index, BatchContents contents) {
        put(new Job(index, contents));
    }

    /** Waits until every queued batch is written; rethrows a write failure. */
    void finish() {
        put(END);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for batches to be written", e);
        }
        check();
    }

    private void put(Job job) {
        try {
            while (!queue.offer(job, 50, TimeUnit.MILLISECONDS)) {
                check();
                if (!thread.isAlive()) {
                    throw new IllegalStateException("the activation writer thread has stopped");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while queueing batch " + job.index() + " for writing", e);
        }
        check();
    }

    private void check() {
        Throwable t = failure;
        if (t instanceof SaveStoppedException stop) {
            throw stop;
        }
        if (t != null) {
            throw t instanceof StoreException s ? new StoreException(s.getMessage(), s)
                    : new StoreException("writing activations failed: " + t, t);
        }
    }

    /** Stops the thread without waiting for queued batches (after a failure in the computing thread). */
    @Override
    public void close() {
        if (thread.isAlive()) {
            thread.interrupt();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
