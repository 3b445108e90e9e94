package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Pairs a {@code microw bench} command with the PyTorch peer ({@code --peer}, {@code --no-peer}, {@code --pairs}):
 * runs microw's side, then the peer's script, back to back, {@code --pairs} times. Prints microw's JSON lines with
 * the peer's number ({@code peer_<metric>}), its torch version ({@code peer_torch}) and the ratio, then the peer's own
 * lines, and at the end one summary line per workload with the median ratio over the pairs. Without a peer (the
 * script is missing, or {@code --no-peer}) microw's lines are printed as they are. The one pairing mechanism of every
 * benchmark that has a peer workload.
 */
final class PeerPairing {

    /** The fields that say which peer line measured the same thing as one of microw's (beside workload and model). */
    static final List<String> SHAPE_FIELDS = List.of("batch", "seq", "prompt", "new_tokens", "d_in", "d_sae", "k");
    /** microw's fields that a summary line gives the median of, when present (the machine check beside a number). */
    static final List<String> MEDIAN_FIELDS = List.of("calib_gflops", "bound_tokens_per_s", "fraction_of_bound");

    @Option(names = "--peer", paramLabel = "SCRIPT",
            description = "The PyTorch peer's script (default: ../shared/bench/run-torch-ref.sh, else "
                    + "/work/shared/bench/run-torch-ref.sh).")
    Path peer;

    @Option(names = "--no-peer", description = "Do not run the PyTorch peer: microw's numbers alone.")
    boolean noPeer;

    @Option(names = "--pairs", paramLabel = "N", defaultValue = "1",
            description = "Back-to-back pairs to run (microw, then the peer); the summary line gives the median "
                    + "ratio over them (default: ${DEFAULT-VALUE}; 3 or more for a ratio worth reporting).")
    int pairs;

    /** microw's side of one pair: its JSON lines, one per measured workload. */
    @FunctionalInterface
    interface MicrowSide {
        /**
         * Runs microw's workloads once.
         *
         * @param pair the pair's number, from 1
         * @return one JSON line per measurement
         */
        List<ObjectNode> run(int pair);
    }

    /**
     * The peer run a benchmark pairs with.
     *
     * @param workloads the script's arguments ({@code forward}, {@code llama}, {@code sae}, ...)
     * @param metric    the higher-is-better field that microw's lines and the peer's both give ({@code tokens_per_s})
     */
    record Peer(List<String> workloads, String metric) {
    }

    /**
     * Checks {@code --pairs}; call before any work.
     *
     * @param commandLine the command, for its usage error
     */
    void validate(CommandLine commandLine) {
        if (pairs < 1 || pairs > 1000) {
            throw new ParameterException(commandLine, "--pairs must be 1..1000, got " + pairs);
        }
    }

    /**
     * Runs {@code pairs} pairs and prints their JSON lines and the summary lines on the command's stdout.
     *
     * @param commandLine the command (its stdout and stderr)
     * @param with        the peer run to pair with
     * @param microw      microw's side
     * @return the outcome, for a table
     */
    Outcome run(CommandLine commandLine, Peer with, MicrowSide microw) {
        validate(commandLine);
        PrintWriter out = commandLine.getOut();
        PrintWriter err = commandLine.getErr();
        Path script = noPeer ? null : TorchPeer.resolve(peer, err);
        Map<String, Group> groups = new LinkedHashMap<>();
        for (int pair = 1; pair <= pairs; pair++) {
            List<ObjectNode> ours = microw.run(pair);
            List<JsonNode> theirs = script == null ? List.of() : TorchPeer.run(script, with.workloads(), err);
            for (ObjectNode line : ours) {
                if (pairs > 1) {
                    line.put("pair", pair);
                }
                JsonNode match = match(line, theirs);
                if (match != null) {
                    pairWith(line, match, with.metric());
                }
                if (line.has(with.metric())) {
                    groups.computeIfAbsent(key(line), k -> new Group(line)).add(line, with.metric());
                }
                out.println(line);
            }
            theirs.forEach(out::println);
            out.flush();
        }
        List<ObjectNode> summaries = new ArrayList<>();
        for (Group g : groups.values()) {
            if (!g.ratios.isEmpty()) {
                summaries.add(g.summary(with.metric()));
            }
        }
        summaries.forEach(out::println);
        out.flush();
        return new Outcome(new ArrayList<>(groups.values()), with.metric(), pairs);
    }

    /**
     * The peer's line that measured what {@code ours} measured: the same workload, the same first word of the model
     * ({@code brown-gpt2}, {@code gpt2-small}, {@code TinyLlama}; none for SAE training) and the same value of every
     * {@link #SHAPE_FIELDS shape field} the peer's line gives; {@code null} when there is none.
     */
    static JsonNode match(JsonNode ours, List<JsonNode> peer) {
        for (JsonNode p : peer) {
            boolean same = p.path("workload").asText().equals(ours.path("workload").asText())
                    && firstWord(p.path("model").asText()).equals(firstWord(ours.path("model").asText()));
            for (String f : SHAPE_FIELDS) {
                same &= !p.has(f) || (ours.has(f) && p.get(f).asLong() == ours.get(f).asLong());
            }
            if (same) {
                return p;
            }
        }
        return null;
    }

    /** Adds the peer's torch version, its number and the ratio (microw ÷ peer, from the two printed numbers). */
    static void pairWith(ObjectNode ours, JsonNode peer, String metric) {
        double theirs = peer.path(metric).asDouble();
        ours.put("peer_torch", peer.path("torch").asText("unknown"));
        ours.put("peer_" + metric, theirs);
        ours.put("ratio", round3(ours.path(metric).asDouble() / theirs));
    }

    private static String firstWord(String s) {
        int space = s.indexOf(' ');
        return space < 0 ? s : s.substring(0, space);
    }

    /** What identifies one measured workload across pairs: workload, model, shape fields, and path when given. */
    private static String key(JsonNode line) {
        StringBuilder sb = new StringBuilder(line.path("workload").asText()).append('|')
                .append(line.path("model").asText()).append('|').append(line.path("path").asText());
        for (String f : SHAPE_FIELDS) {
            sb.append('|').append(line.path(f).asText());
        }
        return sb.toString();
    }

    static double round3(double x) {
        return Math.round(x * 1000) / 1000.0;
    }

    /** One workload's lines over the pairs. */
    static final class Group {
        private final JsonNode first;
        private final List<Double> ours = new ArrayList<>();
        private final List<Double> theirs = new ArrayList<>();
        private final List<Double> ratios = new ArrayList<>();
        private final Map<String, List<Double>> extra = new LinkedHashMap<>();
        private String torch;

        private Group(JsonNode first) {
            this.first = first;
        }

        private void add(JsonNode line, String metric) {
            ours.add(line.path(metric).asDouble());
            if (line.has("ratio")) {
                theirs.add(line.path("peer_" + metric).asDouble());
                ratios.add(line.path("ratio").asDouble());
                torch = line.path("peer_torch").asText();
            }
            for (String f : MEDIAN_FIELDS) {
                if (line.has(f)) {
                    extra.computeIfAbsent(f, k -> new ArrayList<>()).add(line.get(f).asDouble());
                }
            }
        }

        /** The summary line: the workload's identity, medians over the pairs, and every pair's ratio. */
        private ObjectNode summary(String metric) {
            ObjectNode s = Json.object();
            s.put("workload", first.path("workload").asText());
            for (String f : List.of("model", "path")) {
                if (first.has(f)) {
                    s.set(f, first.get(f));
                }
            }
            for (String f : SHAPE_FIELDS) {
                if (first.has(f)) {
                    s.set(f, first.get(f));
                }
            }
            s.put("summary", true);
            s.put("pairs", ratios.size());
            s.put(metric + "_median", BenchSupport.round(median(ours)));
            s.put("peer_" + metric + "_median", BenchSupport.round(median(theirs)));
            s.put("ratio_median", round3(median(ratios)));
            ArrayNode all = s.putArray("ratios");
            ratios.forEach(all::add);
            s.put("peer_torch", torch);
            extra.forEach((f, xs) -> s.put(f + "_median", round3(median(xs))));
            for (String f : List.of("threads", "microw", "engine", "omp_wait_policy", "omp_wait_policy_source")) {
                if (first.has(f)) {
                    s.set(f, first.get(f));
                }
            }
            return s;
        }

        private String shape() {
            StringBuilder sb = new StringBuilder();
            for (String f : SHAPE_FIELDS) {
                if (first.has(f)) {
                    sb.append(sb.length() == 0 ? "" : " ").append(f).append(' ').append(first.get(f).asText());
                }
            }
            return sb.toString();
        }
    }

    /** What {@link #run} measured: every workload's numbers over the pairs. */
    record Outcome(List<Group> groups, String metric, int pairs) {

        /** A table for people: per workload microw's median, the peer's, and the median ratio over the pairs. */
        void printTable(PrintWriter out) {
            out.println();
            String torch = groups.stream().filter(g -> g.torch != null).map(g -> g.torch).findFirst().orElse(null);
            out.printf(Locale.ROOT, "Beside the PyTorch peer (%s; %s, higher is better; median of %d back-to-back "
                    + "pair%s)%n", torch == null ? "not run" : "torch " + torch, metric, pairs, pairs == 1 ? "" : "s");
            out.printf(Locale.ROOT, "  %-48s %-36s %12s %12s %8s%n", "model", "shape", "microw", "PyTorch", "ratio");
            for (Group g : groups) {
                boolean paired = !g.ratios.isEmpty();
                String name = g.first.path("model").asText(g.first.path("workload").asText())
                        + (g.first.has("path") ? " (" + g.first.get("path").asText() + ")" : "");
                out.printf(Locale.ROOT, "  %-48s %-36s %12.1f %12s %8s%n", name, g.shape(), median(g.ours),
                        paired ? String.format(Locale.ROOT, "%.1f", median(g.theirs)) : "-",
                        paired ? String.format(Locale.ROOT, "%.2fx", median(g.ratios)) : "-");
            }
            out.println("  Ratios only mean something measured side by side on the same machine.");
        }
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        return a.length == 0 ? Double.NaN : ForwardBenchmark.median(a);
    }
}
