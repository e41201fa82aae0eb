package io.clawgress.benchmarks.load.report;

import org.HdrHistogram.Histogram;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * PNG plots with Java2D (headless, no extra dependency): for each latency scenario the latency percentile
 * distribution of every system (log-log: the x axis is the percentile as {@code 1 / (1 - p)}, so the tail gets the
 * room, the y axis latency), and the memory of the concurrency ramp.
 */
public final class Plots {

    static final String RAMP_FILE = "ramp-rss.png";
    private static final int W = 1000;
    private static final int H = 600;
    private static final int LEFT = 90;
    private static final int RIGHT = 200;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    private static final Color[] COLORS = {new Color(0x222222), new Color(0xd62728), new Color(0xff7f0e),
        new Color(0x7f7f7f), new Color(0x1f77b4), new Color(0x2ca02c), new Color(0x9467bd)};

    private Plots() {
    }

    static String latencyFile(String scenario) {
        return "latency-" + scenario + ".png";
    }

    public static void write(Results r, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        for (Map.Entry<String, Map<String, Results.Latency>> e : r.latency.entrySet()) {
            latency(e.getKey(), r.scenarioTitles.get(e.getKey()), e.getValue(), dir.resolve(latencyFile(e.getKey())));
        }
        if (!r.ramp.isEmpty()) {
            ramp(r, dir.resolve(RAMP_FILE));
        }
    }

    private static void latency(String id, String title, Map<String, Results.Latency> bySystem, Path file)
            throws IOException {
        double maxX = 1;
        double minY = Double.MAX_VALUE;
        double maxY = 0;
        List<String> names = new ArrayList<>();
        List<double[][]> series = new ArrayList<>();
        for (Map.Entry<String, Results.Latency> e : bySystem.entrySet()) {
            Histogram h = e.getValue().histogram;
            if (h.getTotalCount() == 0) {
                continue;
            }
            // Up to the percentile the samples support: 1 / (1 - p) <= count.
            double top = Math.min(5, Math.log10(h.getTotalCount()));
            int n = 200;
            double[][] pts = new double[n + 1][2];
            for (int i = 0; i <= n; i++) {
                double x = top * i / n;
                double p = 100 * (1 - Math.pow(10, -x));
                double y = Math.max(1, h.getValueAtPercentile(p)) / 1000.0;
                pts[i][0] = x;
                pts[i][1] = y;
                minY = Math.min(minY, y);
                maxY = Math.max(maxY, y);
            }
            maxX = Math.max(maxX, top);
            names.add(e.getKey());
            series.add(pts);
        }
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img, "(" + id + ") " + title);
        if (series.isEmpty()) {
            ImageIO.write(img, "png", file.toFile());
            return;
        }
        double y0 = Math.floor(Math.log10(minY));
        double y1 = Math.ceil(Math.log10(maxY));
        if (y1 <= y0) {
            y1 = y0 + 1;
        }
        double fy0 = y0;
        double fy1 = y1;
        double fmaxX = Math.ceil(maxX);
        axes(g, "percentile", "latency (µs, log)");
        for (int d = 0; d <= (int) fmaxX; d++) {
            int px = (int) (LEFT + (W - LEFT - RIGHT) * d / fmaxX);
            g.setColor(new Color(0xdddddd));
            g.drawLine(px, TOP, px, H - BOTTOM);
            g.setColor(Color.DARK_GRAY);
            String label = d == 0 ? "0%" : String.format(Locale.ROOT, "%s%%",
                    stripZeros(100 * (1 - Math.pow(10, -d))));
            g.drawString(label, px - 15, H - BOTTOM + 18);
        }
        for (int d = (int) y0; d <= (int) y1; d++) {
            int py = yPix(d, fy0, fy1);
            g.setColor(new Color(0xdddddd));
            g.drawLine(LEFT, py, W - RIGHT, py);
            g.setColor(Color.DARK_GRAY);
            g.drawString(stripZeros(Math.pow(10, d)), 10, py + 5);
        }
        for (int s = 0; s < series.size(); s++) {
            g.setColor(COLORS[s % COLORS.length]);
            g.setStroke(new BasicStroke(names.get(s).startsWith("clawgress") ? 2.5f : 1.6f));
            double[][] pts = series.get(s);
            for (int i = 1; i < pts.length; i++) {
                int xa = (int) (LEFT + (W - LEFT - RIGHT) * pts[i - 1][0] / fmaxX);
                int xb = (int) (LEFT + (W - LEFT - RIGHT) * pts[i][0] / fmaxX);
                g.drawLine(xa, yPix(Math.log10(pts[i - 1][1]), fy0, fy1), xb, yPix(Math.log10(pts[i][1]), fy0, fy1));
            }
            legend(g, s, names.get(s));
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static void ramp(Results r, Path file) throws IOException {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img, "(d) concurrency ramp: RSS of each system vs held connections");
        double maxX = 1;
        double maxY = 1;
        for (Map.Entry<String, List<Results.RampStep>> e : r.ramp.entrySet()) {
            if (e.getKey().equals(Results.DIRECT)) {
                continue;
            }
            for (Results.RampStep s : e.getValue()) {
                maxX = Math.max(maxX, s.held());
                maxY = Math.max(maxY, s.rssKib() / 1024.0);
            }
        }
        maxY = Math.ceil(maxY / 100) * 100;
        axes(g, "held connections", "RSS (MiB)");
        for (int i = 0; i <= 5; i++) {
            int px = (int) (LEFT + (W - LEFT - RIGHT) * i / 5.0);
            int py = (int) (H - BOTTOM - (H - TOP - BOTTOM) * i / 5.0);
            g.setColor(new Color(0xdddddd));
            g.drawLine(px, TOP, px, H - BOTTOM);
            g.drawLine(LEFT, py, W - RIGHT, py);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%,.0f", maxX * i / 5), px - 15, H - BOTTOM + 18);
            g.drawString(String.format(Locale.ROOT, "%,.0f", maxY * i / 5), 20, py + 5);
        }
        int s = 0;
        for (Map.Entry<String, List<Results.RampStep>> e : r.ramp.entrySet()) {
            if (e.getKey().equals(Results.DIRECT)) {
                s++;
                continue;
            }
            g.setColor(COLORS[s % COLORS.length]);
            g.setStroke(new BasicStroke(2f));
            int px = -1;
            int py = -1;
            for (Results.RampStep step : e.getValue()) {
                int x = (int) (LEFT + (W - LEFT - RIGHT) * step.held() / maxX);
                int y = (int) (H - BOTTOM - (H - TOP - BOTTOM) * (step.rssKib() / 1024.0) / maxY);
                g.fillOval(x - 3, y - 3, 6, 6);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            legend(g, s, e.getKey());
            s++;
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static Graphics2D canvas(BufferedImage img, String title) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title.length() > 110 ? title.substring(0, 110) + "…" : title, LEFT, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        return g;
    }

    private static void axes(Graphics2D g, String x, String y) {
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
        g.drawString(x, LEFT + (W - LEFT - RIGHT) / 2 - 30, H - 15);
        g.drawString(y, 10, TOP - 8);
    }

    private static void legend(Graphics2D g, int i, String name) {
        int y = TOP + 20 + i * 22;
        g.fillRect(W - RIGHT + 15, y - 9, 24, 6);
        g.setColor(Color.BLACK);
        g.drawString(name, W - RIGHT + 45, y);
    }

    private static int yPix(double log, double y0, double y1) {
        return (int) (H - BOTTOM - (H - TOP - BOTTOM) * (log - y0) / (y1 - y0));
    }

    private static String stripZeros(double v) {
        String s = String.format(Locale.ROOT, "%.4f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
