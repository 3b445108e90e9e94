package io.microw.cli;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The demo report's plots, drawn with Java2D and written as PNG with ImageIO (headless; no extra library): line
 * panels (training curves), a histogram (latent firing frequencies) and horizontal bars (steering effect).
 */
final class DemoPlots {

    static final Color BLUE = new Color(0x1f, 0x77, 0xb4);
    static final Color ORANGE = new Color(0xff, 0x7f, 0x0e);
    static final Color GREEN = new Color(0x2c, 0xa0, 0x2c);
    static final Color RED = new Color(0xd6, 0x27, 0x28);
    private static final Color GRID = new Color(0xe4, 0xe4, 0xe4);
    private static final Color AXIS = new Color(0x44, 0x44, 0x44);

    /** One line panel: a title and y values over x values. */
    record Series(String title, double[] x, double[] y, Color color) {
    }

    private DemoPlots() {
    }

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** A grid of line panels, {@code columns} wide, each {@code panelW x panelH} pixels, under an x-axis label. */
    static void linePanels(Path file, List<Series> panels, int columns, int panelW, int panelH, String xLabel) {
        int rows = (panels.size() + columns - 1) / columns;
        BufferedImage img = canvas(columns * panelW, rows * panelH);
        Graphics2D g = graphics(img);
        for (int i = 0; i < panels.size(); i++) {
            int x0 = (i % columns) * panelW;
            int y0 = (i / columns) * panelH;
            Series s = panels.get(i);
            linePanel(g, x0, y0, panelW, panelH, s, xLabel);
        }
        g.dispose();
        write(img, file);
    }

    private static void linePanel(Graphics2D g, int x0, int y0, int w, int h, Series s, String xLabel) {
        int left = x0 + 62;
        int right = x0 + w - 16;
        int top = y0 + 30;
        int bottom = y0 + h - 42;
        title(g, s.title(), x0 + w / 2, y0 + 20);
        double xmin = min(s.x());
        double xmax = max(s.x());
        double ymin = min(s.y());
        double ymax = max(s.y());
        if (!(xmax > xmin)) {
            xmax = xmin + 1;
        }
        if (!(ymax > ymin)) {
            if (ymin == 0) {
                ymax = 1; // a constant 0 (e.g. no dead latents): show [0, 1]
            } else {
                double pad = Math.abs(ymin) * 0.1;
                ymin -= pad;
                ymax += pad;
            }
        }
        double[] yt = ticks(ymin, ymax);
        ymin = Math.min(ymin, yt[0]);
        ymax = Math.max(ymax, yt[yt.length - 1]);
        double[] xt = ticks(xmin, xmax);
        axes(g, left, right, top, bottom, xmin, xmax, ymin, ymax, xt, yt);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setColor(AXIS);
        center(g, xLabel, (left + right) / 2, bottom + 34);
        Path2D.Double path = new Path2D.Double();
        for (int i = 0; i < s.x().length; i++) {
            double px = left + (s.x()[i] - xmin) / (xmax - xmin) * (right - left);
            double py = bottom - (s.y()[i] - ymin) / (ymax - ymin) * (bottom - top);
            if (!Double.isFinite(py)) {
                continue;
            }
            if (path.getCurrentPoint() == null) {
                path.moveTo(px, py);
            } else {
                path.lineTo(px, py);
            }
        }
        g.setColor(s.color());
        g.setStroke(new BasicStroke(2f));
        g.draw(path);
        if (s.x().length == 1) {
            double px = left + (s.x()[0] - xmin) / (xmax - xmin) * (right - left);
            double py = bottom - (s.y()[0] - ymin) / (ymax - ymin) * (bottom - top);
            g.fillOval((int) px - 3, (int) py - 3, 6, 6);
        }
        g.setStroke(new BasicStroke(1f));
    }

    /** A histogram: {@code counts[i]} tokens in bin {@code i}, bins labelled by their lower edges. */
    static void histogram(Path file, String title, String xLabel, String yLabel, double[] edges, long[] counts,
                          int width, int height, Color color) {
        BufferedImage img = canvas(width, height);
        Graphics2D g = graphics(img);
        int left = 70;
        int right = width - 20;
        int top = 36;
        int bottom = height - 50;
        title(g, title, width / 2, 22);
        long maxCount = 1;
        for (long c : counts) {
            maxCount = Math.max(maxCount, c);
        }
        double[] yt = ticks(0, maxCount);
        double ymax = Math.max(maxCount, yt[yt.length - 1]);
        double xmin = edges[0];
        double xmax = edges[edges.length - 1];
        axes(g, left, right, top, bottom, xmin, xmax, 0, ymax, ticks(xmin, xmax), yt);
        for (int i = 0; i < counts.length; i++) {
            int bx0 = (int) Math.round(left + (edges[i] - xmin) / (xmax - xmin) * (right - left));
            int bx1 = (int) Math.round(left + (edges[i + 1] - xmin) / (xmax - xmin) * (right - left));
            int by = (int) Math.round(bottom - counts[i] / ymax * (bottom - top));
            g.setColor(color);
            g.fillRect(bx0 + 1, by, Math.max(1, bx1 - bx0 - 1), bottom - by);
        }
        g.setColor(AXIS);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        center(g, xLabel, (left + right) / 2, bottom + 38);
        Graphics2D r = (Graphics2D) g.create();
        r.rotate(-Math.PI / 2);
        center(r, yLabel, -(top + bottom) / 2, 16);
        r.dispose();
        g.dispose();
        write(img, file);
    }

    /** Horizontal bars with values in [0, max], labelled on the left and with the value on the right. */
    static void bars(Path file, String title, List<String> labels, double[] values, Color[] colors, String format,
                     int width) {
        int rowH = 34;
        int height = 50 + rowH * labels.size() + 20;
        BufferedImage img = canvas(width, height);
        Graphics2D g = graphics(img);
        title(g, title, width / 2, 22);
        int left = 200;
        int right = width - 80;
        double max = 0;
        for (double v : values) {
            max = Math.max(max, v);
        }
        if (!(max > 0)) {
            max = 1;
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i < labels.size(); i++) {
            int y = 44 + i * rowH;
            g.setColor(AXIS);
            FontMetrics fm = g.getFontMetrics();
            g.drawString(labels.get(i), left - 8 - fm.stringWidth(labels.get(i)), y + rowH / 2 + 4);
            int w = (int) Math.round(values[i] / max * (right - left));
            g.setColor(colors[i % colors.length]);
            g.fillRect(left, y + 5, Math.max(1, w), rowH - 10);
            g.setColor(AXIS);
            g.drawString(String.format(Locale.ROOT, format, values[i]), left + w + 6, y + rowH / 2 + 4);
        }
        g.drawLine(left, 40, left, 44 + rowH * labels.size());
        g.dispose();
        write(img, file);
    }

    // ---- drawing helpers ----

    static BufferedImage canvas(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }

    static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        return g;
    }

    static void title(Graphics2D g, String text, int cx, int baseline) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        center(g, text, cx, baseline);
    }

    static void center(Graphics2D g, String text, int cx, int baseline) {
        FontMetrics fm = g.getFontMetrics();
        g.drawString(text, cx - fm.stringWidth(text) / 2, baseline);
    }

    private static void axes(Graphics2D g, int left, int right, int top, int bottom, double xmin, double xmax,
                             double ymin, double ymax, double[] xt, double[] yt) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        FontMetrics fm = g.getFontMetrics();
        for (double t : yt) {
            if (t < ymin - 1e-12 || t > ymax + 1e-12) {
                continue;
            }
            int py = (int) Math.round(bottom - (t - ymin) / (ymax - ymin) * (bottom - top));
            g.setColor(GRID);
            g.drawLine(left, py, right, py);
            g.setColor(AXIS);
            String label = label(t);
            g.drawString(label, left - 6 - fm.stringWidth(label), py + 4);
        }
        for (double t : xt) {
            if (t < xmin - 1e-12 || t > xmax + 1e-12) {
                continue;
            }
            int px = (int) Math.round(left + (t - xmin) / (xmax - xmin) * (right - left));
            g.setColor(GRID);
            g.drawLine(px, top, px, bottom);
            g.setColor(AXIS);
            String label = label(t);
            g.drawString(label, px - fm.stringWidth(label) / 2, bottom + 16);
        }
        g.setColor(AXIS);
        g.drawLine(left, bottom, right, bottom);
        g.drawLine(left, top, left, bottom);
    }

    /** About five round tick values covering [lo, hi]. */
    static double[] ticks(double lo, double hi) {
        double span = hi - lo;
        if (!(span > 0) || !Double.isFinite(span)) {
            return new double[] {lo};
        }
        double raw = span / 5;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3 ? 2 * mag : raw / mag < 7 ? 5 * mag : 10 * mag;
        double first = Math.floor(lo / step) * step;
        int n = (int) Math.ceil((hi - first) / step - 1e-9) + 1;
        double[] t = new double[Math.max(1, n)];
        for (int i = 0; i < t.length; i++) {
            t[i] = first + i * step;
        }
        return t;
    }

    private static String label(double v) {
        double a = Math.abs(v);
        if (a != 0 && (a >= 1e5 || a < 1e-3)) {
            return String.format(Locale.ROOT, "%.0e", v);
        }
        if (Math.abs(v - Math.rint(v)) < 1e-9) {
            return String.format(Locale.ROOT, "%,d", (long) Math.rint(v));
        }
        String s = String.format(Locale.ROOT, "%.3f", v);
        return s.replaceAll("0+$", "");
    }

    private static double min(double[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : v) {
            if (Double.isFinite(x)) {
                m = Math.min(m, x);
            }
        }
        return Double.isFinite(m) ? m : 0;
    }

    private static double max(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            if (Double.isFinite(x)) {
                m = Math.max(m, x);
            }
        }
        return Double.isFinite(m) ? m : 1;
    }

    static void write(BufferedImage img, Path file) {
        try {
            if (!ImageIO.write(img, "png", file.toFile())) {
                throw new IOException("no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
