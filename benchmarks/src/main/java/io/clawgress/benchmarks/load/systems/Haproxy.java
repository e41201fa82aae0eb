package io.clawgress.benchmarks.load.systems;

import io.clawgress.testing.netns.ManagedProcess;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * HAProxy from the distribution ({@code haproxy -db}: foreground, one process, {@code nbthread} = CPUs) with
 * {@code benchmarks/systems/haproxy/haproxy.cfg}: a transparent tcp-mode frontend with an SNI rule for passthrough,
 * and an http-mode frontend with generated certificates for intercept.
 */
public final class Haproxy implements SystemUnderTest {

    private final ManagedProcess process;
    private final int passthroughPort;
    private final int interceptPort;
    private final int maxconn;
    private final Path config;

    private Haproxy(ManagedProcess process, int passthroughPort, int interceptPort, int maxconn, Path config) {
        this.process = process;
        this.passthroughPort = passthroughPort;
        this.interceptPort = interceptPort;
        this.maxconn = maxconn;
        this.config = config;
    }

    public static Haproxy start(Fixture f, int passthroughPort, int interceptPort, int maxconn) throws Exception {
        Path dir = Files.createDirectories(f.dir().resolve("haproxy"));
        // HAProxy wants certificate and key in one PEM, for both the default certificate and the signing CA.
        Path caSign = Files.writeString(dir.resolve("ca-sign.pem"),
                Files.readString(f.mitmCaCert()) + Files.readString(f.mitmCaKey()));
        Map<String, String> v = new LinkedHashMap<>();
        v.put("MAXCONN", Integer.toString(maxconn));
        v.put("THREADS", Integer.toString(Runtime.getRuntime().availableProcessors()));
        v.put("PASSTHROUGH_PORT", Integer.toString(passthroughPort));
        v.put("PASSTHROUGH_SNI", f.passthroughSni());
        v.put("INTERCEPT_PORT", Integer.toString(interceptPort));
        v.put("INTERCEPT_SNI", f.interceptSni());
        v.put("DEFAULT_CERT", f.mitmDefault().toString());
        v.put("CA_SIGN_FILE", caSign.toString());
        v.put("UPSTREAM_CA", f.upstreamCa().toString());
        Path cfg = Template.render("haproxy/haproxy.cfg", v, dir.resolve("haproxy.cfg"));
        ManagedProcess p = f.topology().gateway().spawn("haproxy", List.of("haproxy", "-db", "-f", cfg.toString()),
                dir);
        Template.awaitListening(f.topology().gateway(), passthroughPort, Duration.ofSeconds(20), p::describe);
        Template.awaitListening(f.topology().gateway(), interceptPort, Duration.ofSeconds(20), p::describe);
        return new Haproxy(p, passthroughPort, interceptPort, maxconn, cfg);
    }

    @Override
    public String name() {
        return "haproxy";
    }

    @Override
    public OptionalInt port(Mode mode) {
        return OptionalInt.of(mode == Mode.PASSTHROUGH ? passthroughPort : interceptPort);
    }

    @Override
    public List<Long> pids() {
        return List.of(process.pid());
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("what", Template.firstLine("haproxy", "-v") + "; nbthread "
                + Runtime.getRuntime().availableProcessors() + ", maxconn " + maxconn + "; config "
                + "benchmarks/systems/haproxy/haproxy.cfg");
        return d;
    }

    /** What HAProxy said on stderr (warnings about limits, for the report). */
    public String stderr() {
        return process.stderrText();
    }

    @Override
    public void close() {
        process.stop(Duration.ofSeconds(5));
    }
}
