package io.clawgress.benchmarks.load.systems;

import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.ManagedProcess;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Squid from the distribution ({@code squid-openssl}, {@code squid -N}: no daemon, one worker) with
 * {@code benchmarks/systems/squid/squid.conf}: a tproxy https_port with SslBump (peek, then splice the passthrough
 * name, stare and bump the intercept name). Its certificate generator helpers are child processes: their CPU and
 * memory count as Squid's.
 */
public final class Squid implements SystemUnderTest {

    private static final String CERTGEN = "/usr/lib/squid/security_file_certgen";

    private final ManagedProcess process;
    private final int port;

    private Squid(ManagedProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    public static Squid start(Fixture f, int port, int forwardPort, int maxFds) throws Exception {
        Path dir = Files.createDirectories(f.dir().resolve("squid"));
        // Squid drops to its own user (proxy): it must read the config and certificates and write its directory.
        Path caCert = Files.copy(f.mitmCaCert(), dir.resolve("ca.pem"));
        Path caKey = Files.copy(f.mitmCaKey(), dir.resolve("ca.key"));
        Path upstreamCa = Files.copy(f.upstreamCa(), dir.resolve("upstream-ca.pem"));
        Path certDb = dir.resolve("ssl_db");
        ExecResult init = f.topology().gateway().exec(Duration.ofSeconds(30), CERTGEN, "-c", "-s", certDb.toString(),
                "-M", "16MB");
        if (!init.ok()) {
            throw new IllegalStateException("initialising Squid's certificate database: " + init.describe());
        }
        Map<String, String> v = new LinkedHashMap<>();
        v.put("FORWARD_PORT", Integer.toString(forwardPort));
        v.put("PORT", Integer.toString(port));
        v.put("CA_CERT", caCert.toString());
        v.put("CA_KEY", caKey.toString());
        v.put("CERT_DB", certDb.toString());
        v.put("PASSTHROUGH_SNI", f.passthroughSni());
        v.put("INTERCEPT_SNI", f.interceptSni());
        v.put("AGENT_CIDR", Fixture.AGENT_CIDR);
        v.put("UPSTREAM_CA", upstreamCa.toString());
        v.put("DIR", dir.toString());
        v.put("DNS", f.dnsIp());
        v.put("MAX_FDS", Integer.toString(maxFds));
        Path cfg = Template.render("squid/squid.conf", v, dir.resolve("squid.conf"));
        ExecResult chown = f.topology().gateway().exec(Duration.ofSeconds(30), "chown", "-R", "proxy:proxy",
                dir.toString());
        if (!chown.ok()) {
            throw new IllegalStateException("chown proxy " + dir + ": " + chown.describe());
        }
        Files.setPosixFilePermissions(caKey, PosixFilePermissions.fromString("rw-------"));
        ExecResult parse = f.topology().gateway().exec(Duration.ofSeconds(30), "squid", "-k", "parse", "-f",
                cfg.toString());
        if (!parse.ok()) {
            throw new IllegalStateException("squid -k parse: " + parse.describe());
        }
        ManagedProcess p = f.topology().gateway().spawn("squid", List.of("squid", "-N", "-f", cfg.toString()), dir);
        Template.awaitListening(f.topology().gateway(), port, Duration.ofSeconds(30),
                () -> p.describe() + "\ncache.log:\n" + tail(dir.resolve("cache.log")));
        return new Squid(p, port);
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (Exception e) {
            return "(" + e + ")";
        }
    }

    @Override
    public String name() {
        return "squid";
    }

    @Override
    public OptionalInt port(Mode mode) {
        return OptionalInt.of(port);
    }

    @Override
    public List<Long> pids() {
        return List.of(process.pid());
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("what", Template.firstLine("squid", "-v") + "; one worker (squid -N); config "
                + "benchmarks/systems/squid/squid.conf");
        return d;
    }

    @Override
    public void close() {
        process.stop(Duration.ofSeconds(5));
    }
}
