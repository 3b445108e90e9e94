package io.microw.server;

import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves concurrent greedy generations without hooks on one model as one batch. Each request queues its prompts,
 * then takes the model's lock; the first to get it generates for every queued request with the same settings (up
 * to {@link #MAX_PROMPTS} prompts, left-padded, one forward per step), and the others find their results done when
 * their turn comes. A batch that fails (a prompt too long for the context) is retried request by request, so each
 * request gets its own error. Sampled requests and requests with hooks never come here: their results must not
 * depend on what else is running.
 */
final class GenerationBatcher {

    /** The most prompts generated together. */
    static final int MAX_PROMPTS = 32;

    /** One prompt's continuation. */
    record Generated(String text, String completion, long[] newTokens) {
    }

    private record Pending(List<String> prompts, GenerationConfig config, CompletableFuture<List<Generated>> result) {
    }

    private final ModelRegistry.Loaded model;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong batchedRequests = new AtomicLong();

    GenerationBatcher(ModelRegistry.Loaded model) {
        this.model = model;
    }

    /**
     * Generates {@code prompts} greedily, batched with the other requests waiting for this model.
     *
     * @throws IllegalArgumentException when {@code config} samples, or the prompts do not fit the context
     */
    List<Generated> generate(List<String> prompts, GenerationConfig config) {
        if (config.doSample()) {
            throw new IllegalArgumentException("only greedy generations are batched");
        }
        Pending mine = new Pending(List.copyOf(prompts), config, new CompletableFuture<>());
        synchronized (queue) {
            queue.add(mine);
        }
        try {
            model.lockOpen();
        } catch (RuntimeException e) { // the model was unloaded: nobody will serve the queue
            synchronized (queue) {
                queue.remove(mine);
            }
            throw e;
        }
        try {
            if (!mine.result().isDone()) {
                runBatchWith(mine);
            }
        } finally {
            model.lock.unlock();
        }
        try {
            return mine.result().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Requests served in batches of more than one, and those batches (for /api/metrics). */
    long batchedRequests() {
        return batchedRequests.get();
    }

    long batches() {
        return batches.get();
    }

    /** Under the model's lock: takes {@code first} and the queued requests that decode the same way, and runs them. */
    private void runBatchWith(Pending first) {
        List<Pending> batch = new ArrayList<>();
        int prompts = 0;
        synchronized (queue) {
            queue.remove(first);
            batch.add(first);
            prompts += first.prompts().size();
            for (Iterator<Pending> it = queue.iterator(); it.hasNext(); ) {
                Pending p = it.next();
                if (p.config().equals(first.config()) && prompts + p.prompts().size() <= MAX_PROMPTS) {
                    it.remove();
                    batch.add(p);
                    prompts += p.prompts().size();
                }
            }
        }
        if (batch.size() > 1) {
            batches.incrementAndGet();
            batchedRequests.addAndGet(batch.size());
            try {
                complete(batch);
                return;
            } catch (RuntimeException e) {
                // one request's prompt may not fit: run them one by one so that only it fails
            }
        }
        for (Pending p : batch) {
            try {
                complete(List.of(p));
            } catch (RuntimeException e) {
                p.result().completeExceptionally(e);
            }
        }
    }

    private void complete(List<Pending> batch) {
        List<String> all = new ArrayList<>();
        batch.forEach(p -> all.addAll(p.prompts()));
        List<Generated> rows = rows(model.lm.inference().generate(all, batch.get(0).config()));
        int row = 0;
        for (Pending p : batch) {
            p.result().complete(List.copyOf(rows.subList(row, row + p.prompts().size())));
            row += p.prompts().size();
        }
    }

    /** Every row of a generation result. */
    static List<Generated> rows(GenerationResult g) {
        List<String> texts = g.texts();
        List<String> completions = g.completions();
        List<Generated> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            rows.add(new Generated(texts.get(i), completions.get(i), g.newTokens(i)));
        }
        return rows;
    }
}
