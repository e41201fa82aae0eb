package io.clawgress.benchmarks.load.systems;

import io.clawgress.enforcement.bundle.BundleBuilder;
import io.clawgress.enforcement.bundle.KeyGen;
import io.clawgress.enforcement.bundle.SigningAlg;
import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.Repo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real {@code clawgressd} ({@code bin/clawgressd} with the JVM options the package ships,
 * {@code deb/src/deb/jvm.options}: generational ZGC, soft heap limit 256 MiB, 512 MiB direct memory) on one transport, enforcing a
 * signed bundle that binds the agent subnet to an agent and allows the passthrough name (relay after the SNI peek)
 * and the intercept name ({@code intercept: true}, GET of any path). Everything else is the packaged default:
 * the audit log is on (one chained record per connection and per intercepted request), the metrics endpoint too.
 * Both scenarios' modes use the same listener: the policy decides per SNI.
 */
public final class Clawgress implements SystemUnderTest {

    private static final Pattern METRICS = Pattern.compile("metrics: Prometheus text at http://(\\S+)/metrics");
    private static final Pattern HEAP =
            Pattern.compile("(?m)^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*} (\\S+)$");

    private final String name;
    private final String transport;
    private final int port;
    private final Fixture fixture;
    private final GatewayProcess daemon;
    private final Path interceptCa;
    private final String metrics;

    private Clawgress(String name, String transport, int port, Fixture fixture, GatewayProcess daemon,
                      Path interceptCa, String metrics) {
        this.name = name;
        this.transport = transport;
        this.port = port;
        this.fixture = fixture;
        this.daemon = daemon;
        this.interceptCa = interceptCa;
        this.metrics = metrics;
    }

    /**
     * Signs a bundle, starts the daemon on {@code transport} listening on {@code port}, and exports its intercept CA.
     */
    public static Clawgress start(Fixture f, String transport, int port) throws Exception {
        String name = "clawgress-" + transport.replace("_", "");
        Path dir = Files.createDirectories(f.dir().resolve(name));
        KeyGen.GeneratedKey key = KeyGen.generate(SigningAlg.EDDSA, "bench-signer");
        Path trusted = Files.writeString(dir.resolve("trusted-keys.json"), KeyGen.keySetJson(List.of(key)));
        String policy = """
                apiVersion: clawgress.io/v1
                kind: IdentityBindings
                id: bench-agents
                bindings:
                  - {subnet: %s, identity: {agent_id: bench-agent, team_id: bench}}
                ---
                apiVersion: clawgress.io/v1
                kind: Policy
                id: bench
                priority: 100
                subjects: {}
                rules:
                  - id: passthrough
                    action: allow
                    destinations: [{host: %s, ports: [443]}]
                  - id: intercept
                    action: allow
                    destinations: [{host: %s, ports: [443]}]
                    http: {methods: [GET], paths: ["/"]}
                    intercept: true
                """.formatted(Fixture.AGENT_CIDR, f.passthroughSni(), f.interceptSni());
        Instant now = Instant.now();
        byte[] bundle = BundleBuilder.build(Map.of("policies/bench.yaml", policy.getBytes(StandardCharsets.UTF_8)),
                key.signingKey(), 1, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(2)));
        Path bundleFile = Files.write(dir.resolve("bundle.tar.gz"), bundle);
        Path state = Files.createDirectories(dir.resolve("state"));
        Path audit = Files.createDirectories(dir.resolve("audit"));
        String yaml = """
                listener: {port: %d, transport: %s}
                timeouts: {upstream_connect: 5s, idle: 5m}
                dns: {servers: ["%s"], query_timeout: 1s}
                audit: {dir: %s}
                intercept: {upstream_ca: %s}
                metrics: {address: 127.0.0.1, port: 0}
                admin: {socket: %s, group: "0", admin_group: "0"}
                state_dir: %s
                policy:
                  trusted_keys: %s
                  bundle: %s
                """.formatted(port, transport, f.dnsIp(), audit, f.upstreamCa(), dir.resolve("admin.sock"), state,
                trusted, bundleFile);
        // bin/clawgress-java takes CLAWGRESS_JAVA_OPTS instead of its development defaults (G1, 256 MiB).
        String opts = String.join(" ", packagedJvmOptions(dir.resolve("gc.log")));
        GatewayProcess daemon = f.topology().startNamedGateway(name, yaml, audit,
                Map.of("CLAWGRESS_JAVA_OPTS", opts));
        if (!daemon.stderrText().contains("(" + transport + ")")) {
            throw new IllegalStateException(name + " does not run on " + transport + ":\n" + daemon.stderrText());
        }
        Matcher m = METRICS.matcher(daemon.stderrText());
        String metrics = m.find() ? "http://" + m.group(1) + "/metrics" : null;
        Path ca = dir.resolve("intercept-ca.pem");
        Process export = new ProcessBuilder(Repo.root().resolve("bin/clawgressctl").toString(), "ca", "export",
                "--state-dir", state.toString(), "--out", ca.toString()).redirectErrorStream(true).start();
        String out = new String(export.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (export.waitFor() != 0 || !Files.isRegularFile(ca)) {
            throw new IllegalStateException("clawgressctl ca export failed: " + out);
        }
        return new Clawgress(name, transport, port, f, daemon, ca, metrics);
    }

    /**
     * The options of {@code deb/src/deb/jvm.options} as the package's launcher applies them: comments and blank lines
     * dropped, {@code 21-23:} version ranges applied to this JVM's feature version, the GC log moved to {@code gcLog}.
     */
    static List<String> packagedJvmOptions(Path gcLog) throws java.io.IOException {
        int feature = Runtime.version().feature();
        List<String> out = new java.util.ArrayList<>();
        for (String raw : Files.readAllLines(Repo.root().resolve("deb/src/deb/jvm.options"))) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher range = Pattern.compile("(\\d+)(-(\\d*))?:(.*)").matcher(line);
            if (range.matches()) {
                int from = Integer.parseInt(range.group(1));
                int to = range.group(2) == null ? from
                        : range.group(3).isEmpty() ? Integer.MAX_VALUE : Integer.parseInt(range.group(3));
                if (feature < from || feature > to) {
                    continue;
                }
                line = range.group(4);
            }
            if (line.startsWith("-Xlog:") && line.contains("file=")) {
                line = line.replaceFirst("file=[^:]*", "file=" + gcLog);
            }
            out.add(line);
        }
        return out;
    }

    /** The intercept CA the agent must trust for this daemon's minted certificates. */
    public Path interceptCa() {
        return interceptCa;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public OptionalInt port(Mode mode) {
        return OptionalInt.of(port);
    }

    @Override
    public List<Long> pids() {
        return List.of(daemon.pid());
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("what", "bin/clawgressd with the package's JVM options (deb/src/deb/jvm.options), transport "
                + transport + ", audit log on, policy: allow "
                + fixture.passthroughSni() + " (relay), intercept " + fixture.interceptSni());
        d.put("jvm", jvmOptions());
        return d;
    }

    private String jvmOptions() {
        return ProcessHandle.of(daemon.pid()).flatMap(h -> h.info().arguments())
                .map(args -> {
                    StringBuilder b = new StringBuilder();
                    for (String a : args) {
                        if ((a.startsWith("-X") && !a.startsWith("-Xlog")) || a.startsWith("--enable")
                                || a.startsWith("--sun")) {
                            b.append(b.isEmpty() ? "" : " ").append(a);
                        }
                    }
                    return b.toString();
                }).orElse("?");
    }

    /** The daemon's Prometheus metrics now (scraped from inside the gateway namespace), or empty. */
    public String scrapeMetrics() {
        if (metrics == null) {
            return "";
        }
        ExecResult r = fixture.topology().gateway().exec(Duration.ofSeconds(10), "curl", "-sS", "--max-time", "5",
                metrics);
        return r.ok() ? r.stdout() : "";
    }

    @Override
    public long heapUsedBytes() {
        String text = scrapeMetrics();
        if (text.isEmpty()) {
            return -1;
        }
        Matcher m = HEAP.matcher(text);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return (long) sum;
    }

    @Override
    public void close() {
        daemon.stop();
    }
}
