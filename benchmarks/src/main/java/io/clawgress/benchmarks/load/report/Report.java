package io.clawgress.benchmarks.load.report;

import io.clawgress.benchmarks.load.report.Results.Latency;
import io.clawgress.benchmarks.load.report.Results.RampStep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report of one run: Markdown for {@code benchmarks/RESULTS.md} and JSON for machines (the harness's own smoke
 * test reads it). Added latency is always the system's percentile minus {@code direct}'s at the same percentile,
 * both from this run; ratios are Clawgress's added latency over HAProxy's and Squid's.
 */
public final class Report {

    static final double[] PERCENTILES = {50, 90, 99, 99.9};
    static final String HAPROXY = "haproxy";
    static final String SQUID = "squid";
    static final List<String> CLAWGRESS = List.of("clawgress-epoll", "clawgress-iouring");

    private Report() {
    }

    /** Added latency of {@code system} at {@code p}, in µs; NaN when either side has no samples. */
    static double added(Map<String, Latency> scenario, String system, double p) {
        Latency s = scenario.get(system);
        Latency d = scenario.get(Results.DIRECT);
        if (s == null || d == null) {
            return Double.NaN;
        }
        return s.us(p) - d.us(p);
    }

    // ---- JSON ----------------------------------------------------------------------------------------------------

    public static Map<String, Object> json(Results r) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("profile", r.profile);
        root.put("machine", r.machine);
        root.put("systems", r.systems);
        root.put("scenarios", r.scenarioTitles);
        Map<String, Object> lat = new LinkedHashMap<>();
        r.latency.forEach((id, bySystem) -> {
            Map<String, Object> sys = new LinkedHashMap<>();
            bySystem.forEach((name, l) -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (double p : PERCENTILES) {
                    m.put("p" + pct(p) + "_us", round(l.us(p)));
                    m.put("added_p" + pct(p) + "_us", round(added(bySystem, name, p)));
                }
                m.put("max_us", round(l.histogram.getMaxValue() / 1000.0));
                m.put("samples", l.histogram.getTotalCount());
                m.put("requests_per_second", round(l.requestsPerSecond()));
                m.put("connections_per_second", round(l.connectionsPerSecond()));
                m.put("errors", l.errors);
                m.put("system_cpu_percent", round(cpuPercent(l)));
                m.put("system_cpu_us_per_request", round(cpuPerRequestUs(l)));
                m.put("server_cpu_percent", round(l.windowSeconds > 0 ? 100 * l.serverCpuSeconds / l.windowSeconds
                        : Double.NaN));
                m.put("agent_cpu_percent", round(l.windowSeconds > 0 ? 100 * l.agentCpuSeconds / l.windowSeconds
                        : Double.NaN));
                m.put("rss_mib", round(l.rssKib / 1024.0));
                m.put("pacer_late_p99_us", round(l.pacerLateP99Us));
                m.put("cells_repeated_for_steal", l.stolenCells);
                for (String peer : List.of(HAPROXY, SQUID)) {
                    if (CLAWGRESS.contains(name)) {
                        m.put("added_p50_ratio_to_" + peer, round(ratio(bySystem, name, peer, 50)));
                        m.put("added_p99_ratio_to_" + peer, round(ratio(bySystem, name, peer, 99)));
                    }
                }
                sys.put(name, m);
            });
            lat.put(id, sys);
        });
        root.put("latency", lat);
        Map<String, Object> check = new LinkedHashMap<>();
        r.latency.forEach((id, bySystem) -> {
            if (bySystem.containsKey(Results.DIRECT_CHECK)) {
                check.put(id + "_p50_difference_us", round(Math.abs(added(bySystem, Results.DIRECT_CHECK, 50))));
                check.put(id + "_p50_interval_us", List.of(round(bySystem.get(Results.DIRECT).p50HalfWidthUs()),
                        round(bySystem.get(Results.DIRECT_CHECK).p50HalfWidthUs())));
                check.put(id + "_direct_cell_p50_us", bySystem.get(Results.DIRECT).cellP50Us.stream()
                        .map(Report::round).toList());
                check.put(id + "_direct_check_cell_p50_us", bySystem.get(Results.DIRECT_CHECK).cellP50Us.stream()
                        .map(Report::round).toList());
            }
        });
        root.put("method_check", check);
        Map<String, Object> bulk = new LinkedHashMap<>();
        r.bulk.forEach((name, runs) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mib_per_second", round(medianMibs(runs)));
            m.put("cpu_seconds_per_gib", round(cpuPerGib(runs)));
            m.put("failures", runs.stream().filter(b -> b.failure() != null).map(Results.Bulk::failure).toList());
            bulk.put(name, m);
        });
        root.put("bulk", bulk);
        Map<String, Object> ramp = new LinkedHashMap<>();
        r.ramp.forEach((name, steps) -> {
            List<Object> l = new ArrayList<>();
            for (RampStep s : steps) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("held", s.held());
                m.put("rss_mib", round(s.rssKib() / 1024.0));
                m.put("fds", s.fds());
                m.put("heap_mib", s.heapBytes() < 0 ? null : round(s.heapBytes() / 1048576.0));
                m.put("probe_p50_us", round(s.probe().getTotalCount() == 0 ? Double.NaN
                        : s.probe().getValueAtPercentile(50) / 1000.0));
                m.put("probe_p99_us", round(s.probe().getTotalCount() == 0 ? Double.NaN
                        : s.probe().getValueAtPercentile(99) / 1000.0));
                m.put("probe_errors", s.probeErrors());
                m.put("open_errors", s.openErrors());
                l.add(m);
            }
            Map<String, Object> sys = new LinkedHashMap<>();
            sys.put("steps", l);
            sys.put("rss_kib_per_flow", round(rssPerFlowKib(steps)));
            ramp.put(name, sys);
        });
        root.put("ramp", ramp);
        root.put("notes", r.notes);
        return root;
    }

    // ---- Markdown ------------------------------------------------------------------------------------------------

    /** The report as a RESULTS.md section; plots are referenced under {@code plotDir} (relative). */
    public static String markdown(Results r, String plotDir) {
        StringBuilder b = new StringBuilder();
        b.append("## ").append(r.machine.getOrDefault("date (UTC)", "?").substring(0, 10))
                .append(" — Load benchmark, profile `").append(r.profile).append("` (issue 9)\n\n");
        b.append("Command: `make ").append(r.profile.equals("full") ? "bench" : "bench-" + r.profile)
                .append("` (as root, from the repository root). Every figure below comes from this one run: "
                        + "the systems were measured interleaved, round by round, through the same TPROXY topology "
                        + "(agent, gateway and upstream network namespaces). *Added* latency is the system's "
                        + "percentile minus `direct`'s at the same percentile. Latency runs from each request's "
                        + "intended send time (open loop, constant arrival rate) to the last byte of its "
                        + "response.\n\n");
        b.append("| machine | |\n|---|---|\n");
        r.machine.forEach((k, v) -> b.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        b.append("\n| system | what ran |\n|---|---|\n");
        r.systems.forEach((k, v) -> b.append("| ").append(k).append(" | ")
                .append(String.join("; ", v.values()).replace("|", "\\|")).append(" |\n"));
        b.append('\n');
        section8(r, b);
        r.latency.forEach((id, bySystem) -> latencySection(r, id, bySystem, plotDir, b));
        if (!r.bulk.isEmpty()) {
            bulkSection(r, b);
        }
        if (!r.ramp.isEmpty()) {
            rampSection(r, plotDir, b);
        }
        if (!r.notes.isEmpty()) {
            b.append("Notes from the run:\n");
            for (String n : r.notes) {
                b.append("- ").append(n).append('\n');
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static void latencySection(Results r, String id, Map<String, Latency> bySystem, String plotDir,
                                       StringBuilder b) {
        b.append("### (").append(id).append(") ").append(r.scenarioTitles.get(id)).append("\n\n");
        b.append("Latency in µs: `direct` absolute, the others *added* (system − direct at the same percentile). "
                + "Ratios are Clawgress's added latency over the peer's (< 1: Clawgress adds less).\n\n");
        b.append("| system | p50 | p90 | p99 | p99.9 | p50 ÷ HAProxy | p99 ÷ HAProxy | p50 ÷ Squid "
                + "| p99 ÷ Squid |\n");
        b.append("|---|---|---|---|---|---|---|---|---|\n");
        bySystem.forEach((name, l) -> {
            b.append("| ").append(name);
            boolean base = name.equals(Results.DIRECT);
            for (double p : PERCENTILES) {
                b.append(" | ").append(base ? us(l.us(p)) : signed(added(bySystem, name, p)));
            }
            if (CLAWGRESS.contains(name)) {
                b.append(" | ").append(ratioText(bySystem, name, HAPROXY, 50))
                        .append(" | ").append(ratioText(bySystem, name, HAPROXY, 99))
                        .append(" | ").append(ratioText(bySystem, name, SQUID, 50))
                        .append(" | ").append(ratioText(bySystem, name, SQUID, 99));
            } else {
                b.append(" | | | | ");
            }
            b.append(" |\n");
        });
        b.append("\n| system | requests/s | connections/s | errors | system CPU (% of one core) | CPU µs per request"
                + " | RSS MiB | server CPU % | generator CPU % | pacer late p99 µs |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|\n");
        bySystem.forEach((name, l) -> b.append("| ").append(name)
                .append(" | ").append(fmt0(l.requestsPerSecond()))
                .append(" | ").append(fmt0(l.connectionsPerSecond()))
                .append(" | ").append(l.errorCount() == 0 ? "0" : l.errorCount() + " " + l.errors)
                .append(" | ").append(l.rssKib == 0 ? "—" : fmt1(cpuPercent(l)))
                .append(" | ").append(l.rssKib == 0 ? "—" : fmt1(cpuPerRequestUs(l)))
                .append(" | ").append(l.rssKib == 0 ? "—" : fmt1(l.rssKib / 1024.0))
                .append(" | ").append(fmt1(100 * l.serverCpuSeconds / l.windowSeconds))
                .append(" | ").append(fmt1(100 * l.agentCpuSeconds / l.windowSeconds))
                .append(" | ").append(fmt1(l.pacerLateP99Us))
                .append(" |\n"));
        if (bySystem.containsKey(Results.DIRECT_CHECK)) {
            b.append("\nMethod check: `direct-check` (the same direct path, measured in the same rounds) differs from "
                    + "`direct` by ").append(fmt1(Math.abs(added(bySystem, Results.DIRECT_CHECK, 50))))
                    .append(" µs at p50 (acceptance: ≤ 10 µs). With this many samples each p50 is known to ± ")
                    .append(fmt1(bySystem.get(Results.DIRECT).p50HalfWidthUs())).append(" and ± ")
                    .append(fmt1(bySystem.get(Results.DIRECT_CHECK).p50HalfWidthUs()))
                    .append(" µs (95%, order statistics). Each cell's own p50, µs, in the order measured: `direct` ")
                    .append(cells(bySystem.get(Results.DIRECT))).append("; `direct-check` ")
                    .append(cells(bySystem.get(Results.DIRECT_CHECK))).append(".\n");
        }
        List<String> stolen = new ArrayList<>();
        bySystem.forEach((name, l) -> {
            if (!l.stolenCells.isEmpty()) {
                stolen.add("`" + name + "` " + String.join(", ", l.stolenCells));
            }
        });
        b.append("\nCells measured again because the hypervisor took more than ")
                .append(fmt1(100 * Results.STEAL_LIMIT))
                .append("% of the CPU during them (steal time; share taken by each attempt not recorded, and by the "
                        + "recorded one when it was still over): ")
                .append(stolen.isEmpty() ? "none" : String.join("; ", stolen)).append(".\n");
        b.append("\n![").append(id).append("](").append(plotDir).append('/').append(Plots.latencyFile(id))
                .append(")\n\n");
    }

    private static String cells(Results.Latency l) {
        return l.cellP50Us.stream().map(Report::fmt1).collect(java.util.stream.Collectors.joining(", "));
    }

    private static void bulkSection(Results r, StringBuilder b) {
        b.append("### (e) ").append(r.scenarioTitles.get("e")).append("\n\n");
        double direct = medianMibs(r.bulk.getOrDefault(Results.DIRECT, List.of()));
        double haproxy = medianMibs(r.bulk.getOrDefault(HAPROXY, List.of()));
        double squid = medianMibs(r.bulk.getOrDefault(SQUID, List.of()));
        b.append("| system | MiB/s (median) | ÷ direct | ÷ HAProxy | ÷ Squid | system CPU s per GiB | failures |\n");
        b.append("|---|---|---|---|---|---|---|\n");
        r.bulk.forEach((name, runs) -> {
            double m = medianMibs(runs);
            b.append("| ").append(name).append(" | ").append(fmt0(m))
                    .append(" | ").append(fmt2(m / direct))
                    .append(" | ").append(CLAWGRESS.contains(name) ? fmt2(m / haproxy) : "")
                    .append(" | ").append(CLAWGRESS.contains(name) ? fmt2(m / squid) : "")
                    .append(" | ").append(name.equals(Results.DIRECT) ? "—" : fmt2(cpuPerGib(runs)))
                    .append(" | ").append(runs.stream().filter(x -> x.failure() != null).count())
                    .append(" |\n");
        });
        b.append("\nTLS is end to end (the systems relay it), so the agent and the server also spend CPU on "
                + "encryption; on 2 cores the gateway's CPU competes with theirs.\n\n");
    }

    private static void rampSection(Results r, String plotDir, StringBuilder b) {
        b.append("### (d) ").append(r.scenarioTitles.get("d")).append("\n\n");
        b.append("| system | held | RSS MiB | heap MiB | fds | probe p50 µs (added) | probe p99 µs (added) | "
                + "errors |\n|---|---|---|---|---|---|---|---|\n");
        List<RampStep> direct = r.ramp.getOrDefault(Results.DIRECT, List.of());
        r.ramp.forEach((name, steps) -> {
            for (int i = 1; i < steps.size(); i++) {
                RampStep s = steps.get(i);
                RampStep d = i < direct.size() ? direct.get(i) : null;
                boolean base = name.equals(Results.DIRECT);
                b.append("| ").append(name).append(" | ").append(s.held())
                        .append(" | ").append(base ? "—" : fmt1(s.rssKib() / 1024.0))
                        .append(" | ").append(s.heapBytes() < 0 ? "—" : fmt1(s.heapBytes() / 1048576.0))
                        .append(" | ").append(base ? "—" : Integer.toString(s.fds()))
                        .append(" | ").append(probeText(s, d, 50, base))
                        .append(" | ").append(probeText(s, d, 99, base))
                        .append(" | ").append(s.probeErrors() + (s.openErrors().isEmpty() ? ""
                                : " " + s.openErrors()))
                        .append(" |\n");
            }
        });
        b.append("\nRSS per held flow (from the first to the last step, the system's whole process tree):");
        r.ramp.forEach((name, steps) -> {
            if (!name.equals(Results.DIRECT)) {
                b.append(" ").append(name).append(" ").append(fmt1(rssPerFlowKib(steps))).append(" KiB;");
            }
        });
        b.append("\n\n![ramp](").append(plotDir).append('/').append(Plots.RAMP_FILE).append(")\n\n");
    }

    /** The DESIGN.md §8 rows this run measures, for each Clawgress transport, with the peers' figures. */
    private static void section8(Results r, StringBuilder b) {
        b.append("### Against DESIGN.md §8\n\n");
        b.append("| §8 row | at least | aim | system | measured | at least? | aim? | HAProxy | Squid |\n");
        b.append("|---|---|---|---|---|---|---|---|---|\n");
        Map<String, Latency> a = r.latency.get("a");
        Map<String, Latency> bb = r.latency.get("b");
        Map<String, Latency> c = r.latency.get("c-new");
        for (String cg : CLAWGRESS) {
            if (a != null && a.containsKey(cg)) {
                double p50 = added(a, cg, 50);
                double p99 = added(a, cg, 99);
                boolean notWorse = p50 <= added(a, HAPROXY, 50) && p99 <= added(a, HAPROXY, 99);
                row(b, "added latency, splice, open connections, open-loop 2k conns",
                        "p50 ≤ 500 µs, p99 ≤ 2000 µs",
                        "p50 ≤ 50 µs, p99 ≤ 250 µs, no worse than HAProxy", cg,
                        "p50 " + signed(p50) + ", p99 " + signed(p99) + " µs",
                        p50 <= 500 && p99 <= 2000, p50 <= 50 && p99 <= 250 && notWorse,
                        peer(a, cg, HAPROXY, true), peer(a, cg, SQUID, true));
            }
            if (bb != null && bb.containsKey(cg)) {
                double p50 = added(bb, cg, 50);
                row(b, "added latency, new connection (splice, SNI peek)", "p50 ≤ 1000 µs", "p50 ≤ 150 µs", cg,
                        "p50 " + signed(p50) + " µs (p99 " + signed(added(bb, cg, 99)) + ")", p50 <= 1000, p50 <= 150,
                        peer(bb, cg, HAPROXY, false), peer(bb, cg, SQUID, false));
            }
            if (c != null && c.containsKey(cg)) {
                double p50 = added(c, cg, 50);
                double p99 = added(c, cg, 99);
                row(b, "added latency, intercept, new connection", "p50 ≤ 5000 µs, p99 ≤ 15000 µs",
                        "p50 ≤ 1500 µs",
                        cg, "p50 " + signed(p50) + ", p99 " + signed(p99) + " µs", p50 <= 5000 && p99 <= 15000,
                        p50 <= 1500, peer(c, cg, HAPROXY, true), peer(c, cg, SQUID, true));
            }
            List<RampStep> steps = r.ramp.get(cg);
            if (steps != null && steps.size() > 1) {
                RampStep at2k = steps.stream().filter(s -> s.held() >= 2000).findFirst().orElse(null);
                RampStep top = steps.get(steps.size() - 1);
                double perFlow = rssPerFlowKib(steps);
                String measured = (at2k == null ? "" : fmt0(at2k.rssKib() / 1024.0) + " MiB at " + at2k.held() + "; ")
                        + fmt0(top.rssKib() / 1024.0) + " MiB at " + top.held() + "; " + fmt1(perFlow)
                        + " KiB per flow";
                if (at2k == null) {
                    b.append("| concurrent connections | 2k at ≤ 512 MiB RSS | | ").append(cg)
                            .append(" | not measured: the ramp stayed below 2k | | | | |\n");
                    continue;
                }
                row(b, "concurrent connections", "2k at ≤ 512 MiB RSS",
                        "fd limit (≈9.5k here) at ≤ 1 GiB, ≤ 20 KiB per idle flow", cg, measured,
                        at2k != null && at2k.rssKib() <= 512 * 1024,
                        top.held() >= 9_000 && top.rssKib() <= 1024 * 1024 && perFlow <= 20,
                        peerRamp(r, cg, HAPROXY), peerRamp(r, cg, SQUID));
            }
        }
        b.append("\nThe microbenchmark rows of §8 (policy decision, ClientHello parse, JWT verify) are measured by "
                + "`make jmh`.\n\n");
    }

    private static String peerRamp(Results r, String cg, String peer) {
        List<RampStep> steps = r.ramp.get(peer);
        List<RampStep> mine = r.ramp.get(cg);
        if (steps == null || steps.size() < 2) {
            return "";
        }
        RampStep top = steps.get(steps.size() - 1);
        RampStep myTop = mine.get(mine.size() - 1);
        return fmt0(top.rssKib() / 1024.0) + " MiB at " + top.held() + "; " + fmt1(rssPerFlowKib(steps))
                + " KiB/flow (Clawgress ÷ " + peer + ": RSS " + fmt2((double) myTop.rssKib() / top.rssKib())
                + ", per flow " + fmt2(rssPerFlowKib(mine) / rssPerFlowKib(steps)) + ")";
    }

    /** A peer's added latency in a §8 row, with Clawgress's ratio to it. */
    private static String peer(Map<String, Latency> bySystem, String cg, String peer, boolean p99) {
        if (!bySystem.containsKey(peer)) {
            return "";
        }
        String s = "p50 " + signed(added(bySystem, peer, 50));
        String ratio = "p50 " + ratioText(bySystem, cg, peer, 50);
        if (p99) {
            s += ", p99 " + signed(added(bySystem, peer, 99));
            ratio += ", p99 " + ratioText(bySystem, cg, peer, 99);
        }
        return s + " µs (Clawgress ÷ " + peer + ": " + ratio + ")";
    }

    private static void row(StringBuilder b, String what, String atLeast, String aim, String system, String measured,
                            boolean passes, boolean aimMet, String haproxy, String squid) {
        b.append("| ").append(what).append(" | ").append(atLeast).append(" | ").append(aim).append(" | ")
                .append(system).append(" | ").append(measured).append(" | ").append(passes ? "**pass**" : "**FAIL**")
                .append(" | ").append(aimMet ? "yes" : "no").append(" | ").append(haproxy).append(" | ")
                .append(squid).append(" |\n");
    }

    /** Appends the report to {@code resultsFile}, its plots copied to {@code results/<stamp>/} beside it. */
    public static void appendTo(Results r, Path reportDir, Path resultsFile) throws IOException {
        String stamp = reportDir.getFileName().toString();
        Path plots = resultsFile.toAbsolutePath().getParent().resolve("results").resolve(stamp);
        Files.createDirectories(plots);
        try (var files = Files.list(reportDir.resolve("plots"))) {
            for (Path p : files.toList()) {
                Files.copy(p, plots.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.copy(reportDir.resolve("report.json"), plots.resolve("report.json"),
                StandardCopyOption.REPLACE_EXISTING);
        String md = "\n" + markdown(r, "results/" + stamp);
        Files.writeString(resultsFile, md, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    // ---- figures --------------------------------------------------------------------------------------------------

    static double ratio(Map<String, Latency> bySystem, String system, String peer, double p) {
        double mine = added(bySystem, system, p);
        double theirs = added(bySystem, peer, p);
        return theirs > 0 ? mine / theirs : Double.NaN;
    }

    private static String ratioText(Map<String, Latency> bySystem, String system, String peer, double p) {
        if (!bySystem.containsKey(peer)) {
            return "";
        }
        double theirs = added(bySystem, peer, p);
        if (!(theirs > 0)) {
            return "n/a (" + peer + " adds " + signed(theirs) + ")";
        }
        return fmt2(added(bySystem, system, p) / theirs);
    }

    static double cpuPercent(Latency l) {
        return l.windowSeconds > 0 ? 100 * l.systemCpuSeconds / l.windowSeconds : Double.NaN;
    }

    static double cpuPerRequestUs(Latency l) {
        return l.responses > 0 ? 1e6 * l.systemCpuSeconds / l.responses : Double.NaN;
    }

    static double medianMibs(List<Results.Bulk> runs) {
        double[] v = runs.stream().filter(x -> x.failure() == null).mapToDouble(Results.Bulk::mibPerSecond).sorted()
                .toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static double cpuPerGib(List<Results.Bulk> runs) {
        double cpu = 0;
        double gib = 0;
        for (Results.Bulk x : runs) {
            if (x.failure() == null) {
                cpu += x.systemCpuSeconds();
                gib += x.bytes() / (double) (1L << 30);
            }
        }
        return gib > 0 ? cpu / gib : Double.NaN;
    }

    /** RSS growth per held flow between the first and the last step (KiB). */
    static double rssPerFlowKib(List<RampStep> steps) {
        if (steps.size() < 3) {
            return Double.NaN;
        }
        RampStep first = steps.get(1);
        RampStep last = steps.get(steps.size() - 1);
        int flows = last.held() - first.held();
        return flows > 0 ? (last.rssKib() - first.rssKib()) / (double) flows : Double.NaN;
    }

    private static String probeText(RampStep s, RampStep direct, double p, boolean base) {
        if (s.probe().getTotalCount() == 0) {
            return "—";
        }
        double v = s.probe().getValueAtPercentile(p) / 1000.0;
        if (base || direct == null || direct.probe().getTotalCount() == 0) {
            return fmt1(v);
        }
        return fmt1(v) + " (" + signed(v - direct.probe().getValueAtPercentile(p) / 1000.0) + ")";
    }

    private static String pct(double p) {
        return p == Math.rint(p) ? Integer.toString((int) p) : Double.toString(p).replace(".", "");
    }

    private static Object round(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return null;
        }
        return Math.round(v * 10) / 10.0;
    }

    static String us(double v) {
        return Double.isNaN(v) ? "—" : fmt1(v);
    }

    static String signed(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return (v >= 0 ? "+" : "−") + fmt1(Math.abs(v));
    }

    static String fmt0(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%,.0f", v);
    }

    static String fmt1(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%,.1f", v);
    }

    static String fmt2(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "—" : String.format(Locale.ROOT, "%.2f", v);
    }
}
