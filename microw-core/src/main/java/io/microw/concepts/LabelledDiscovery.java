package io.microw.concepts;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Finds what SAE latents mean from labelled tokens: each latent is scored as a one-latent classifier of each label,
 * "the latent fires" (code &gt; 0) against "the token has the label", with precision, recall and F1.
 * <p>
 * Feed tokens one at a time with {@link #add}: the token's active latents (sparse: indices and values, as a TopK
 * SAE produces them) and its labels (e.g. {@code "pos:nn"}, {@code "genre:news"}). Only counts are kept: per latent
 * how often it fired, per label how many tokens carried it, and per (label, latent) how often both happened, so
 * memory grows with latents × labels, never with tokens. Not thread-safe.
 * <p>
 * For latent {@code l} and label {@code y}: {@code TP} = tokens with both, precision = TP / tokens where l fired,
 * recall = TP / tokens labelled y, F1 = 2·TP / (fired + labelled). A latent that never fires scores 0 everywhere.
 */
public final class LabelledDiscovery {

    /** How latent {@code latent} classifies {@code label}. */
    public record LatentScore(int latent, String label, long truePositives, long fired, long labelled,
                              double precision, double recall, double f1) {

        /**
         * {@code P=0.812 R=0.634 F1=0.712 (TP 1234, fired 1520, labelled 1947)}.
         *
         * @return a one-line summary of the score
         */
        public String describe() {
            return String.format(Locale.ROOT, "P=%.3f R=%.3f F1=%.3f (TP %d, fired %d, labelled %d)", precision,
                    recall, f1, truePositives, fired, labelled);
        }
    }

    /** The source name that {@link #proposeNames} writes into the dictionary. */
    public static final String SOURCE = "labelled-discovery";

    private final int nLatents;
    private final Map<String, Integer> labelIds = new HashMap<>();
    private final List<String> labels = new ArrayList<>();
    /** Per label: tokens with the label and each latent firing. */
    private final List<long[]> together = new ArrayList<>();
    private final List<long[]> labelCounts = new ArrayList<>();
    private final long[] fired;
    /** Per latent: the add call it last fired in, to catch a latent listed twice. */
    private final long[] stamp;
    private long calls;
    private long tokens;
    /** Scratch: label ids of the current token. */
    private int[] scratch = new int[8];

    /**
     * Discovery for an SAE with {@code nLatents} latents.
     *
     * @param nLatents the SAE's latent count
     */
    public LabelledDiscovery(int nLatents) {
        if (nLatents <= 0) {
            throw new IllegalArgumentException("the latent count must be positive, got " + nLatents);
        }
        this.nLatents = nLatents;
        this.fired = new long[nLatents];
        this.stamp = new long[nLatents];
    }

    /**
     * Number of latents of the SAE.
     *
     * @return the latent count
     */
    public int dSae() {
        return nLatents;
    }

    /**
     * Tokens added so far.
     *
     * @return the number of tokens
     */
    public long tokens() {
        return tokens;
    }

    /**
     * How many tokens {@code latent} fired on.
     *
     * @param latent the latent's index
     * @return the number of tokens
     */
    public long firedCount(int latent) {
        checkLatent(latent);
        return fired[latent];
    }

    /**
     * How many tokens carried {@code label} (0 for a label never seen).
     *
     * @param label the label
     * @return the number of tokens
     */
    public long labelCount(String label) {
        Integer id = labelIds.get(label);
        return id == null ? 0 : labelCounts.get(id)[0];
    }

    /**
     * The labels seen, most frequent first (ties by name).
     *
     * @return the labels
     */
    public List<String> labels() {
        List<String> out = new ArrayList<>(labels);
        out.sort(Comparator.comparingLong(this::labelCount).reversed().thenComparing(Comparator.naturalOrder()));
        return out;
    }

    /**
     * The labels seen that start with {@code prefix} (e.g. {@code "pos:"}), most frequent first.
     *
     * @param prefix the start of the labels wanted
     * @return the matching labels
     */
    public List<String> labels(String prefix) {
        return labels().stream().filter(l -> l.startsWith(prefix)).toList();
    }

    /**
     * Adds one token: the latents active on it with their values (same length; a latent fires when its value is
     * &gt; 0, so zeros may be passed too), and its labels (any collection; repeats count once).
     *
     * @param latents the latents active on the token
     * @param values their values
     * @param tokenLabels the token's labels
     */
    public void add(int[] latents, float[] values, Collection<String> tokenLabels) {
        add(latents, values, latents == null ? 0 : latents.length, tokenLabels);
    }

    /**
     * As {@link #add(int[], float[], Collection)} with only the first {@code count} entries of the arrays used.
     *
     * @param latents the latents active on the token
     * @param values their values
     * @param count how many entries of the arrays to use
     * @param tokenLabels the token's labels
     */
    public void add(int[] latents, float[] values, int count, Collection<String> tokenLabels) {
        Objects.requireNonNull(latents, "latents");
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(tokenLabels, "labels");
        if (count < 0 || count > latents.length || count > values.length) {
            throw new IllegalArgumentException("count " + count + " does not fit arrays of " + latents.length
                    + " latents and " + values.length + " values");
        }
        if (count == latents.length && latents.length != values.length) {
            throw new IllegalArgumentException(latents.length + " latent indices but " + values.length + " values");
        }
        long call = ++calls;
        for (int i = 0; i < count; i++) {
            int l = latents[i];
            checkLatent(l);
            if (Float.isNaN(values[i])) {
                throw new IllegalArgumentException("latent " + l + " has value NaN on token " + tokens);
            }
            if (values[i] > 0f) {
                if (stamp[l] == call) {
                    throw new IllegalArgumentException("latent " + l + " is listed twice on token " + tokens);
                }
                stamp[l] = call;
            }
        }
        int nl = 0;
        for (String label : tokenLabels) {
            if (label == null || label.isEmpty()) {
                throw new IllegalArgumentException("token " + tokens + " has a null or empty label");
            }
            int id = labelIds.computeIfAbsent(label, this::newLabel);
            boolean repeat = false;
            for (int j = 0; j < nl; j++) {
                repeat |= scratch[j] == id;
            }
            if (!repeat) {
                if (nl == scratch.length) {
                    scratch = java.util.Arrays.copyOf(scratch, nl * 2);
                }
                scratch[nl++] = id;
            }
        }
        for (int j = 0; j < nl; j++) {
            labelCounts.get(scratch[j])[0]++;
        }
        for (int i = 0; i < count; i++) {
            if (values[i] > 0f) {
                int l = latents[i];
                fired[l]++;
                for (int j = 0; j < nl; j++) {
                    together.get(scratch[j])[l]++;
                }
            }
        }
        tokens++;
    }

    private int newLabel(String label) {
        labels.add(label);
        together.add(new long[nLatents]);
        labelCounts.add(new long[1]);
        return labels.size() - 1;
    }

    private void checkLatent(int latent) {
        if (latent < 0 || latent >= nLatents) {
            throw new IllegalArgumentException("latent " + latent + " is out of range: expected 0.." + (nLatents - 1));
        }
    }

    private int labelId(String label) {
        Integer id = labelIds.get(label);
        if (id == null) {
            throw new IllegalArgumentException("label '" + label + "' was never seen; known labels: "
                    + (labels.size() > 20 ? labels().subList(0, 20) + "..." : labels()));
        }
        return id;
    }

    /**
     * How {@code latent} classifies {@code label}.
     *
     * @param latent the latent's index
     * @param label the label
     * @return precision, recall and F1 of the latent as a classifier of the label
     */
    public LatentScore score(int latent, String label) {
        checkLatent(latent);
        return score(latent, labelId(label));
    }

    private LatentScore score(int latent, int labelId) {
        long tp = together.get(labelId)[latent];
        long f = fired[latent];
        long y = labelCounts.get(labelId)[0];
        double p = f == 0 ? 0 : (double) tp / f;
        double r = y == 0 ? 0 : (double) tp / y;
        double f1 = f + y == 0 ? 0 : 2.0 * tp / (f + y);
        return new LatentScore(latent, labels.get(labelId), tp, f, y, p, r, f1);
    }

    /**
     * The {@code n} latents with the highest F1 for {@code label}, best first (ties: lower latent first).
     *
     * @param label the label
     * @param n how many latents
     * @return the latents' scores
     */
    public List<LatentScore> topLatents(String label, int n) {
        int id = labelId(label);
        List<LatentScore> all = new ArrayList<>(nLatents);
        for (int l = 0; l < nLatents; l++) {
            all.add(score(l, id));
        }
        all.sort(Comparator.comparingDouble(LatentScore::f1).reversed().thenComparingInt(LatentScore::latent));
        return List.copyOf(all.subList(0, Math.min(n, all.size())));
    }

    /**
     * The latent with the highest F1 for {@code label} (ties: the lowest index).
     *
     * @param label the label
     * @return the best latent's score
     */
    public LatentScore bestLatent(String label) {
        int id = labelId(label);
        long[] both = together.get(id);
        long y = labelCounts.get(id)[0];
        double bestF1 = -1;
        int bestLatent = 0;
        for (int l = 0; l < nLatents; l++) {
            double f1 = fired[l] + y == 0 ? 0 : 2.0 * both[l] / (fired[l] + y);
            if (f1 > bestF1) {
                bestF1 = f1;
                bestLatent = l;
            }
        }
        return score(bestLatent, id);
    }

    /**
     * For every label, most frequent first, its best latent.
     *
     * @return the best latent's score, by label
     */
    public Map<String, LatentScore> bestLatentPerLabel() {
        Map<String, LatentScore> out = new LinkedHashMap<>();
        for (String label : labels()) {
            out.put(label, bestLatent(label));
        }
        return out;
    }

    /**
     * The labels whose best latent reaches {@code minF1}, with that latent, most frequent label first.
     *
     * @param minF1 the lowest F1 kept
     * @return the scores of the labels' best latents
     */
    public List<LatentScore> labelsWithF1AtLeast(double minF1) {
        return bestLatentPerLabel().values().stream().filter(s -> s.f1() >= minF1).toList();
    }

    /**
     * For every latent, the label it classifies best, or null when it matches none (F1 0).
     *
     * @param latent the latent's index
     * @return the score of its best label, or null
     */
    public LatentScore bestLabel(int latent) {
        checkLatent(latent);
        LatentScore best = null;
        for (int id = 0; id < labels.size(); id++) {
            LatentScore s = score(latent, id);
            if (s.f1() > 0 && (best == null || s.f1() > best.f1()
                    || s.f1() == best.f1() && s.label().compareTo(best.label()) < 0)) {
                best = s;
            }
        }
        return best;
    }

    /**
     * Names each latent after the label it classifies best, when that F1 is at least {@code minF1}: name = the label,
     * description = its precision, recall and F1, score = F1, source = {@link #SOURCE}. Latents below the threshold
     * keep whatever concept they had. Returns the concepts written.
     *
     * @param dictionary the dictionary to write the names into
     * @param minF1 the lowest F1 that names a latent
     * @return the concepts written
     */
    public List<ConceptDictionary.Concept> proposeNames(ConceptDictionary dictionary, double minF1) {
        dictionary.validate(nLatents);
        if (!(minF1 > 0) || minF1 > 1) {
            throw new IllegalArgumentException("minF1 must be in (0, 1], got " + minF1);
        }
        List<ConceptDictionary.Concept> written = new ArrayList<>();
        for (int l = 0; l < nLatents; l++) {
            if (fired[l] == 0) {
                continue;
            }
            LatentScore best = bestLabel(l);
            if (best != null && best.f1() >= minF1) {
                written.add(dictionary.set(l, best.label(), "fires on '" + best.label() + "' tokens: "
                        + best.describe() + " over " + tokens + " tokens", best.f1(), SOURCE));
            }
        }
        return written;
    }
}
