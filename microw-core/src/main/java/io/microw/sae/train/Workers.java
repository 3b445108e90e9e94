package io.microw.sae.train;

import io.microw.sae.SaeException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A fixed pool that splits an index range into one contiguous chunk per thread and waits for all of them.
 * Chunks are fixed by the range and thread count, so results are deterministic run to run.
 */
final class Workers implements AutoCloseable {

    /** The work on one chunk {@code [from, to)} as chunk number {@code part}. */
    interface Chunk {
        void run(int part, int from, int to);
    }

    private final int threads;
    private final ExecutorService pool;

    Workers(int threads) {
        this.threads = Math.max(1, threads);
        this.pool = this.threads == 1 ? null : Executors.newFixedThreadPool(this.threads - 1, r -> {
            Thread t = new Thread(r, "microw-sae-worker");
            t.setDaemon(true);
            return t;
        });
    }

    int threads() {
        return threads;
    }

    /** Runs {@code chunk} on {@code threads} chunks of {@code [0, n)}; the caller runs the last chunk itself. */
    void forRange(int n, Chunk chunk) {
        if (pool == null || n < threads * 4) {
            chunk.run(0, 0, n);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(threads - 1);
        for (int p = 0; p < threads - 1; p++) {
            int part = p;
            futures.add(pool.submit(() -> chunk.run(part, bound(n, part), bound(n, part + 1))));
        }
        chunk.run(threads - 1, bound(n, threads - 1), n);
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SaeException("interrupted while training", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new SaeException("a training worker failed: " + cause, cause);
            }
        }
    }

    private int bound(int n, int part) {
        return (int) ((long) n * part / threads);
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
