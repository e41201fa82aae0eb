package io.clawgress.benchmarks.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.benchmarks.load.report.Plots;
import io.clawgress.benchmarks.load.report.Report;
import io.clawgress.benchmarks.load.report.Results;
import io.clawgress.benchmarks.load.server.BenchServer;
import io.clawgress.benchmarks.load.systems.Clawgress;
import io.clawgress.benchmarks.load.systems.Direct;
import io.clawgress.benchmarks.load.systems.Fixture;
import io.clawgress.benchmarks.load.systems.Haproxy;
import io.clawgress.benchmarks.load.systems.Squid;
import io.clawgress.benchmarks.load.systems.SystemUnderTest;
import io.clawgress.benchmarks.load.systems.SystemUnderTest.Mode;
import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.Netns;
import io.clawgress.testing.netns.TestPki;
import io.clawgress.testing.netns.Topology;
import io.clawgress.testing.peer.Peer;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The load benchmark's orchestrator (issue 9; DESIGN.md §8). Run as root from the repository root, after a build:
 *
 * <pre>
 *   java -cp benchmarks/target/benchmarks.jar io.clawgress.benchmarks.load.Bench --profile quick|full|smoke
 *        [--out DIR] [--scenarios a,b,c,d,e] [--scale RATE_FACTOR] [--append-results benchmarks/RESULTS.md]
 * </pre>
 * ({@code make bench}, {@code make bench-quick} do this.) It builds the end-to-end topology (agent, gateway, upstream
 * namespaces), starts the upstream {@link BenchServer} and a DNS server in the upstream namespace, the
 * {@link io.clawgress.benchmarks.load.agent.LoadAgent} in the agent namespace, and every system under test in the
 * gateway namespace side by side; then, scenario by scenario and round by round, points the TPROXY rules at one
 * system after another (removes them for {@code direct}) and has the agent run the same load. Each system's CPU is
 * sampled at the start and end of every recorded window, its memory at the end.
 *
 * <p>Scenarios: (a) 2k open keep-alive TLS connections relayed after the SNI peek, a fixed aggregate request rate;
 * (b) a new TLS connection per request (passthrough, SNI peek); (c) intercept, new connections and keep-alive;
 * (d) the concurrency ramp from 2k to {@value Profile#RAMP_MAX} held flows (the 20,000 descriptors per process allowed
 * here, two per relayed flow), with RSS, heap and descriptors at each step; (e) a bulk download (1 GiB in full).
 *
 * <p>Writes {@code report.md}, {@code report.json} and PNG plots to the output directory, and with
 * {@code --append-results} appends the Markdown to the results file (plots copied next to it).
 */
public final class Bench {

    static final String PASSTHROUGH_SNI = "api.bench.test";
    static final String INTERCEPT_SNI = "mitm.bench.test";
    static final String UPSTREAM_IP = "198.18.2.2";
    static final String DNS_IP = "198.18.2.53";
    static final int PORT_EPOLL = 15001;
    static final int PORT_IOURING = 15002;
    static final int PORT_HAPROXY = 15003;
    static final int PORT_HAPROXY_INTERCEPT = 15004;
    static final int PORT_SQUID = 15005;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Profile profile;
    private final Path out;
    private final Results results;
    private Topology topology;
    private AgentClient agent;
    private ManagedProcess server;
    private ManagedProcess dns;
    private final List<SystemUnderTest> systems = new ArrayList<>();
    private final Direct direct = new Direct(Results.DIRECT);
    private final Direct directCheck = new Direct(Results.DIRECT_CHECK);
    private int tproxyPort = -1;
    /** Each system's own agent address (see {@link #setUp()}). */
    private final Map<String, String> sources = new LinkedHashMap<>();

    Bench(Profile profile, Path out) {
        this.profile = profile;
        this.out = out;
        this.results = new Results(profile.name());
    }

    public static void main(String[] args) throws Exception {
        String profileName = "quick";
        Path out = null;
        Path append = null;
        List<String> scenarios = null;
        double scale = 1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--profile" -> profileName = v;
                case "--out" -> out = Path.of(v);
                case "--append-results" -> append = Path.of(v);
                case "--scenarios" -> scenarios = List.of(v.split(","));
                case "--scale" -> scale = Double.parseDouble(v);
                default -> {
                    System.err.println("usage: Bench --profile quick|full|smoke [--out DIR] [--scenarios a,b,c,d,e]"
                            + " [--scale RATE_FACTOR] [--append-results benchmarks/RESULTS.md]");
                    System.exit(2);
                }
            }
            i++;
        }
        Profile p = Profile.named(profileName);
        if (scenarios != null) {
            p = p.only(scenarios);
        }
        if (scale != 1) {
            p = p.scaled(scale);
        }
        if (out == null) {
            out = Path.of("benchmarks/target/bench", p.name() + "-" + stamp());
        }
        Results r = new Bench(p, out.toAbsolutePath()).run();
        Path md = out.resolve("report.md");
        System.out.println(Files.readString(md));
        if (append != null) {
            Report.appendTo(r, out, append);
            System.out.println("appended to " + append);
        }
        System.out.println("report: " + md.toAbsolutePath());
        System.exit(0);
    }

    static String stamp() {
        return DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(Instant.now());
    }

    /** Sets everything up, runs the profile's scenarios, writes the report; always tears down what it started. */
    public Results run() throws Exception {
        if (!"0".equals(uid())) {
            throw new IllegalStateException("the load benchmark needs root (network namespaces, iptables)");
        }
        Files.createDirectories(out);
        long started = System.nanoTime();
        stealBudgetNanos = (long) (profile.stealRetrySeconds() * 1e9);
        try {
            setUp();
            log("setup done in %.0f s", (System.nanoTime() - started) / 1e9);
            warmUp();
            if (profile.runs("a")) {
                latencyScenario("a", "keep-alive, passthrough (splice after SNI peek)", Mode.PASSTHROUGH,
                        keepAlive(PASSTHROUGH_SNI, profile.keepAliveConns(), profile.keepAliveRate()), true);
            }
            if (profile.runs("b")) {
                latencyScenario("b", "new connection per request, passthrough (SNI peek)", Mode.PASSTHROUGH,
                        newConn(PASSTHROUGH_SNI, profile.newConnRate()), true);
            }
            if (profile.runs("c")) {
                latencyScenario("c-new", "new connection per request, intercept", Mode.INTERCEPT,
                        newConn(INTERCEPT_SNI, profile.interceptNewRate()), false);
                latencyScenario("c-keepalive", "keep-alive, intercept", Mode.INTERCEPT,
                        keepAlive(INTERCEPT_SNI, profile.interceptConns(), profile.interceptRate()), false);
            }
            if (profile.runs("e")) {
                quiesce("bulk");
                bulkScenario();
            }
            if (profile.runs("d")) {
                quiesce("ramp");
                rampScenario();
            }
        } finally {
            results.notes.add(String.format("Steal: %d waits for the hypervisor to let the machine run (%.0f s in all)"
                    + "; of the run's %.0f s for waiting and repeating stalled cells, %.0f s were left.", calmWaits,
                    calmWaitedNanos / 1e9, profile.stealRetrySeconds(), Math.max(0, stealBudgetNanos) / 1e9));
            results.machine.put("load average at end", loadAverage());
            results.machine.put("run time", String.format("%.0f s", (System.nanoTime() - started) / 1e9));
            tearDown();
        }
        writeReport();
        return results;
    }

    // ---- setup ----------------------------------------------------------------------------------------------------

    private void setUp() throws Exception {
        results.machine.putAll(Machine.describe());
        results.machine.put("load average at start", loadAverage());
        Path work = Files.createTempDirectory(Path.of("/tmp"), "cgbench-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        topology = Topology.create(work.resolve("net"));
        for (Netns ns : List.of(topology.agent(), topology.gateway(), topology.upstream())) {
            // Many short connections: the whole port range, TIME_WAIT reuse for the connecting side, deep backlogs.
            ns.execOk(Duration.ofSeconds(10), "sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65535",
                    "net.ipv4.tcp_tw_reuse=1", "net.core.somaxconn=8192", "net.ipv4.tcp_max_syn_backlog=8192");
        }
        topology.addUpstreamAddress(DNS_IP);
        dns = Peer.spawn(topology.upstream(), "dns", topology.workDir(), "dns-server", "--bind", DNS_IP, "--port", "53",
                "--record", PASSTHROUGH_SNI + "=" + UPSTREAM_IP, "--record", INTERCEPT_SNI + "=" + UPSTREAM_IP,
                "--ttl", "3600", "--lifetime-seconds", "14400");
        dns.awaitEvent("ready", Duration.ofSeconds(60));
        TestPki upstreamPki = TestPki.create(work.resolve("pki-upstream"), PASSTHROUGH_SNI, INTERCEPT_SNI);
        TestPki mitm = TestPki.create(work.resolve("pki-mitm"), "default.bench.test");
        Path mitmDefault = Files.writeString(work.resolve("pki-mitm/default.pem"),
                Files.readString(mitm.leafCert()) + Files.readString(mitm.leafKey()));
        Path systemsDir = Files.createDirectories(work.resolve("systems"));
        Fixture f = new Fixture(topology, systemsDir, UPSTREAM_IP, DNS_IP, PASSTHROUGH_SNI, INTERCEPT_SNI,
                upstreamPki.caCert(), mitm.caCert(), mitm.caKey(), mitmDefault);

        server = topology.upstream().spawnJava("bench-server", List.of("-Xms512m", "-Xmx1g", "-XX:+UseParallelGC",
                        "--enable-native-access=ALL-UNNAMED"), BenchServer.class.getName(),
                List.of("--bind", UPSTREAM_IP, "--port", "443", "--cert", upstreamPki.leafCert().toString(),
                        "--key", upstreamPki.leafKey().toString()), topology.workDir());
        server.awaitEvent("ready", Duration.ofSeconds(60));

        Clawgress epoll = Clawgress.start(f, "epoll", PORT_EPOLL);
        systems.add(epoll);
        Clawgress ioUring = Clawgress.start(f, "io_uring", PORT_IOURING);
        systems.add(ioUring);
        Haproxy haproxy = Haproxy.start(f, PORT_HAPROXY, PORT_HAPROXY_INTERCEPT, 9_800);
        systems.add(haproxy);
        Squid squid = Squid.start(f, PORT_SQUID, 3128, 20_000);
        systems.add(squid);
        // Each system connects from its own agent address. A gateway that relayed a connection and closed it first
        // keeps a TIME_WAIT socket for the agent's address and port; if the next system's connection reused that
        // 4-tuple, the leftover would meet it (for direct, the gateway drops a forwarded packet that early demux
        // matched to a local socket: ip_forward's "skb->sk" check). Disjoint addresses keep the systems apart.
        int last = 2;
        for (SystemUnderTest s : allSystems(true)) {
            results.systems.put(s.name(), s.describe());
            String ip = "198.18.1." + last++;
            if (!ip.equals("198.18.1.2")) {
                topology.addAgentAddress(ip);
            }
            sources.put(s.name(), ip);
        }
        String warnings = haproxy.stderr().strip();
        if (!warnings.isEmpty()) {
            results.notes.add("HAProxy said at start: " + warnings.replace('\n', ' '));
        }

        Path trust = work.resolve("agent-trust.pem");
        StringBuilder pem = new StringBuilder();
        for (Path ca : List.of(upstreamPki.caCert(), mitm.caCert(), epoll.interceptCa(), ioUring.interceptCa())) {
            pem.append(Files.readString(ca)).append('\n');
        }
        Files.writeString(trust, pem);
        agent = AgentClient.start(topology.agent(), topology.workDir(), trust, 2);
        results.machine.put("generator", "LoadAgent: Netty epoll, 2 event loops, BoringSSL, JVM "
                + String.join(" ", AgentClient.JVM));
        results.machine.put("upstream server", "BenchServer: Netty epoll, 2 event loops, BoringSSL");
    }

    /** The systems in their interleaving order; with {@code check}, a second direct in the middle. */
    private List<SystemUnderTest> allSystems(boolean check) {
        List<SystemUnderTest> all = new ArrayList<>();
        all.add(direct);
        all.add(systems.get(0));
        all.add(systems.get(1));
        if (check) {
            all.add(directCheck);
        }
        all.addAll(systems.subList(2, systems.size()));
        return all;
    }

    /**
     * Each Clawgress daemon carries each kind of traffic before anything is recorded, until its JIT has compiled the
     * data path (a gateway runs for days; the benchmark reports its steady state). The generator and the server warm
     * up on the same traffic. HAProxy, Squid and direct have no JIT: the warm-up of every cell (not recorded) is all
     * they need (Squid mints its certificate for the intercepted name in the first one).
     */
    private void warmUp() throws Exception {
        int conns = Math.min(200, profile.keepAliveConns());
        double s = profile.jvmWarmupSeconds();
        for (SystemUnderTest sys : allSystems(false)) {
            if (!(sys instanceof Clawgress)) {
                continue;
            }
            switchTo(sys, Mode.PASSTHROUGH);
            agent.run(from(sys, keepAlive(PASSTHROUGH_SNI, conns, 1000)).put("warmup_seconds", 0)
                    .put("duration_seconds", s), m -> { });
            agent.run(from(sys, newConn(PASSTHROUGH_SNI, 100)).put("warmup_seconds", 0).put("duration_seconds", s),
                    m -> { });
            switchTo(sys, Mode.INTERCEPT);
            agent.run(from(sys, newConn(INTERCEPT_SNI, 50)).put("warmup_seconds", 0).put("duration_seconds", s),
                    m -> { });
            agent.run(from(sys, keepAlive(INTERCEPT_SNI, Math.min(100, conns), 500)).put("warmup_seconds", 0)
                    .put("duration_seconds", s), m -> { });
        }
        results.notes.add(String.format("Warm-up before anything was recorded: each kind of traffic (passthrough "
                + "keep-alive and new connections, intercept new connections and keep-alive) for %.0f s through each "
                + "Clawgress daemon (JIT); the other systems have no JIT and get the unrecorded warm-up of every cell "
                + "(%.0f s).", profile.jvmWarmupSeconds(), profile.warmupSeconds()));
        log("warm-up done");
    }

    // ---- scenarios ------------------------------------------------------------------------------------------------

    private ObjectNode keepAlive(String sni, int connections, double rate) {
        return command("keepalive", sni).put("connections", connections).put("rate", rate);
    }

    private ObjectNode newConn(String sni, double rate) {
        return command("newconn", sni).put("rate", rate);
    }

    /** {@code template} for {@code s}: a copy that connects from the system's own agent address. */
    private ObjectNode from(SystemUnderTest s, ObjectNode template) {
        return template.deepCopy().put("source", sources.get(s.name()));
    }

    private ObjectNode command(String op, String sni) {
        return JSON.createObjectNode().put("op", op).put("ip", UPSTREAM_IP).put("port", 443).put("host", sni)
                .put("path", "/small").put("tls", true).put("warmup_seconds", profile.warmupSeconds())
                .put("duration_seconds", profile.windowSeconds());
    }

    private void latencyScenario(String id, String title, Mode mode, ObjectNode cmd, boolean withCheck)
            throws Exception {
        String load = cmd.get("op").asText().equals("keepalive")
                ? String.format("%d connections, %.0f requests/s", cmd.get("connections").asInt(),
                cmd.get("rate").asDouble())
                : String.format("%.0f new connections/s", cmd.get("rate").asDouble());
        int rounds = mode == Mode.INTERCEPT ? profile.interceptRounds() : profile.rounds();
        results.scenarioTitles.put(id, title + "; " + load + "; " + rounds + " x "
                + profile.windowSeconds() + " s per system");
        Map<String, Results.Latency> bySystem = new LinkedHashMap<>();
        List<SystemUnderTest> order = allSystems(withCheck);
        for (SystemUnderTest s : order) {
            bySystem.put(s.name(), new Results.Latency());
        }
        results.latency.put(id, bySystem);
        quiesce(id);
        // One unrecorded cell first: the first cell after a change of scenario (the previous one's connections
        // closing, audit records being written, the generator's new pattern) showed stalls no later cell had, and
        // it fell on direct, the baseline every added latency is taken from.
        switchTo(direct, mode);
        agent.run(from(direct, cmd).put("warmup_seconds", 0).put("duration_seconds",
                Math.min(5, 2 * profile.warmupSeconds())), m -> { });
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < order.size(); i++) {
                SystemUnderTest s = order.get((i + round) % order.size());
                Results.Latency agg = bySystem.get(s.name());
                if (lastCellStalled && stealBudgetNanos > 0) {
                    stealBudgetNanos -= waitForCalm(id);
                }
                Cell kept = cell(id, s, mode, cmd);
                Cell last = kept;
                for (int attempt = 1; kept.stolen > Results.STEAL_LIMIT && kept.failure() == null
                        && attempt <= STEAL_RETRIES && stealBudgetNanos > 0; attempt++) {
                    log("%-12s %-18s cell repeated: the hypervisor took %.1f%% of the CPU during it", id, s.name(),
                            100 * last.stolen);
                    long start = System.nanoTime();
                    waitForCalm(id);
                    Cell again = cell(id, s, mode, cmd);
                    stealBudgetNanos -= System.nanoTime() - start;
                    last = again;
                    Cell dropped = again.stolen < kept.stolen ? kept : again;
                    if (dropped == kept) {
                        kept = again;
                    }
                    agg.stolenCells.add(String.format("%.0f%%", 100 * dropped.stolen));
                }
                lastCellStalled = last.stolen > Results.STEAL_LIMIT;
                if (kept.stolen > Results.STEAL_LIMIT && kept.failure() == null) {
                    agg.stolenCells.add(String.format("%.0f%% (kept: %s)", 100 * kept.stolen,
                            stealBudgetNanos > 0 ? "the least stalled of " + (1 + STEAL_RETRIES)
                                    : "steal time budget used up"));
                }
                record(id, s, kept, agg);
            }
        }
    }

    /**
     * Waits (at most 20 s) until the systems and the server are idle — under 10% of a core together for half a
     * second — so the work the previous traffic left behind (the JIT's compile queue after the warm-up, thousands of
     * connections closing and their audit records, a GC cycle) does not land in the next scenario's first cells.
     */
    private void quiesce(String id) throws InterruptedException {
        quiesce(id, 20);
    }

    /** {@link #quiesce(String)} waiting at most {@code maxSeconds}; logged only when it waited more than 1 s. */
    private void quiesce(String id, int maxSeconds) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + maxSeconds * 1_000_000_000L;
        while (true) {
            long before = busyNanos();
            Thread.sleep(500);
            long used = busyNanos() - before;
            if (used < 50_000_000L || System.nanoTime() > deadline) {
                if (maxSeconds < 20 && System.nanoTime() - start < 1_100_000_000L) {
                    return;
                }
                log("%-12s quiet after %.1f s (%.0f%% of a core in the last 0.5 s)", id,
                        (System.nanoTime() - start) / 1e9, used / 5e6);
                return;
            }
        }
    }

    private long busyNanos() {
        long n = Proc.cpuNanos(server.pid());
        for (SystemUnderTest s : allSystems(false)) {
            n += cpu(s);
        }
        return n;
    }

    /** How often one cell is measured again at most for steal ({@link Results#STEAL_LIMIT}). */
    static final int STEAL_RETRIES = 2;

    /** What is left of the run's time for waiting out steal and repeating stalled cells. */
    private long stealBudgetNanos;
    /** The last cell measured had more steal than {@link Results#STEAL_LIMIT}: the next one waits for calm first. */
    private boolean lastCellStalled;
    private long calmWaits;
    private long calmWaitedNanos;

    /**
     * Waits until the hypervisor lets this machine run again, at most 60 s and never beyond the steal budget: every CPU
     * spins for half a second and the steal during it must stay under {@link Results#STEAL_LIMIT}; otherwise sleep
     * 1.5 s and probe again. An idle vCPU accrues no steal, so only a busy machine can tell a contended host from a
     * quiet one. Steal comes in bursts of minutes, so measuring again at once would mostly land in the same burst.
     *
     * @return the time waited, nanoseconds (the caller charges it to the budget)
     */
    private long waitForCalm(String id) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + Math.min(Math.max(0, stealBudgetNanos), 60_000_000_000L);
        double stolen = stealWhileSpinning();
        while (stolen > Results.STEAL_LIMIT && System.nanoTime() < deadline) {
            Thread.sleep(1500);
            stolen = stealWhileSpinning();
        }
        long waited = System.nanoTime() - start;
        calmWaits++;
        calmWaitedNanos += waited;
        log("%-12s waited %.1f s for the hypervisor (steal %.1f%% while spinning)", id, waited / 1e9, 100 * stolen);
        return waited;
    }

    /** Steal share while every CPU spins for 0.5 s (plain arithmetic, not PAUSE, which KVM may turn into a yield). */
    private static double stealWhileSpinning() throws InterruptedException {
        int n = Runtime.getRuntime().availableProcessors();
        long end = System.nanoTime() + 500_000_000L;
        long steal0 = Proc.stealNanos();
        long t0 = System.nanoTime();
        List<Thread> spinners = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            spinners.add(Thread.ofPlatform().name("steal-probe-" + i).start(() -> {
                long x = System.nanoTime();
                while (System.nanoTime() < end) {
                    x ^= x << 13;
                    x ^= x >>> 7;
                    x ^= x << 17;
                }
                spinSink = x;
            }));
        }
        for (Thread t : spinners) {
            t.join();
        }
        return stealShare(steal0, t0, Proc.stealNanos(), System.nanoTime());
    }

    /** The share of the machine's CPU (all CPUs) the hypervisor took between two readings of steal and clock. */
    private static double stealShare(long steal0, long t0, long steal1, long t1) {
        return t1 > t0 ? (steal1 - steal0) / ((double) (t1 - t0) * Runtime.getRuntime().availableProcessors()) : 0;
    }

    private static volatile long spinSink;

    /**
     * One measured latency cell, not yet recorded.
     *
     * @param stolen  the share of the machine's CPU the hypervisor took during the window (steal time, /proc/stat)
     * @param metrics the daemon's metrics right after the window (Clawgress only, else null)
     */
    private record Cell(JsonNode result, long[] cpu, long rssKib, double stolen, String metrics) {
        /** Why the generator could not measure the cell, or null. */
        String failure() {
            return result.has("failure") ? result.get("failure").asText() : null;
        }
    }

    /** One system, one recorded window: measured, not yet added to the scenario's figures. */
    private Cell cell(String id, SystemUnderTest s, Mode mode, ObjectNode template) throws Exception {
        requireAlive();
        if (profile.quietCells()) {
            // The previous cell's system may still be closing its connections (and writing their audit records).
            quiesce(id, 5);
        }
        switchTo(s, mode);
        ObjectNode cmd = from(s, template);
        long[] cpu = new long[4];
        long[] rss = new long[1];
        long[] steal = new long[4];
        JsonNode r = agent.run(cmd, mark -> {
            if (mark.equals("start")) {
                cpu[0] = cpu(s);
                cpu[1] = Proc.cpuNanos(server.pid());
                steal[0] = Proc.stealNanos();
                steal[1] = System.nanoTime();
            } else if (mark.equals("end")) {
                cpu[2] = cpu(s);
                cpu[3] = Proc.cpuNanos(server.pid());
                rss[0] = rss(s);
                steal[2] = Proc.stealNanos();
                steal[3] = System.nanoTime();
            }
        });
        // The daemon's own view (DNS lookups, peek and decision timings, endings), for explaining its figures.
        String metrics = s instanceof Clawgress c ? c.scrapeMetrics() : null;
        return new Cell(r, cpu, rss[0], stealShare(steal[0], steal[1], steal[2], steal[3]), metrics);
    }

    /** Adds {@code c} to {@code s}'s figures in scenario {@code id}. */
    private void record(String id, SystemUnderTest s, Cell c, Results.Latency agg) throws IOException {
        agg.slices++;
        if (c.metrics() != null) {
            Path metrics = Files.createDirectories(out.resolve("metrics"));
            Files.writeString(metrics.resolve(id + "-" + s.name() + "-" + agg.slices + ".prom"), c.metrics());
        }
        if (c.failure() != null) {
            agg.errors.merge("slice_failed", 1L, Long::sum);
            results.notes.add(id + " / " + s.name() + ": " + c.failure());
            log("%s %s: FAILED %s", id, s.name(), c.failure());
            return;
        }
        JsonNode r = c.result();
        long[] cpu = c.cpu();
        Histogram h = decode(r.get("latency").asText());
        agg.histogram.add(h);
        agg.cellP50Us.add(h.getValueAtPercentile(50) / 1e3);
        agg.responses += r.path("responses").asLong();
        agg.sent += r.path("sent").asLong();
        agg.connectionsOpened += r.path("connections_opened").asLong();
        r.path("errors").fields().forEachRemaining(e -> agg.errors.merge(e.getKey(), e.getValue().asLong(),
                Long::sum));
        agg.windowSeconds += r.path("window_seconds").asDouble();
        agg.systemCpuSeconds += (cpu[2] - cpu[0]) / 1e9;
        agg.serverCpuSeconds += (cpu[3] - cpu[1]) / 1e9;
        agg.agentCpuSeconds += r.path("agent_cpu_seconds").asDouble();
        agg.rssKib = c.rssKib();
        agg.pacerLateP99Us = Math.max(agg.pacerLateP99Us, r.path("pacer_late_p99_us").asDouble());
        log("%-12s %-18s p50 %8.1f us  p99 %8.1f us  %7.0f/s  errors %d  cpu %.2fs  steal %.1f%%", id, s.name(),
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                r.path("rate_achieved").asDouble(), r.path("errors_total").asLong(), (cpu[2] - cpu[0]) / 1e9,
                100 * c.stolen());
    }

    private void bulkScenario() throws Exception {
        results.scenarioTitles.put("e", String.format("bulk download, passthrough, %d MiB per transfer, %d rounds",
                profile.bulkBytes() >> 20, profile.rounds()));
        List<SystemUnderTest> order = allSystems(false);
        for (SystemUnderTest s : order) {
            results.bulk.put(s.name(), new ArrayList<>());
        }
        for (int round = 0; round < profile.rounds(); round++) {
            for (int i = 0; i < order.size(); i++) {
                SystemUnderTest s = order.get((i + round) % order.size());
                switchTo(s, Mode.PASSTHROUGH);
                long[] cpu = new long[2];
                JsonNode r = agent.run(from(s, command("bulk", PASSTHROUGH_SNI)).put("bytes", profile.bulkBytes()),
                        m -> {
                    if (m.equals("start")) {
                        cpu[0] = cpu(s);
                    } else if (m.equals("end")) {
                        cpu[1] = cpu(s);
                    }
                });
                String failure = r.has("failure") ? r.get("failure").asText() : null;
                Results.Bulk b = new Results.Bulk(r.path("bytes").asLong(), r.path("seconds").asDouble(),
                        r.path("mib_per_second").asDouble(), (cpu[1] - cpu[0]) / 1e9, failure);
                results.bulk.get(s.name()).add(b);
                log("bulk         %-18s %8.1f MiB/s  cpu %.2fs %s", s.name(), b.mibPerSecond(),
                        b.systemCpuSeconds(), failure == null ? "" : failure);
            }
        }
    }

    private void rampScenario() throws Exception {
        results.scenarioTitles.put("d", String.format("concurrency ramp, passthrough: held connections %s, each"
                        + " relayed one request; then %.0f requests/s over them for %.0f s per step",
                profile.rampSteps(), profile.rampProbeRate(), profile.rampProbeSeconds()));
        for (SystemUnderTest s : allSystems(false)) {
            switchTo(s, Mode.PASSTHROUGH);
            List<Results.RampStep> steps = new ArrayList<>();
            results.ramp.put(s.name(), steps);
            long baseline = rss(s);
            steps.add(new Results.RampStep(0, baseline, fds(s), s.heapUsedBytes(), new Histogram(3), 0, Map.of(),
                    0));
            for (int n : profile.rampSteps()) {
                JsonNode h = agent.run(from(s, command("hold", PASSTHROUGH_SNI)).put("connections", n), m -> { });
                Thread.sleep(1000);
                long rss = rss(s);
                int fds = fds(s);
                long heap = s.heapUsedBytes();
                JsonNode p = agent.run(JSON.createObjectNode().put("op", "probe")
                        .put("rate", profile.rampProbeRate()).put("warmup_seconds", 0.5)
                        .put("duration_seconds", profile.rampProbeSeconds()), m -> { });
                Map<String, Long> openErrors = new LinkedHashMap<>();
                h.path("open_errors").fields().forEachRemaining(e -> openErrors.put(e.getKey(),
                        e.getValue().asLong()));
                Histogram probe = p.has("latency") ? decode(p.get("latency").asText()) : new Histogram(3);
                long probeErrors = p.path("errors_total").asLong();
                steps.add(new Results.RampStep(h.path("held").asInt(), rss, fds, heap, probe, probeErrors,
                        openErrors, h.path("open_seconds").asDouble()));
                log("ramp         %-18s held %5d  rss %7.1f MiB  fds %5d  heap %s  probe p50 %.1f us  %s",
                        s.name(), h.path("held").asInt(), rss / 1024.0, fds,
                        heap < 0 ? "-" : String.format("%.1f MiB", heap / 1048576.0),
                        probe.getValueAtPercentile(50) / 1e3, openErrors.isEmpty() ? "" : openErrors);
                if (h.path("held").asInt() < n * 0.9) {
                    results.notes.add("ramp / " + s.name() + ": only " + h.path("held").asInt() + " of " + n
                            + " connections could be held (" + openErrors + "); the ramp stops there");
                    break;
                }
            }
            agent.run(JSON.createObjectNode().put("op", "release"), m -> { });
            Thread.sleep(1000);
        }
    }

    // ---- plumbing -------------------------------------------------------------------------------------------------

    /** The run's own helpers (DNS, upstream server) must outlive it: a dead one would fail every later cell. */
    private void requireAlive() {
        for (ManagedProcess p : List.of(dns, server)) {
            if (!p.isAlive()) {
                throw new IllegalStateException(p.name() + " exited during the run\n" + p.describe());
            }
        }
    }

    /** Points the TPROXY rules at the system's port for {@code mode}, or removes them for direct. */
    private void switchTo(SystemUnderTest s, Mode mode) {
        OptionalInt port = s.port(mode);
        int want = port.orElse(0);
        if (want == tproxyPort) {
            return;
        }
        if (port.isEmpty()) {
            ExecResult r = topology.removeTproxy();
            if (!r.ok()) {
                throw new IllegalStateException("clawgress-tproxy down: " + r.describe());
            }
        } else {
            topology.installTproxy(want);
        }
        tproxyPort = want;
    }

    private static long cpu(SystemUnderTest s) {
        long n = 0;
        for (long pid : s.pids()) {
            for (long p : Proc.tree(pid)) {
                n += Proc.cpuNanos(p);
            }
        }
        return n;
    }

    private static long rss(SystemUnderTest s) {
        long n = 0;
        for (long pid : s.pids()) {
            for (long p : Proc.tree(pid)) {
                n += Proc.rssKib(p);
            }
        }
        return n;
    }

    private static int fds(SystemUnderTest s) {
        int n = 0;
        for (long pid : s.pids()) {
            for (long p : Proc.tree(pid)) {
                n += Proc.fdCount(p);
            }
        }
        return n;
    }

    static Histogram decode(String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
        } catch (java.util.zip.DataFormatException e) {
            throw new IllegalStateException("bad histogram from the load agent", e);
        }
    }

    private void writeReport() throws IOException {
        Files.writeString(out.resolve("report.md"), Report.markdown(results, "plots"));
        Files.writeString(out.resolve("report.json"), JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsString(Report.json(results)));
        Plots.write(results, Files.createDirectories(out.resolve("plots")));
    }

    private void tearDown() {
        if (agent != null) {
            agent.close();
        }
        for (SystemUnderTest s : systems) {
            try {
                s.close();
            } catch (RuntimeException e) {
                log("stopping %s: %s", s.name(), e);
            }
        }
        if (topology != null) {
            Path work = topology.workDir().getParent();
            try {
                topology.close();
            } finally {
                if (!Boolean.getBoolean("clawgress.keepBenchDirs")) {
                    deleteTree(work);
                }
            }
        }
    }

    private static void deleteTree(Path root) {
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp directory
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    private static String uid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2];
                }
            }
        } catch (IOException ignored) {
            // fall through
        }
        return "?";
    }

    private static final long T0 = System.nanoTime();

    static void log(String format, Object... args) {
        System.err.printf("bench %5.0fs: " + format + "%n",
                java.util.stream.Stream.concat(java.util.stream.Stream.of((System.nanoTime() - T0) / 1e9),
                        java.util.Arrays.stream(args)).toArray());
    }
}
