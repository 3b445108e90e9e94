package io.microw.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@link SaeFeatureAttribution} found on one batch: for each real (unpadded) position and each latent active
 * there, the latent's activation, d metric / d latent and their product, the attribution (the first-order change of
 * the metric if the latent were switched off there is minus it); and per latent, its attributions summed over rows and
 * positions, ranked, with the concept names of the dictionary given. Plain Java values: nothing to close.
 */
public final class SaeAttributionResult {

    /**
     * One active latent at one position.
     *
     * @param row         the batch row
     * @param position    the position in the row
     * @param latent      the latent's index
     * @param activation  its activation (nonzero)
     * @param gradient    d metric / d the latent there
     * @param attribution activation × gradient
     */
    public record Entry(int row, int position, int latent, float activation, float gradient, float attribution) {
    }

    /**
     * One latent's attributions over every row and position where it is active.
     *
     * @param latent              the latent's index
     * @param attribution         Σ activation × gradient; switching the latent off everywhere changes the metric by
     *                            about minus this
     * @param absoluteAttribution Σ |activation × gradient|
     * @param positions           how many (row, position) cells it is active at
     * @param concept             its name in the concept dictionary given, or empty
     */
    public record Total(int latent, float attribution, float absoluteAttribution, int positions,
                        Optional<String> concept) {
    }

    /** How {@link #top(int, Ranking)} orders latents. */
    public enum Ranking {
        /** By |Σ attribution|, largest first: the latents whose removal moves the metric most, to first order. */
        MAGNITUDE,
        /** Latents of positive Σ attribution (they push the metric up), largest first. */
        POSITIVE,
        /** Latents of negative Σ attribution (they push the metric down), most negative first. */
        NEGATIVE,
        /** By Σ |attribution|, largest first: counts a latent that pushes both ways at different positions. */
        ABSOLUTE_SUM
    }

    private final String layer;
    private final float metric;
    private final int rows;
    private final int positions;
    private final List<Entry> entries;
    private final List<Total> totals;

    /**
     * A result; built by {@link SaeFeatureAttribution}.
     *
     * @param layer     the canonical layer the SAE was spliced into
     * @param metric    the metric on the spliced forward
     * @param rows      the batch's rows
     * @param positions the batch's positions per row
     * @param entries   the active latents, ordered by row, position and latent
     * @param names     concept names by latent, for those that have one
     */
    SaeAttributionResult(String layer, float metric, int rows, int positions, List<Entry> entries,
                         Map<Integer, String> names) {
        this.layer = layer;
        this.metric = metric;
        this.rows = rows;
        this.positions = positions;
        this.entries = List.copyOf(entries);
        this.totals = totals(this.entries, names);
    }

    /**
     * The layer the SAE was spliced into.
     *
     * @return its canonical name
     */
    public String layer() {
        return layer;
    }

    /**
     * The metric on the spliced forward, which equals the model's own (the error term is kept).
     *
     * @return its value
     */
    public float metric() {
        return metric;
    }

    /**
     * Every active latent at every real position.
     *
     * @return the entries, ordered by row, position and latent
     */
    public List<Entry> entries() {
        return entries;
    }

    /**
     * The active latents at one position.
     *
     * @param row      a batch row
     * @param position a position in the row
     * @return its entries, ordered by latent; empty at a padded position
     */
    public List<Entry> at(int row, int position) {
        if (row < 0 || row >= rows || position < 0 || position >= positions) {
            throw new IndexOutOfBoundsException("(row " + row + ", position " + position + ") is outside the batch of "
                    + rows + " rows and " + positions + " positions");
        }
        return entries.stream().filter(e -> e.row() == row && e.position() == position).toList();
    }

    /**
     * Each latent active anywhere in the batch, with its summed attributions.
     *
     * @return the totals, ordered by latent
     */
    public List<Total> totals() {
        return totals;
    }

    /**
     * The {@code n} latents of largest |Σ attribution| ({@link Ranking#MAGNITUDE}).
     *
     * @param n how many, at least 0
     * @return at most {@code n} totals, ranked
     */
    public List<Total> top(int n) {
        return top(n, Ranking.MAGNITUDE);
    }

    /**
     * The first {@code n} latents by a ranking; ties go to the lower latent index.
     *
     * @param n       how many, at least 0
     * @param ranking the order
     * @return at most {@code n} totals, ranked
     */
    public List<Total> top(int n, Ranking ranking) {
        if (n < 0) {
            throw new IllegalArgumentException("the number of top latents must be 0 or more, got " + n);
        }
        Comparator<Total> order = switch (ranking) {
            case MAGNITUDE -> Comparator.comparingDouble(t -> -Math.abs(t.attribution()));
            case POSITIVE -> Comparator.comparingDouble(t -> -t.attribution());
            case NEGATIVE -> Comparator.comparingDouble(Total::attribution);
            case ABSOLUTE_SUM -> Comparator.comparingDouble(t -> -t.absoluteAttribution());
        };
        return totals.stream()
                .filter(t -> ranking != Ranking.POSITIVE || t.attribution() > 0)
                .filter(t -> ranking != Ranking.NEGATIVE || t.attribution() < 0)
                .sorted(order.thenComparingInt(Total::latent)).limit(n).toList();
    }

    /**
     * A plain-text table of the top latents: index, Σ attribution, Σ |attribution|, active cells, concept.
     *
     * @param n       how many latents
     * @param ranking their order
     * @return the table, one line per latent after a header
     */
    public String table(int n, Ranking ranking) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%7s %11s %11s %6s  %s%n", "latent",
                "attribution", "|attr| sum", "cells", "concept"));
        for (Total t : top(n, ranking)) {
            sb.append(String.format(Locale.ROOT, "%7d %11.4f %11.4f %6d  %s%n", t.latent(), t.attribution(),
                    t.absoluteAttribution(), t.positions(), t.concept().orElse("-")));
        }
        return sb.toString();
    }

    private static List<Total> totals(List<Entry> entries, Map<Integer, String> names) {
        Map<Integer, double[]> sums = new TreeMap<>();
        for (Entry e : entries) {
            double[] s = sums.computeIfAbsent(e.latent(), l -> new double[3]);
            s[0] += e.attribution();
            s[1] += Math.abs(e.attribution());
            s[2]++;
        }
        List<Total> out = new ArrayList<>(sums.size());
        sums.forEach((latent, s) -> out.add(new Total(latent, (float) s[0], (float) s[1], (int) s[2],
                Optional.ofNullable(names.get(latent)))));
        return List.copyOf(out);
    }
}
