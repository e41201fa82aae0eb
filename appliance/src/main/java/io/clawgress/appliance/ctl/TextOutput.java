package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** What the verbs' human output shares: tables, sizes, ages, absent values, query encoding. */
final class TextOutput {

    private TextOutput() {
    }

    /** A query parameter value, percent-encoded. */
    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** A value, or {@code -} for null. */
    static String orDash(JsonNode o, String key) {
        JsonNode v = o.path(key);
        return v.isNull() || v.isMissingNode() ? "-" : v.asText();
    }

    static String age(long ms) {
        return ms < 1000 ? ms + "ms" : StatusCommand.uptime(ms / 1000);
    }

    /** {@code 812B}, {@code 12.4KiB}, {@code 3.0MiB}, {@code 1.2GiB}. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + "B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f%s", v, units[u]);
    }

    /** Left-aligned columns two spaces apart; the first row is the header. */
    static void printTable(PrintWriter out, List<List<String>> rows) {
        int[] widths = new int[rows.getFirst().size()];
        for (List<String> row : rows) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < widths.length; i++) {
                b.append(row.get(i));
                if (i < widths.length - 1) {
                    b.append(" ".repeat(widths[i] - row.get(i).length() + 2));
                }
            }
            out.println(b);
        }
    }
}
