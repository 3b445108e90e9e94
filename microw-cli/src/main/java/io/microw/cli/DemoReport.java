package io.microw.cli;

import com.fasterxml.jackson.databind.ObjectWriter;
import io.microw.concepts.LatentContext;
import io.microw.concepts.TopTextTracker;
import io.microw.io.JsonMapper;

import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The demo's report folder: {@code index.html} (self-contained: inline CSS, no scripts, only local images),
 * {@code results.json} (every number of the report), and PNG plots drawn by {@link DemoPlots}.
 */
final class DemoReport {

    static final String TRAINING_PNG = "training_curves.png";
    static final String FREQUENCY_PNG = "firing_frequency.png";
    static final String STEERING_PNG = "steering.png";
    static final String RESULTS_JSON = "results.json";

    private static final ObjectWriter JSON = JsonMapper.pretty();
    private static final int CONCEPTS_SHOWN = 12;
    private static final int CONTEXTS_SHOWN = 3;

    private final Path dir;
    private final DemoCommand.Sizes sizes;
    private final TopTextTracker tracker;
    private final int nLatents;

    DemoReport(Path dir, DemoCommand.Sizes sizes, TopTextTracker tracker, int nLatents) {
        this.dir = dir;
        this.sizes = sizes;
        this.tracker = tracker;
        this.nLatents = nLatents;
    }

    @SuppressWarnings("unchecked")
    void write(Map<String, Object> results, List<Map<String, Object>> history, double[] density) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve(RESULTS_JSON).toFile(), results);
        trainingCurves(history);
        long dead = frequencyHistogram(density);
        Map<String, Object> steering = (Map<String, Object>) results.get("steering");
        DemoPlots.bars(dir.resolve(STEERING_PNG), "Number words in greedy continuations (latent "
                        + steering.get("latent") + ", pos:cd)", List.of("baseline", "latent pinned at 2x peak"),
                new double[] {100 * num(steering, "share_before"), 100 * num(steering, "share_after")},
                new Color[] {DemoPlots.BLUE, DemoPlots.ORANGE}, "%.1f%%", 760);
        Files.writeString(dir.resolve("index.html"), html(results, dead), StandardCharsets.UTF_8);
    }

    private void trainingCurves(List<Map<String, Object>> history) {
        int n = history.size();
        double[] step = new double[n];
        double[] loss = new double[n];
        double[] ev = new double[n];
        double[] l0 = new double[n];
        double[] dead = new double[n];
        for (int i = 0; i < n; i++) {
            Map<String, Object> m = history.get(i);
            step[i] = num(m, "step");
            loss[i] = num(m, "loss");
            ev[i] = num(m, "explained_variance");
            l0[i] = num(m, "l0");
            dead[i] = num(m, "dead_fraction");
        }
        DemoPlots.linePanels(dir.resolve(TRAINING_PNG), List.of(
                new DemoPlots.Series("Loss", step, loss, DemoPlots.BLUE),
                new DemoPlots.Series("Explained variance", step, ev, DemoPlots.GREEN),
                new DemoPlots.Series("L0 (active latents per token)", step, l0, DemoPlots.ORANGE),
                new DemoPlots.Series("Dead latent fraction", step, dead, DemoPlots.RED)), 2, 460, 300, "step");
    }

    /** Histogram of log10 firing frequency over the validation tokens; returns the number of latents never firing. */
    private long frequencyHistogram(double[] density) {
        double lo = -6;
        double hi = 0;
        int bins = 30;
        long[] counts = new long[bins];
        long dead = 0;
        double min = Double.POSITIVE_INFINITY;
        for (double d : density) {
            if (d > 0) {
                min = Math.min(min, d);
            }
        }
        if (Double.isFinite(min)) {
            lo = Math.min(-1, Math.floor(Math.log10(min)));
        }
        double[] edges = new double[bins + 1];
        for (int i = 0; i <= bins; i++) {
            edges[i] = lo + (hi - lo) * i / bins;
        }
        for (double d : density) {
            if (!(d > 0)) {
                dead++;
                continue;
            }
            int b = (int) Math.floor((Math.log10(d) - lo) / (hi - lo) * bins);
            counts[Math.max(0, Math.min(bins - 1, b))]++;
        }
        DemoPlots.histogram(dir.resolve(FREQUENCY_PNG), "Latent firing frequency on validation tokens ("
                        + (density.length - dead) + " of " + density.length + " latents fire)",
                "log10(fraction of tokens the latent fires on)", "latents", edges, counts, 760, 360,
                DemoPlots.BLUE);
        return dead;
    }

    @SuppressWarnings("unchecked")
    private String html(Map<String, Object> r, long dead) {
        Map<String, Object> store = (Map<String, Object>) r.get("store");
        Map<String, Object> training = (Map<String, Object>) r.get("training");
        Map<String, Object> eval = (Map<String, Object>) r.get("eval");
        Map<String, Object> concepts = (Map<String, Object>) r.get("concepts");
        Map<String, Object> steering = (Map<String, Object>) r.get("steering");
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<title>microw demo report</title>\n<style>\n")
                .append("body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}\n")
                .append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;")
                .append("text-align:left}th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}\n")
                .append(".ctx{font-family:monospace;white-space:pre-wrap;margin:2px 0}.tok{border-radius:2px}\n")
                .append(".peak{outline:1px solid #b00}.concept{margin:1em 0;padding:.5em 1em;border:1px solid #ddd}\n")
                .append("img{max-width:100%;border:1px solid #eee}code{background:#f5f5f5;padding:0 3px}\n")
                .append("</style>\n</head>\n<body>\n");
        h.append("<h1>microw demo report</h1>\n<p>Model <b>brown-gpt2</b> (embedded), layer <code>")
                .append(esc(String.valueOf(r.get("layer")))).append("</code>, mode <b>")
                .append(esc(String.valueOf(r.get("mode")))).append("</b>. Every number is also in <a href=\"")
                .append(RESULTS_JSON).append("\">").append(RESULTS_JSON).append("</a>.</p>\n");

        h.append("<h2>1. Activations</h2>\n<p>").append(fmtInt(store.get("real_tokens")))
                .append(" real tokens of the first ").append(fmtInt(store.get("sentences")))
                .append(" sentences of the Brown training split, saved as run <code>").append(esc(DemoCommand.RUN))
                .append("</code> (").append(fmtInt(store.get("batches"))).append(" batches).</p>\n");

        h.append("<h2>2. Training</h2>\n<p>TopK SAE, d_in ").append(training.get("d_in")).append(", d_sae ")
                .append(training.get("d_sae")).append(", k ").append(training.get("k")).append("; ")
                .append(training.get("epochs")).append(" epoch(s) over ")
                .append(fmtInt(training.get("training_tokens_per_epoch"))).append(" tokens, ")
                .append(training.get("steps")).append(" steps of ").append(training.get("batch_size"))
                .append(" tokens, ").append(training.get("seconds")).append(" s (")
                .append(fmtInt(training.get("tokens_per_s"))).append(" tokens/s).</p>\n")
                .append("<img src=\"").append(TRAINING_PNG).append("\" alt=\"training curves\">\n");

        h.append("<h2>3. Evaluation on the validation split</h2>\n<p>").append(fmtInt(eval.get("sentences")))
                .append(" sentences, ").append(fmtInt(eval.get("tokens"))).append(" tokens.</p>\n<table>\n");
        row(h, "explained variance", eval.get("explained_variance"));
        row(h, "CE loss score", eval.get("ce_loss_score"));
        row(h, "CE loss: clean / with SAE / zero-ablated", String.format(Locale.ROOT, "%.3f / %.3f / %.3f",
                num(eval, "ce_loss_without_sae"), num(eval, "ce_loss_with_sae"), num(eval, "ce_loss_with_ablation")));
        row(h, "KL divergence score", eval.get("kl_div_score"));
        row(h, "L0", eval.get("l0"));
        row(h, "dead latents (never fired on these tokens)", dead + " of " + nLatents);
        h.append("</table>\n<img src=\"").append(FREQUENCY_PNG).append("\" alt=\"firing frequency histogram\">\n");

        h.append("<h2>4. Concepts</h2>\n<p>Brown POS and genre discovery on ").append(fmtInt(concepts.get("sentences")))
                .append(" validation sentences (").append(fmtInt(concepts.get("tokens")))
                .append(" tokens): <b>").append(concepts.get("pos_tags_f1_at_least_0_5")).append(" of ")
                .append(concepts.get("pos_tags_seen"))
                .append(" POS tags</b> have a latent that classifies them with F1 &ge; 0.5. Below, the best ")
                .append("ones with their latent's top contexts (text tracking on the same sentences; the shade is ")
                .append("the latent's activation, the outlined token is the peak).</p>\n");
        List<Map<String, Object>> tags = (List<Map<String, Object>>) concepts.get("tags");
        Set<Integer> shown = new LinkedHashSet<>();
        for (Map<String, Object> t : tags) {
            int latent = ((Number) t.get("latent")).intValue();
            if (shown.size() >= CONCEPTS_SHOWN || !shown.add(latent)) {
                continue;
            }
            concept(h, t, latent);
        }
        if (tags.isEmpty()) {
            h.append("<p>(No tag reached F1 0.5 at these sizes.)</p>\n");
        }
        h.append("<h3>Most frequent tags</h3>\n");
        scoreTable(h, (List<Map<String, Object>>) concepts.get("top_tags"));
        h.append("<h3>Genres</h3>\n<p>Genres label every token of a document, so no single latent separates ")
                .append("them well.</p>\n");
        scoreTable(h, (List<Map<String, Object>>) concepts.get("genres"));

        h.append("<h2>5. Steering</h2>\n<p>Latent ").append(steering.get("latent"))
                .append(", the best classifier of <code>pos:cd</code> (cardinal numbers; F1 ")
                .append(String.format(Locale.ROOT, "%.3f", num(steering, "f1")))
                .append("), pinned at twice its largest tracked activation (")
                .append(String.format(Locale.ROOT, "%.2f", num(steering, "clamp")))
                .append(") while generating greedily ").append(steering.get("new_tokens"))
                .append(" tokens. Share of number words (words whose commonest Brown tag is cd): <b>")
                .append(String.format(Locale.ROOT, "%.1f%% &rarr; %.1f%%", 100 * num(steering, "share_before"),
                        100 * num(steering, "share_after"))).append("</b>.</p>\n<img src=\"").append(STEERING_PNG)
                .append("\" alt=\"steering effect\">\n<table>\n<tr><th>prompt</th><th>before</th><th>after</th></tr>\n");
        for (Map<String, Object> t : (List<Map<String, Object>>) steering.get("texts")) {
            h.append("<tr><td>").append(esc((String) t.get("prompt"))).append("</td><td>")
                    .append(esc((String) t.get("before"))).append("</td><td>").append(esc((String) t.get("after")))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n");
        h.append("<p>Top contexts of the steered latent:</p>\n");
        contexts(h, ((Number) steering.get("latent")).intValue());
        h.append("<hr><p>Generated by <code>microw demo").append(sizes.mode().equals("quick") ? " --quick" : "")
                .append("</code>.</p>\n</body>\n</html>\n");
        return h.toString();
    }

    private void concept(StringBuilder h, Map<String, Object> t, int latent) {
        h.append("<div class=\"concept\"><b>latent ").append(latent).append("</b> &mdash; <code>")
                .append(esc((String) t.get("label"))).append("</code>: ")
                .append(String.format(Locale.ROOT, "precision %.3f, recall %.3f, F1 <b>%.3f</b> (%,d tokens)",
                        num(t, "precision"), num(t, "recall"), num(t, "f1"), ((Number) t.get("tokens")).longValue()))
                .append("\n");
        contexts(h, latent);
        h.append("</div>\n");
    }

    /** The latent's top contexts, tokens shaded by the latent's activation. */
    private void contexts(StringBuilder h, int latent) {
        List<LatentContext> top = new ArrayList<>(tracker.topTexts(latent));
        if (top.isEmpty()) {
            h.append("<p><i>(did not fire on the tracked sentences)</i></p>\n");
            return;
        }
        float max = 0;
        for (LatentContext c : top) {
            max = Math.max(max, c.activation());
        }
        for (LatentContext c : top.subList(0, Math.min(CONTEXTS_SHOWN, top.size()))) {
            h.append("<div class=\"ctx\">");
            for (int i = 0; i < c.window().size(); i++) {
                float a = i < c.windowActivations().size() ? c.windowActivations().get(i) : 0f;
                double alpha = max > 0 ? Math.max(0, Math.min(1, a / max)) : 0;
                boolean peak = c.windowStart() + i == c.position();
                h.append("<span class=\"tok").append(peak ? " peak" : "").append("\"");
                if (alpha > 0) {
                    h.append(String.format(Locale.ROOT, " style=\"background:rgba(255,140,0,%.2f)\"", alpha))
                            .append(String.format(Locale.ROOT, " title=\"%.2f\"", a));
                }
                h.append(">").append(esc(c.window().get(i).replace('\u0120', ' ').replace('\u010a', ' ')))
                        .append("</span>");
            }
            h.append(String.format(Locale.ROOT, "  <small>(%.2f)</small></div>\n", c.activation()));
        }
    }

    private static void scoreTable(StringBuilder h, List<Map<String, Object>> rows) {
        h.append("<table>\n<tr><th>label</th><th>latent</th><th>precision</th><th>recall</th><th>F1</th>"
                + "<th>tokens</th></tr>\n");
        for (Map<String, Object> s : rows) {
            h.append("<tr><td><code>").append(esc((String) s.get("label"))).append("</code></td><td class=\"n\">")
                    .append(s.get("latent")).append(String.format(Locale.ROOT, "</td><td class=\"n\">%.3f</td><td "
                            + "class=\"n\">%.3f</td><td class=\"n\">%.3f</td>", num(s, "precision"), num(s, "recall"),
                            num(s, "f1"))).append("<td class=\"n\">").append(fmtInt(s.get("tokens")))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static void row(StringBuilder h, String name, Object value) {
        String v = value instanceof Number n ? String.format(Locale.ROOT, "%.4f", n.doubleValue())
                : String.valueOf(value);
        h.append("<tr><th>").append(esc(name)).append("</th><td class=\"n\">").append(esc(v)).append("</td></tr>\n");
    }

    private static String fmtInt(Object v) {
        return v instanceof Number n ? String.format(Locale.ROOT, "%,d", n.longValue()) : String.valueOf(v);
    }

    static double num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        return v == null ? Double.NaN : Double.parseDouble(String.valueOf(v));
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
