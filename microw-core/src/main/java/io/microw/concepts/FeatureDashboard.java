package io.microw.concepts;

import io.microw.io.AtomicFiles;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A static HTML feature dashboard, one self-contained file (no scripts, no network): for each chosen latent its
 * name, firing statistics, an activation histogram, the tokens its decoder direction promotes and suppresses
 * through the unembedding ({@code W_U · W_dec[latent]}, when the model has an {@code lm_head}), and its top (and
 * bottom) contexts with every token shaded by the latent's activation. The contexts and statistics come from a
 * {@link TopTextTracker} or from any {@link TopTextSource} and {@link LatentSummary} (e.g. files read back).
 */
public final class FeatureDashboard {

    private static final int TOKENS_SHOWN = 10;

    private final Sae sae;
    private final TopTextSource texts;
    private final LatentSummary stats;
    private final LanguageModel lm;
    private final Map<Integer, String> names;

    /**
     * A dashboard of what a tracker collected: its contexts, weakest firings and statistics.
     *
     * @param lm    the model, for promoted/suppressed tokens; {@code null} leaves them out
     * @param names concept names by latent (may be empty)
     * @param sae the SAE whose latents are shown
     * @param tracker the tracked contexts and statistics
     */
    public FeatureDashboard(Sae sae, TopTextTracker tracker, LanguageModel lm, Map<Integer, String> names) {
        this(sae, tracker, tracker.statistics(), lm, names);
    }

    /**
     * A dashboard of contexts and statistics from anywhere, e.g. read back from files ({@link TopTextsFile},
     * {@link LatentSummaryFile}). Without statistics the page says they are unknown instead of showing zeros.
     *
     * @param sae   the SAE whose latents are shown
     * @param texts the contexts per latent
     * @param stats firing statistics over the same tokens, or {@code null} when there are none
     * @param lm    the model, for promoted/suppressed tokens; {@code null} leaves them out
     * @param names concept names by latent (may be empty)
     */
    public FeatureDashboard(Sae sae, TopTextSource texts, LatentSummary stats, LanguageModel lm,
                            Map<Integer, String> names) {
        this.sae = java.util.Objects.requireNonNull(sae, "sae");
        this.texts = java.util.Objects.requireNonNull(texts, "texts");
        this.stats = stats;
        this.lm = lm;
        this.names = Map.copyOf(names);
        if (texts.latents() != sae.dSae()) {
            throw new SaeException("the top texts have " + texts.latents() + " latents; the SAE has " + sae.dSae());
        }
    }

    /**
     * Writes the dashboard for {@code latents} to {@code file} (atomically).
     *
     * @param latents the latents to show
     * @param file the HTML file to write
     */
    public void write(List<Integer> latents, Path file) {
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>microw feature dashboard")
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em;color:#111;background:#fff}")
                .append("section{border-top:1px solid #999;padding:1em 0}.ctx{font-family:monospace;margin:.3em 0;")
                .append("white-space:pre-wrap}.tok{border-radius:2px}.stats td{padding:0 1em 0 0}")
                .append(".up{color:#064}.down{color:#900}</style></head><body>\n")
                .append("<h1>Feature dashboard</h1>\n<p>").append(escape(sae.toString())).append(", layer ")
                .append(escape(sae.config().hookName())).append(", ")
                .append(stats == null ? "no firing statistics given" : stats.tokens() + " tokens tracked")
                .append(".</p>\n");
        for (int latent : latents) {
            if (latent < 0 || latent >= sae.dSae()) {
                throw new SaeException("latent index " + latent + " is out of range: this SAE has latents 0.."
                        + (sae.dSae() - 1));
            }
            section(html, latent);
        }
        html.append("</body></html>\n");
        try {
            AtomicFiles.writeString(file, html);
        } catch (IOException e) {
            throw new SaeException("could not write the dashboard: " + e.getMessage(), e);
        }
    }

    private void section(StringBuilder html, int latent) {
        String name = names.getOrDefault(latent, "");
        html.append("<section id=\"latent-").append(latent).append("\"><h2>Latent ").append(latent)
                .append(name.isEmpty() ? "" : ": " + escape(name)).append("</h2>\n");
        if (stats == null) {
            html.append("<p class=\"nostats\">Firing statistics unknown: none were given with these top texts ")
                    .append("(frequency, mean, maximum and histogram).</p>\n");
        } else {
            html.append("<table class=\"stats\"><tr>")
                    .append("<td>firing frequency ").append(fmt(stats.frequency(latent) * 100)).append("%</td>")
                    .append("<td>mean activation ").append(fmt(stats.meanActivation(latent))).append("</td>")
                    .append("<td>max activation ").append(fmt(stats.maxActivation(latent)))
                    .append("</td></tr></table>\n");
            histogram(html, stats.histogram(latent), stats.histogramUpper(latent));
        }
        logitEffects(html, latent);
        contexts(html, "Top contexts", texts.topTexts(latent));
        List<LatentContext> bottom = texts.bottomTexts(latent);
        if (!bottom.isEmpty()) {
            contexts(html, "Weakest firings", bottom);
        }
        html.append("</section>\n");
    }

    private static void histogram(StringBuilder html, long[] counts, float upper) {
        if (counts.length == 0) {
            html.append("<p class=\"nostats\">Activation histogram unknown: the statistics have none.</p>\n");
            return;
        }
        long max = 1;
        for (long c : counts) {
            max = Math.max(max, c);
        }
        int w = 8;
        html.append("<figure><svg width=\"").append(counts.length * w).append("\" height=\"60\" role=\"img\" ")
                .append("aria-label=\"activation histogram\">");
        for (int i = 0; i < counts.length; i++) {
            int h = (int) Math.round(55.0 * counts[i] / max);
            html.append("<rect x=\"").append(i * w).append("\" y=\"").append(58 - h).append("\" width=\"")
                    .append(w - 1).append("\" height=\"").append(h).append("\" fill=\"#d97706\"/>");
        }
        html.append("</svg><figcaption>activations from 0 to ").append(fmt(upper)).append("</figcaption></figure>\n");
    }

    private void logitEffects(StringBuilder html, int latent) {
        Unembedding unembedding = Unembedding.of(lm, sae);
        if (unembedding == null) {
            return;
        }
        LogitTable table = LogitTable.of(unembedding.logits(Unembedding.decoderRow(sae, latent)), TOKENS_SHOWN);
        html.append("<p class=\"up\">Promotes: ").append(tokens(unembedding, table.topIds(), table.topValues()))
                .append("</p>\n<p class=\"down\">Suppresses: ")
                .append(tokens(unembedding, table.bottomIds(), table.bottomValues())).append("</p>\n");
    }

    private static String tokens(Unembedding unembedding, int[] ids, float[] values) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            sb.append(i == 0 ? "" : ", ").append("<code>").append(escape(unembedding.token(ids[i])))
                    .append("</code> (").append(fmt(values[i])).append(")");
        }
        return sb.toString();
    }

    private static void contexts(StringBuilder html, String title, List<LatentContext> list) {
        html.append("<h3>").append(title).append("</h3>\n");
        if (list.isEmpty()) {
            html.append("<p>none tracked</p>\n");
            return;
        }
        float max = 0;
        for (LatentContext c : list) {
            max = Math.max(max, c.activation());
        }
        for (LatentContext c : list) {
            html.append("<div class=\"ctx\" title=\"").append(c.textId() < 0 ? "" : "text " + c.textId() + ", ")
                    .append("token ").append(c.position())
                    .append("\">").append(fmt(c.activation())).append(" &nbsp; ");
            for (int i = 0; i < c.window().size(); i++) {
                float a = c.windowActivations().get(i);
                double alpha = max > 0 ? Math.max(0, Math.min(1, a / max)) : 0;
                boolean peak = c.windowStart() + i == c.position();
                html.append("<span class=\"tok\" style=\"background:rgba(217,119,6,")
                        .append(String.format(Locale.ROOT, "%.2f", alpha)).append(")")
                        .append(peak ? ";outline:1px solid #111" : "").append("\" title=\"").append(fmt(a)).append("\">")
                        .append(escape(c.window().get(i))).append("</span>");
            }
            html.append("</div>\n");
        }
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }
}
