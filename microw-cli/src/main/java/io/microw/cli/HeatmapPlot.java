package io.microw.cli;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A labelled heatmap PNG of a table of values (e.g. an activation-patching sweep: layers by positions), drawn with
 * Java2D like {@link DemoPlots}: a diverging blue-white-red scale centred on a given value (white), each cell's value
 * printed in it.
 */
final class HeatmapPlot {

    private static final int CELL_W = 64;
    private static final int CELL_H = 28;

    private HeatmapPlot() {
    }

    /**
     * Writes {@code values} [rows][columns] as a heatmap.
     *
     * @param file         the PNG to write
     * @param title        the title above the map
     * @param rowLabels    one label per row, drawn on the left
     * @param columnLabels one label per column, drawn below
     * @param values       the cells
     * @param center       the value drawn white (e.g. the corrupted run's metric): below it blue, above it red
     */
    static void write(Path file, String title, List<String> rowLabels, List<String> columnLabels, float[][] values,
                      float center) {
        int rows = values.length;
        int columns = rows == 0 ? 0 : values[0].length;
        BufferedImage probe = DemoPlots.canvas(1, 1);
        Graphics2D m = probe.createGraphics();
        m.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics fm = m.getFontMetrics();
        int left = 16 + rowLabels.stream().mapToInt(fm::stringWidth).max().orElse(0);
        int bottomSpace = 24 + columnLabels.stream().mapToInt(fm::stringWidth).max().orElse(0);
        m.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        int titleWidth = m.getFontMetrics().stringWidth(title);
        m.dispose();
        int top = 40;
        int width = Math.max(left + columns * CELL_W + 20, titleWidth + 40);
        int height = top + rows * CELL_H + bottomSpace;
        BufferedImage img = DemoPlots.canvas(width, height);
        Graphics2D g = DemoPlots.graphics(img);
        DemoPlots.title(g, title, width / 2, 24);
        float scale = 0;
        for (float[] row : values) {
            for (float v : row) {
                if (Float.isFinite(v)) {
                    scale = Math.max(scale, Math.abs(v - center));
                }
            }
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int r = 0; r < rows; r++) {
            int y = top + r * CELL_H;
            g.setColor(Color.BLACK);
            g.drawString(rowLabels.get(r), left - 8 - fm.stringWidth(rowLabels.get(r)), y + CELL_H / 2 + 4);
            for (int c = 0; c < columns; c++) {
                int x = left + c * CELL_W;
                g.setColor(color(values[r][c] - center, scale));
                g.fillRect(x, y, CELL_W, CELL_H);
                g.setColor(Color.BLACK);
                DemoPlots.center(g, String.format(Locale.ROOT, "%.2f", values[r][c]), x + CELL_W / 2,
                        y + CELL_H / 2 + 4);
            }
        }
        for (int c = 0; c < columns; c++) {
            Graphics2D t = (Graphics2D) g.create();
            t.translate(left + c * CELL_W + CELL_W / 2 + 4, top + rows * CELL_H + 8);
            t.rotate(Math.PI / 2);
            t.drawString(columnLabels.get(c), 0, 0);
            t.dispose();
        }
        g.dispose();
        DemoPlots.write(img, file);
    }

    /** Blue for negative, white for zero, red for positive, saturated at {@code scale}. */
    static Color color(float value, float scale) {
        if (!Float.isFinite(value) || scale == 0) {
            return Color.WHITE;
        }
        float t = Math.min(1f, Math.abs(value) / scale);
        Color end = value < 0 ? DemoPlots.BLUE : DemoPlots.RED;
        return new Color(mix(255, end.getRed(), t), mix(255, end.getGreen(), t), mix(255, end.getBlue(), t));
    }

    private static int mix(int from, int to, float t) {
        return Math.round(from + (to - from) * t);
    }
}
