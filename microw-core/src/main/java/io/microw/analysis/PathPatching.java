package io.microw.analysis;

import io.microw.lm.ActivationCache;
import io.microw.lm.InferenceEngine;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Path patching from a sender attention head to the query, key or value input of receiver heads, as Wang et al.
 * define it ("Interpretability in the Wild", 2022, appendix B; the path patching of TransformerLens' IOI demos), in
 * the denoising direction of {@link ActivationPatching}: how much of the clean metric the sender's clean output
 * restores through the receivers' input alone, reaching them through the residual stream and the MLPs but not
 * through other heads. For a sender, receivers and a channel (q, k or v):
 * <ol>
 * <li>run the clean and the corrupted prompt, caching every head's output ({@code attn.hook_z});</li>
 * <li>run the corrupted prompt with the sender's output taken from the clean run and every other head's output,
 *     in every layer, frozen to its corrupted-run value (MLPs and norms are recomputed); record the receiver
 *     layers' {@code attn.hook_q}, {@code hook_k} or {@code hook_v} ([batch, seq, heads, head_dim]: the vectors
 *     the heads compute from their input, before any rotary embedding);</li>
 * <li>run the corrupted prompt again with only the receivers' heads of that hook replaced by what step 2 recorded
 *     (nothing frozen), and measure the metric.</li>
 * </ol>
 * Every head and receiver is patched at all positions, so the prompts are one row each, of equal length. A head's
 * output reaches only later layers: {@link #heads} refuses a sender that is not in a layer before its receiver, and
 * in a sweep a sender in or after the last receiver's layer is the corrupted metric by definition (filled in without
 * a forward). Where heads share keys and values (grouped-query attention: fewer k/v heads than query heads), one
 * head's k or v input cannot be patched without its group's, so {@link Channel#K} and {@link Channel#V} are refused
 * there; {@link Channel#Q} works for every family.
 * <pre>{@code
 * PatchingResult toNameMovers = PathPatching.senders(lm, clean, corrupt, LogitMetric.logitDiff(a, b), Channel.Q,
 *         List.of(new PathPatching.Head(9, 9), new PathPatching.Head(9, 6)));
 * }</pre>
 */
public final class PathPatching {

    private PathPatching() {
    }

    /** The receiver input a path ends at. */
    public enum Channel {
        /** The query vectors ({@code attn.hook_q}). */
        Q,
        /** The key vectors ({@code attn.hook_k}). */
        K,
        /** The value vectors ({@code attn.hook_v}). */
        V;

        /**
         * The channel's name, as front ends take it.
         *
         * @return {@code q}, {@code k} or {@code v}
         */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * Every channel's name, in declaration order.
         *
         * @return {@code [q, k, v]}
         */
        public static List<String> ids() {
            return Arrays.stream(values()).map(Channel::id).toList();
        }

        /**
         * The channel with this name, in either case.
         *
         * @param id {@code q}, {@code k} or {@code v}
         * @return the channel
         * @throws IllegalArgumentException naming the accepted names when there is none
         */
        public static Channel fromId(String id) {
            for (Channel c : values()) {
                if (c.id().equalsIgnoreCase(id.strip())) {
                    return c;
                }
            }
            throw new IllegalArgumentException("unknown channel '" + id + "': one of " + ids());
        }

        /** This channel's hook point in block {@code layer}. */
        String hook(int layer) {
            return "blocks." + layer + ".attn.hook_" + id();
        }
    }

    /**
     * An attention head.
     *
     * @param layer its block, from 0
     * @param head  its index in the block, from 0
     */
    public record Head(int layer, int head) {
        /** Reads {@code blocks.3 head 2}. */
        @Override
        public String toString() {
            return "blocks." + layer + " head " + head;
        }
    }

    /**
     * Path patching of one sender head into one receiver head's q, k or v input, with the default batch settings.
     *
     * @param lm            the model
     * @param clean         the clean prompt's ids [1][seq]
     * @param corrupt       the corrupted prompt's ids [1][seq]
     * @param metric        what to measure on the logits
     * @param senderLayer   the sender's block
     * @param senderHead    the sender's head
     * @param receiverLayer the receiver's block, after the sender's
     * @param receiverHead  the receiver's head
     * @param channel       which input of the receiver the path ends at
     * @return the metric of the corrupted run with the path patched
     * @throws IllegalArgumentException before any forward when the sender is not before the receiver
     */
    public static float heads(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric,
                              int senderLayer, int senderHead, int receiverLayer, int receiverHead, Channel channel) {
        Head sender = new Head(senderLayer, senderHead);
        Head receiver = new Head(receiverLayer, receiverHead);
        checkHeads(lm, List.of(sender, receiver));
        if (senderLayer >= receiverLayer) {
            throw new IllegalArgumentException("sender " + sender + " is not before receiver " + receiver
                    + ": a head's output reaches only later layers' q, k and v inputs, so the sender's layer must "
                    + "be lower than the receiver's");
        }
        return measure(PatchingSweeps.defaults(), lm, clean, corrupt, metric, channel, List.of(sender),
                List.of(receiver)).values()[0];
    }

    /**
     * Path patching of every head, in turn, as the sender into the given receivers' q, k or v inputs (all of them
     * at once), with the default batch settings.
     *
     * @param lm        the model
     * @param clean     the clean prompt's ids [1][seq]
     * @param corrupt   the corrupted prompt's ids [1][seq]
     * @param metric    what to measure on the logits
     * @param channel   which input of the receivers the paths end at
     * @param receivers the receiving heads, at least one
     * @return [layers][heads] by sender, rows labelled by the sender's {@code attn.hook_z}
     */
    public static PatchingResult senders(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric,
                                         Channel channel, List<Head> receivers) {
        return senders(PatchingSweeps.defaults(), lm, clean, corrupt, metric, channel, receivers);
    }

    /**
     * As {@link #senders(LanguageModel, long[][], long[][], LogitMetric, Channel, List)}, with the batch size and
     * progress of {@code sweeps}: each batch of senders takes two forwards, one row per sender.
     *
     * @param sweeps    the settings (patched copies per forward, progress in senders done)
     * @param lm        the model
     * @param clean     the clean prompt's ids [1][seq]
     * @param corrupt   the corrupted prompt's ids [1][seq]
     * @param metric    what to measure on the logits
     * @param channel   which input of the receivers the paths end at
     * @param receivers the receiving heads, at least one
     * @return [layers][heads] by sender
     */
    public static PatchingResult senders(PatchingSweeps sweeps, LanguageModel lm, long[][] clean, long[][] corrupt,
                                         LogitMetric metric, Channel channel, List<Head> receivers) {
        Objects.requireNonNull(sweeps, "sweeps");
        if (receivers == null || receivers.isEmpty()) {
            throw new IllegalArgumentException("no receivers given: name at least one head to path patch into");
        }
        checkHeads(lm, receivers);
        int layers = lm.config().numLayers();
        int heads = lm.config().numHeads();
        int lastReceiverLayer = receivers.stream().mapToInt(Head::layer).max().orElseThrow();
        List<Head> reachable = new ArrayList<>();
        for (int l = 0; l < lastReceiverLayer; l++) {
            for (int h = 0; h < heads; h++) {
                reachable.add(new Head(l, h));
            }
        }
        Outcome o = measure(sweeps, lm, clean, corrupt, metric, channel, reachable, receivers);
        float[][] table = new float[layers][heads];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                table[l][h] = l < lastReceiverLayer ? o.values()[l * heads + h] : o.corrupt();
            }
        }
        sweeps.progress().accept(layers * heads);
        List<String> rows = IntStream.range(0, layers).mapToObj(l -> "blocks." + l + ".attn.hook_z")
                .collect(Collectors.toList());
        List<String> columns = IntStream.range(0, heads).mapToObj(h -> "head " + h).collect(Collectors.toList());
        return new PatchingResult(table, rows, columns, o.clean(), o.corrupt());
    }

    /** The metric per sender, in order, and the two baselines. */
    private record Outcome(float[] values, float clean, float corrupt) {
    }

    private static Outcome measure(PatchingSweeps sweeps, LanguageModel lm, long[][] clean, long[][] corrupt,
                                   LogitMetric metric, Channel channel, List<Head> senders, List<Head> receivers) {
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(channel, "channel");
        PatchingSweeps.checkedPrompts(clean, corrupt);
        InferenceEngine engine = lm.inference();
        int layers = lm.config().numLayers();
        String[] z = IntStream.range(0, layers).mapToObj(l -> "blocks." + l + ".attn.hook_z").toArray(String[]::new);
        int[] receiverLayers = receivers.stream().mapToInt(Head::layer).distinct().sorted().toArray();
        String[] received = Arrays.stream(receiverLayers).mapToObj(channel::hook).toArray(String[]::new);
        float[] values = new float[senders.size()];
        try (RunResult cleanRun = engine.run(clean, null, Interventions.capture(z));
             RunResult corruptRun = engine.run(corrupt, null,
                     Interventions.capture(z).and(Interventions.capture(received)))) {
            checkUngrouped(lm, corruptRun.cache(), received, channel);
            float cleanMetric = metric.apply(cleanRun.logits(), null);
            float corruptMetric = metric.apply(corruptRun.logits(), null);
            int maxBatch = sweeps.maxBatch();
            for (int start = 0; start < senders.size(); start += maxBatch) {
                List<Head> chunk = senders.subList(start, Math.min(senders.size(), start + maxBatch));
                Interventions frozen = Interventions.none();
                for (int l = 0; l < layers; l++) {
                    int layer = l;
                    frozen = frozen.and(Interventions.patch(z[l], corruptRun.cache()));
                    if (chunk.stream().anyMatch(s -> s.layer() == layer)) {
                        frozen = frozen.and(Interventions.patchWhere(z[l], cleanRun.cache(),
                                (row, position, head) -> chunk.get(row).equals(new Head(layer, head))));
                    }
                }
                long[][] copies = new long[chunk.size()][];
                Arrays.fill(copies, corrupt[0]);
                try (RunResult sent = engine.run(copies, null, frozen.and(Interventions.capture(received)))) {
                    Interventions intoReceivers = Interventions.none();
                    for (int i = 0; i < receiverLayers.length; i++) {
                        int layer = receiverLayers[i];
                        intoReceivers = intoReceivers.and(Interventions.patchWhere(received[i], sent.cache(),
                                (row, position, head) -> receivers.contains(new Head(layer, head))));
                    }
                    try (RunResult patched = engine.run(copies, null, intoReceivers)) {
                        float[] rowValues = metric.perRow(patched.logits(), null);
                        System.arraycopy(rowValues, 0, values, start, rowValues.length);
                    }
                }
                sweeps.progress().accept(start + chunk.size());
            }
            return new Outcome(values, cleanMetric, corruptMetric);
        }
    }

    private static void checkHeads(LanguageModel lm, List<Head> heads) {
        int layers = lm.config().numLayers();
        int perLayer = lm.config().numHeads();
        for (Head h : heads) {
            if (h.layer() < 0 || h.layer() >= layers || h.head() < 0 || h.head() >= perLayer) {
                throw new IllegalArgumentException("head " + h + " is out of range: the model has " + layers
                        + " blocks (0.." + (layers - 1) + ") of " + perLayer + " heads (0.." + (perLayer - 1) + ")");
            }
        }
    }

    /** Refuses k or v inputs shared by several query heads (grouped-query attention). */
    private static void checkUngrouped(LanguageModel lm, ActivationCache cache, String[] received, Channel channel) {
        int heads = lm.config().numHeads();
        for (String hook : received) {
            long count = cache.get(hook).getShape().get(2);
            if (count != heads) {
                throw new IllegalArgumentException("'" + hook + "' has " + count + " heads, each shared by "
                        + heads / count + " of the " + heads + " query heads (grouped-query attention): patching one "
                        + "head's " + channel + " input would change its whole group; path patch into Channel.Q");
            }
        }
    }
}
