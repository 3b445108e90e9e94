package io.microw.spark;

import io.microw.concepts.LatentContext;
import io.microw.concepts.TopTextSource;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Per-latent top-k (and bottom-k) contexts, as microw's single-machine {@code TopTextTracker} keeps them: for each
 * text, a latent's strongest token (the first on ties) is a candidate; the k strongest candidates are kept (ties:
 * the smaller text id), and the k weakest positive ones. Built per partition with bounded lists and merged by a tree
 * reduction; merging is exact, so the result does not depend on the partitioning.
 */
public final class TopTexts implements Serializable, TopTextSource {

    /** A candidate context (a serializable {@link LatentContext}). */
    record Context(long textId, String text, int position, String token, float activation, List<String> window,
                   int windowStart, List<Float> windowActivations) implements Serializable {

        LatentContext toLatentContext() {
            return new LatentContext(textId, text, position, token, activation, window, windowStart,
                    windowActivations);
        }
    }

    private static final Comparator<Context> STRONGEST_FIRST = Comparator.comparingDouble((Context c) -> -c.activation())
            .thenComparingLong(Context::textId);
    private static final Comparator<Context> WEAKEST_FIRST = Comparator.comparingDouble(Context::activation)
            .thenComparingLong(Context::textId);

    private final int topK;
    private final int bottomK;
    private final List<List<Context>> top = new ArrayList<>();
    private final List<List<Context>> bottom = new ArrayList<>();

    TopTexts(int latents, int topK, int bottomK) {
        this.topK = topK;
        this.bottomK = bottomK;
        for (int i = 0; i < latents; i++) {
            top.add(new ArrayList<>());
            bottom.add(new ArrayList<>());
        }
    }

    /** Whether a candidate of {@code value} would enter the top or bottom list of {@code latent}. */
    boolean wanted(int latent, float value, long textId) {
        return enters(top.get(latent), topK, STRONGEST_FIRST, value, textId)
                || enters(bottom.get(latent), bottomK, WEAKEST_FIRST, value, textId);
    }

    private static boolean enters(List<Context> list, int k, Comparator<Context> order, float value, long textId) {
        if (k == 0) {
            return false;
        }
        if (list.size() < k) {
            return true;
        }
        Context probe = new Context(textId, null, 0, null, value, null, 0, null);
        return order.compare(probe, list.get(list.size() - 1)) < 0;
    }

    /** Offers a candidate of {@code latent}. */
    void offer(int latent, Context c) {
        insert(top.get(latent), topK, STRONGEST_FIRST, c);
        insert(bottom.get(latent), bottomK, WEAKEST_FIRST, c);
    }

    private static void insert(List<Context> list, int k, Comparator<Context> order, Context c) {
        if (k == 0) {
            return;
        }
        int at = 0;
        while (at < list.size() && order.compare(list.get(at), c) <= 0) {
            at++;
        }
        if (at < k) {
            list.add(at, c);
            if (list.size() > k) {
                list.remove(list.size() - 1);
            }
        }
    }

    /** Adds {@code other}'s candidates into this (same sizes); returns this. */
    TopTexts merge(TopTexts other) {
        for (int l = 0; l < top.size(); l++) {
            for (Context c : other.top.get(l)) {
                insert(top.get(l), topK, STRONGEST_FIRST, c);
            }
            for (Context c : other.bottom.get(l)) {
                insert(bottom.get(l), bottomK, WEAKEST_FIRST, c);
            }
        }
        return this;
    }

    /** @return the number of latents */
    public int latents() {
        return top.size();
    }

    /**
     * The strongest contexts of a latent, strongest first (ties: smaller text id first).
     *
     * @param latent the latent
     * @return at most top-k contexts
     */
    public List<LatentContext> topTexts(int latent) {
        return top.get(check(latent)).stream().map(Context::toLatentContext).toList();
    }

    /**
     * The weakest firings of a latent (texts' best tokens), weakest first; empty when bottom-k is 0.
     *
     * @param latent the latent
     * @return at most bottom-k contexts
     */
    public List<LatentContext> bottomTexts(int latent) {
        return bottom.get(check(latent)).stream().map(Context::toLatentContext).toList();
    }

    private int check(int latent) {
        if (latent < 0 || latent >= top.size()) {
            throw new IllegalArgumentException("latent " + latent + " is out of range: this SAE has latents 0.."
                    + (top.size() - 1));
        }
        return latent;
    }
}
