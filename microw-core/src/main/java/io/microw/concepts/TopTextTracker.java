package io.microw.concepts;

import io.microw.sae.SaeException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.LongFunction;

/**
 * For every latent, the texts that made it fire most: one entry per text (the text's best token), kept in a
 * bounded heap of {@code topK}; optionally the {@code bottomK} weakest firings too. Also per-latent statistics
 * (firing count, mean and max activation, histogram). Only counted tokens (real, not special) are seen. Token
 * strings come from the token ids the model saw, decoded one token at a time. Feed it with {@link #add}.
 */
public final class TopTextTracker implements TopTextSource {

    private final int latents;
    private final int topK;
    private final int bottomK;
    private final int window;
    private final LongFunction<String> decoder;
    private final Map<Long, String> tokenCache = new HashMap<>();
    private final List<PriorityQueue<LatentContext>> top;
    private final List<PriorityQueue<LatentContext>> bottom;
    private final LatentStatistics statistics;
    private QuantileSamples quantiles;
    private long texts;

    /**
     * @param topK    contexts kept per latent (at least 1)
     * @param bottomK weakest firings kept per latent (0 for none)
     * @param window  tokens kept on each side of the firing token
     * @param decoder text of one token id
     * @param latents the SAE's latent count
     */
    public TopTextTracker(int latents, int topK, int bottomK, int window, LongFunction<String> decoder) {
        if (topK <= 0) {
            throw new SaeException("text tracking needs top_k >= 1, got " + topK);
        }
        if (bottomK < 0 || window < 0) {
            throw new SaeException("bottom_k and window must be >= 0, got " + bottomK + " and " + window);
        }
        this.latents = latents;
        this.topK = topK;
        this.bottomK = bottomK;
        this.window = window;
        this.decoder = java.util.Objects.requireNonNull(decoder, "decoder");
        this.top = new ArrayList<>(latents);
        this.bottom = new ArrayList<>(bottomK > 0 ? latents : 0);
        Comparator<LatentContext> weakestFirst = Comparator.comparingDouble(LatentContext::activation)
                .thenComparing(Comparator.comparingLong(LatentContext::textId).reversed());
        for (int i = 0; i < latents; i++) {
            top.add(new PriorityQueue<>(weakestFirst));
            if (bottomK > 0) {
                bottom.add(new PriorityQueue<>(weakestFirst.reversed()));
            }
        }
        this.statistics = new LatentStatistics(latents);
    }

    /**
     * Also keeps, per latent, {@code perRange} sampled contexts from each quarter of its activation range (see
     * {@link #quantileSamples}); call before feeding. Deterministic for a seed.
     *
     * @param perRange contexts sampled per quarter of the range
     * @param seed the sampling seed
     * @return this tracker
     */
    public synchronized TopTextTracker withQuantileSamples(int perRange, long seed) {
        if (perRange <= 0) {
            throw new SaeException("quantile samples per range must be >= 1, got " + perRange);
        }
        quantiles = new QuantileSamples(latents, perRange, seed);
        return this;
    }

    /**
     * Sampled contexts of a latent from activation range {@code range} (0 = the weakest quarter of its maximum, 3 =
     * the strongest), strongest first; empty unless quantile sampling is on.
     *
     * @param latent the latent's index
     * @param range the quarter, 0 to 3
     * @return the sampled contexts
     */
    public synchronized List<LatentContext> quantileSamples(int latent, int range) {
        check(latent);
        if (range < 0 || range >= QuantileSamples.RANGES) {
            throw new SaeException("range must be 0.." + (QuantileSamples.RANGES - 1) + ", got " + range);
        }
        return quantiles == null ? List.of() : quantiles.samples(latent, range);
    }

    /**
     * Contexts kept per latent.
     *
     * @return the top-k
     */
    public int topK() {
        return topK;
    }

    /**
     * Texts seen so far (the next text gets this id).
     *
     * @return the number of texts seen
     */
    public long textsSeen() {
        return texts;
    }

    /**
     * Adds one forward's codes; each row is a new text.
     *
     * @param codes one forward's latents per token
     */
    public synchronized void add(TokenLatents codes) {
        for (int b = 0; b < codes.rows(); b++) {
            addRow(codes, b, texts++);
        }
    }

    private void addRow(TokenLatents codes, int b, long textId) {
        Map<Integer, int[]> bestPosition = new HashMap<>();
        Map<Integer, Float> bestValue = new HashMap<>();
        int firstReal = -1;
        for (int s = 0; s < codes.seqLength(); s++) {
            if (!codes.counted(b, s)) {
                continue;
            }
            if (firstReal < 0) {
                firstReal = s;
            }
            int[] l = codes.latentsView(b, s);
            float[] v = codes.valuesView(b, s);
            for (int i = 0; i < l.length; i++) {
                if (v[i] <= 0) {
                    continue;
                }
                statistics.add(l[i], v[i]);
                Float best = bestValue.get(l[i]);
                if (best == null || v[i] > best) {
                    bestValue.put(l[i], v[i]);
                    bestPosition.put(l[i], new int[] {s});
                }
            }
        }
        statistics.addTokens(countedTokens(codes, b));
        if (bestValue.isEmpty()) {
            return;
        }
        RowText row = new RowText(codes, b, firstReal);
        for (Map.Entry<Integer, Float> e : bestValue.entrySet()) {
            int latent = e.getKey();
            float value = e.getValue();
            offer(top.get(latent), topK, value, row, bestPosition.get(latent)[0], textId, latent, true);
            if (bottomK > 0) {
                offer(bottom.get(latent), bottomK, value, row, bestPosition.get(latent)[0], textId, latent, false);
            }
            if (quantiles != null) {
                int range = quantiles.rangeOf(latent, value);
                int slot = quantiles.slotFor(latent, range);
                if (slot >= 0) {
                    quantiles.put(latent, range, slot, row.context(bestPosition.get(latent)[0], value, textId, latent));
                }
            }
        }
    }

    private static int countedTokens(TokenLatents codes, int b) {
        int n = 0;
        for (int s = 0; s < codes.seqLength(); s++) {
            if (codes.counted(b, s)) {
                n++;
            }
        }
        return n;
    }

    private void offer(PriorityQueue<LatentContext> heap, int size, float value, RowText row, int s, long textId,
                       int latent, boolean keepLargest) {
        if (heap.size() >= size) {
            float edge = heap.peek().activation();
            if (keepLargest ? value <= edge : value >= edge) {
                return;
            }
        }
        heap.add(row.context(s, value, textId, latent));
        if (heap.size() > size) {
            heap.poll();
        }
    }

    /**
     * The strongest contexts of a latent, strongest first.
     *
     * @param latent the latent's index
     * @return the contexts, at most top-k
     */
    public synchronized List<LatentContext> topTexts(int latent) {
        return sorted(top.get(check(latent)), true);
    }

    /**
     * The weakest firings of a latent (texts' best tokens), weakest first; empty unless bottom-k is on.
     *
     * @param latent the latent's index
     * @return the contexts, weakest first
     */
    public synchronized List<LatentContext> bottomTexts(int latent) {
        check(latent);
        return bottomK == 0 ? List.of() : sorted(bottom.get(latent), false);
    }

    /**
     * Firing statistics per latent.
     *
     * @return the statistics
     */
    public LatentStatistics statistics() {
        return statistics;
    }

    /** Forgets everything seen. */
    public synchronized void reset() {
        top.forEach(PriorityQueue::clear);
        bottom.forEach(PriorityQueue::clear);
        statistics.reset();
        if (quantiles != null) {
            quantiles.reset();
        }
        texts = 0;
    }

    /**
     * Number of latents tracked.
     *
     * @return the latent count
     */
    public int latents() {
        return latents;
    }

    private static List<LatentContext> sorted(PriorityQueue<LatentContext> heap, boolean strongestFirst) {
        List<LatentContext> out = new ArrayList<>(heap);
        Comparator<LatentContext> c = Comparator.comparingDouble(LatentContext::activation);
        out.sort(strongestFirst ? c.reversed().thenComparingLong(LatentContext::textId)
                : c.thenComparingLong(LatentContext::textId));
        return out;
    }

    private int check(int latent) {
        if (latent < 0 || latent >= latents) {
            throw new SaeException("latent index " + latent + " is out of range: this SAE has latents 0.." + (latents - 1));
        }
        return latent;
    }

    private String token(long id) {
        return tokenCache.computeIfAbsent(id, decoder::apply);
    }

    /** A row's tokens, decoded once and shared by its contexts. */
    private final class RowText {
        private final List<String> tokens = new ArrayList<>();
        private final TokenLatents codes;
        private final int row;
        private final int firstReal;
        private String text;

        RowText(TokenLatents codes, int b, int firstReal) {
            this.codes = codes;
            this.row = b;
            this.firstReal = firstReal;
            long[] ids = codes.tokenIdsView(b);
            for (int s = firstReal; s < codes.seqLength(); s++) {
                if (!codes.counted(b, s)) {
                    if (s > firstReal && isPaddingTail(codes, b, s)) {
                        break;
                    }
                }
                tokens.add(token(ids[s]));
            }
        }

        private boolean isPaddingTail(TokenLatents codes, int b, int s) {
            for (int t = s; t < codes.seqLength(); t++) {
                if (codes.counted(b, t)) {
                    return false;
                }
            }
            return true;
        }

        LatentContext context(int s, float value, long textId, int latent) {
            if (text == null) {
                text = String.join("", tokens);
            }
            int position = s - firstReal;
            int from = Math.max(0, position - window);
            int to = Math.min(tokens.size(), position + window + 1);
            List<Float> values = new ArrayList<>(to - from);
            for (int p = from; p < to; p++) {
                values.add(codes.counted(row, firstReal + p) ? codes.value(row, firstReal + p, latent) : 0f);
            }
            return new LatentContext(textId, text, position, tokens.get(position), value,
                    List.copyOf(tokens.subList(from, to)), from, List.copyOf(values));
        }
    }
}
