package io.clawgress.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH JSON result file ({@code -rf json}) into a Markdown section and appends it to
 * {@code benchmarks/RESULTS.md}: every benchmark and parameter set with its score, error and allocation, then the
 * DESIGN.md §8 rows the microbenchmarks decide. {@code make jmh} runs it after the benchmarks.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.clawgress.benchmarks.JmhTable RESULT.json RESULTS.md COMMAND</pre>
 */
public final class JmhTable {

    private JmhTable() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: JmhTable RESULT.json RESULTS.md 'the command that ran JMH'");
            System.exit(2);
        }
        JsonNode results = new ObjectMapper().readTree(Path.of(args[0]).toFile());
        String md = markdown(results, args[2]);
        Files.writeString(Path.of(args[1]), "\n" + md, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.out.print(md);
    }

    static String markdown(JsonNode results, String command) {
        StringBuilder b = new StringBuilder();
        JsonNode first = results.size() > 0 ? results.get(0) : null;
        b.append("## ").append(java.time.LocalDate.now(java.time.ZoneOffset.UTC))
                .append(" — Microbenchmarks, all (`make jmh`)\n\n");
        b.append("Command: `").append(command).append("`. Machine: ").append(cpu()).append(" x ")
                .append(Runtime.getRuntime().availableProcessors()).append(", Linux ")
                .append(System.getProperty("os.version")).append(". JDK: ")
                .append(first == null ? "?" : first.path("vmName").asText() + " " + first.path("jdkVersion").asText())
                .append(", default GC (").append(defaultGc()).append("). JVM args: `")
                .append(first == null ? "" : String.join(" ", strings(first.path("jvmArgs")))).append("`. Load average "
                        + "at the end: ").append(load()).append(".\n\n");
        b.append("| benchmark | params | mode | score | ± error | unit | allocated B/op |\n");
        b.append("|---|---|---|---|---|---|---|\n");
        for (JsonNode r : results) {
            String name = r.path("benchmark").asText().replace("io.clawgress.benchmarks.", "");
            List<String> params = new ArrayList<>();
            r.path("params").fields().forEachRemaining(e -> params.add(e.getKey() + "=" + e.getValue().asText()));
            JsonNode pm = r.path("primaryMetric");
            JsonNode alloc = r.path("secondaryMetrics").path("gc.alloc.rate.norm");
            b.append("| ").append(name).append(" | ").append(String.join(", ", params)).append(" | ")
                    .append(r.path("mode").asText()).append(" | ").append(num(pm.path("score").asDouble()))
                    .append(" | ").append(num(pm.path("scoreError").asDouble())).append(" | ")
                    .append(pm.path("scoreUnit").asText()).append(" | ")
                    .append(alloc.isMissingNode() ? "" : num(alloc.path("score").asDouble())).append(" |\n");
        }
        b.append("\nAgainst DESIGN.md §8 (mean time per operation):\n\n");
        b.append("| §8 row | at least | aim | measured | at least? | aim? |\n|---|---|---|---|---|---|\n");
        row(b, results, "policy decision, 1k rules (exact host)", "PolicyEvaluateBenchmark.exactHost",
                Map.of("rules", "1000"), 2000, 300);
        row(b, results, "policy decision, 1k rules (default deny)", "PolicyEvaluateBenchmark.defaultDeny",
                Map.of("rules", "1000"), 2000, 300);
        row(b, results, "ClientHello parse (517 B, 1 record)", "ClientHelloParseBenchmark.complete",
                Map.of("records", "1"), 500, 100);
        row(b, results, "ClientHello parse (curl's, from the corpus)", "ClientHelloCorpusBenchmark.parse",
                Map.of("entry", "curl-default"), 500, 100);
        row(b, results, "JWT verify, cached (EdDSA)", "JwtVerifyBenchmark.cached", Map.of("alg", "EdDSA"), 1000, 200);
        row(b, results, "JWT verify, cached (RS256)", "JwtVerifyBenchmark.cached", Map.of("alg", "RS256"), 1000, 200);
        b.append('\n');
        return b.toString();
    }

    private static void row(StringBuilder b, JsonNode results, String what, String bench, Map<String, String> params,
                            double atLeastNs, double aimNs) {
        for (JsonNode r : results) {
            if (!r.path("benchmark").asText().endsWith(bench)) {
                continue;
            }
            boolean match = params.entrySet().stream()
                    .allMatch(e -> e.getValue().equals(r.path("params").path(e.getKey()).asText()));
            if (!match) {
                continue;
            }
            double ns = toNs(r.path("primaryMetric").path("score").asDouble(),
                    r.path("primaryMetric").path("scoreUnit").asText());
            b.append("| ").append(what).append(" | ≤ ").append(num(atLeastNs)).append(" ns | ≤ ").append(num(aimNs))
                    .append(" ns | ").append(num(ns)).append(" ns | ").append(ns <= atLeastNs ? "**pass**" : "**FAIL**")
                    .append(" | ").append(ns <= aimNs ? "yes" : "no").append(" |\n");
            return;
        }
        b.append("| ").append(what).append(" | ≤ ").append(num(atLeastNs)).append(" ns | | not run | | |\n");
    }

    private static double toNs(double v, String unit) {
        return switch (unit) {
            case "ns/op" -> v;
            case "us/op" -> v * 1e3;
            case "ms/op" -> v * 1e6;
            case "s/op" -> v * 1e9;
            default -> Double.NaN;
        };
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    private static String cpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException ignored) {
            // unknown
        }
        return "?";
    }

    /** The collector this JDK picks by default on this machine (the forks run with the same JDK and no GC flag). */
    private static String defaultGc() {
        List<String> names = new ArrayList<>();
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            names.add(gc.getName());
        }
        String all = String.join(", ", names);
        return all.contains("G1") ? "G1" : all.contains("ZGC") ? "ZGC" : all;
    }

    private static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }
}
