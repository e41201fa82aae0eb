package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.testing.netns.Await;
import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.Topology;
import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The L4 data path end to end: real TPROXY rules ({@code systemd/clawgress-tproxy}) and the real
 * {@code bin/clawgressd} in a gateway namespace, real curl and Java TCP peers in the agent namespace, real servers
 * in the upstream namespace. Nothing fakes the original destination: the agent dials the upstream's address and
 * the kernel hands the connection to the gateway. One topology per transport (subclasses), shared by the cases.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DataPathE2E {

    static final String UPSTREAM = "198.18.2.2";
    static final String DENIED_HOST = "198.18.2.3";
    static final String GATEWAY = "198.18.1.1";
    static final int TPROXY_PORT = 15001;
    static final Duration T = Duration.ofSeconds(30);
    static final long GIB = 1L << 30;

    Topology topology;
    GatewayProcess gateway;
    ManagedProcess http80;
    ManagedProcess http8080;
    ManagedProcess httpDenied;
    ManagedProcess silent;
    ManagedProcess silentForAbort;
    ManagedProcess bulk;

    /** {@code epoll} or {@code io_uring}. */
    abstract String transport();

    @BeforeAll
    void startTopology() throws IOException {
        Privileges.requireOrSkip("ip", "iptables", "curl");
        Path dir = Files.createTempDirectory("clawgress-e2e-" + transport() + "-");
        topology = Topology.create(dir);
        topology.addUpstreamAddress(DENIED_HOST);
        http80 = upstreamPeer("http-80", "http-server", "--bind", UPSTREAM, "--port", "80");
        http8080 = upstreamPeer("http-8080", "http-server", "--bind", UPSTREAM, "--port", "8080");
        httpDenied = upstreamPeer("http-denied", "http-server", "--bind", DENIED_HOST, "--port", "80");
        silent = upstreamPeer("silent-7000", "silent-server", "--bind", UPSTREAM, "--port", "7000");
        silentForAbort = upstreamPeer("silent-7001", "silent-server", "--bind", UPSTREAM, "--port", "7001",
                "--hold-after-eof-seconds", "20");
        bulk = upstreamPeer("bulk-9000", "bulk-server", "--bind", UPSTREAM, "--port", "9000",
                "--bytes", "1G", "--seed", "7", "--after-eof-bytes", "64M", "--timeout-seconds", "300");
        // An upstream that never answers SYN: its packets are dropped before the stack sees them.
        topology.upstream().execOk(T, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "9999", "-j", "DROP");

        topology.installTproxy(TPROXY_PORT).assertOk("clawgress-tproxy up");
        Path records = dir.resolve("audit");
        gateway = topology.startGateway(config(dir, records), records);
        assertThat(gateway.stderrText()).as("the daemon runs on the transport under test")
                .contains("clawgressd ready").contains("(" + transport() + ")");
    }

    /** The gateway config, enforcing a bundle signed here with a key the gateway trusts. */
    private String config(Path dir, Path records) {
        SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
        Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, """
                apiVersion: clawgress.io/v1
                kind: IdentityBindings
                id: e2e-agents
                bindings:
                  - subnet: 198.18.1.0/24
                    identity: {agent_id: e2e-agent, team_id: qa, environment: test}
                ---
                apiVersion: clawgress.io/v1
                kind: Policy
                id: e2e
                priority: 100
                subjects: {}
                rules:
                  - {id: deny-second-host, action: deny, destinations: [{cidr: %s/32}]}
                  - id: allow-upstream
                    action: allow
                    destinations: [{cidr: %s/32, ports: [80, 81, 7000, 7001, 9000, 9999]}]
                """.formatted(DENIED_HOST, UPSTREAM)));
        return """
                listener: {address: 0.0.0.0, port: %d, transport: %s}
                timeouts: {upstream_connect: 1s, idle: 3s}
                # The silent and SYN-dropping upstreams are L4 cases: their ports skip the peek like SSH's would.
                peek: {server_first_ports: [7000, 7001, 9999]}
                audit: {dir: %s}
                """.formatted(TPROXY_PORT, transport(), records) + signed.configSection(dir.resolve("state"), bundle, null);
    }

    private ManagedProcess upstreamPeer(String name, String... args) {
        ManagedProcess p = Peer.spawn(topology.upstream(), name, topology.workDir(), args);
        p.awaitEvent("ready", T);
        return p;
    }

    @AfterAll
    void stopTopology() throws IOException {
        if (topology != null) {
            topology.close();
            if (!Boolean.getBoolean("clawgress.keepE2eDirs")) {
                deleteTree(topology.workDir()); // logs and configs; -Dclawgress.keepE2eDirs=true keeps them
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void anAllowedConnectionGetsTheUpstreamsAnswerAndARecordWithExactByteCounts() {
        ExecResult curl = curl(41001, "http://" + UPSTREAM + "/");
        assertThat(curl.exitCode()).as(curl.describe()).isZero();
        String[] w = writeOut(curl);
        assertThat(curl.stdout()).startsWith("hello from upstream " + UPSTREAM + ":80\n");
        assertThat(w[0]).isEqualTo("200");

        JsonNode r = record(41001);
        assertThat(r.get("verdict").asText()).isEqualTo("relay");
        assertThat(r.get("rule").asText()).isEqualTo("allow-upstream");
        assertThat(r.get("reason").asText()).contains("allowed by policy e2e rule allow-upstream");
        assertThat(r.get("original_destination").asText()).isEqualTo(UPSTREAM + ":80");
        assertThat(r.get("source").asText()).isEqualTo("198.18.1.2:41001");
        assertThat(r.get("identity").get("agent_id").asText()).isEqualTo("e2e-agent");
        assertThat(r.get("identity").get("auth").asText()).isEqualTo("subnet");
        assertThat(r.get("policy_revision").asText()).as("the signed bundle's revision").isEqualTo("1");
        assertThat(r.get("termination").asText()).isEqualTo("completed");
        // curl's own counts: request bytes sent; response header + body bytes received.
        assertThat(r.get("bytes_up").asLong()).isEqualTo(Long.parseLong(w[1]));
        assertThat(r.get("bytes_down").asLong()).isEqualTo(Long.parseLong(w[2]) + Long.parseLong(w[3]));
        assertThat(r.get("duration_ms").asDouble()).isPositive();
        assertThat(r.get("flow_id").asText()).isNotBlank();
        assertThat(http80.events("accept")).anySatisfy(a ->
                assertThat(a.get("remote").asText()).startsWith("198.18.2.1:"));
    }

    @Test
    void aDeniedPlaintextRequestIsAnswered403FastAndNeverReachesTheUpstream() {
        ExecResult curl = curl(41002, "http://" + UPSTREAM + ":8080/");
        assertForbidden(curl, "default");
        JsonNode r = record(41002);
        assertThat(r.get("verdict").asText()).isEqualTo("deny");
        assertThat(r.get("rule").asText()).isEqualTo("default");
        assertThat(r.get("termination").asText()).isEqualTo("policy_denied");
        assertThat(r.get("reason").asText()).contains("default deny");
        String[] w = writeOut(curl);
        assertThat(r.get("bytes_up").asLong()).as("the request curl sent, read by the gateway and never relayed")
                .isEqualTo(Long.parseLong(w[1]));
        assertThat(r.get("bytes_down").asLong()).as("the gateway's own 403, head and body, as curl received it")
                .isEqualTo(Long.parseLong(w[2]) + Long.parseLong(w[3]));
        assertThat(http8080.events("accept")).as("the upstream on :8080 saw no connection").isEmpty();
    }

    @Test
    void aDenyRuleIsAnswered403AndNamesItself() {
        ExecResult curl = curl(41003, "http://" + DENIED_HOST + "/");
        assertForbidden(curl, "deny-second-host");
        JsonNode r = record(41003);
        assertThat(r.get("rule").asText()).isEqualTo("deny-second-host");
        assertThat(r.get("termination").asText()).isEqualTo("policy_denied");
        assertThat(httpDenied.events("accept")).isEmpty();
    }

    @Test
    void theGatewaysOwnListenerIsRefusedAsALoop() {
        ExecResult curl = curl(41004, "http://" + GATEWAY + ":" + TPROXY_PORT + "/");
        assertReset(curl);
        JsonNode r = record(41004);
        assertThat(r.get("termination").asText()).isEqualTo("loop");
        assertThat(r.get("rule").asText()).isEqualTo("loop_guard");
        assertThat(r.get("original_destination").asText()).isEqualTo(GATEWAY + ":" + TPROXY_PORT);
        assertThat(r.get("bytes_up").asLong()).isZero();
    }

    @Test
    void aRefusingUpstreamEndsAsConnectFailedAndResetsTheAgent() {
        ExecResult curl = curl(41005, "http://" + UPSTREAM + ":81/");
        assertThat(curl.exitCode()).as(curl.describe()).isIn(52, 55, 56);
        JsonNode r = record(41005);
        assertThat(r.get("verdict").asText()).isEqualTo("relay");
        assertThat(r.get("termination").asText()).isEqualTo("upstream_connect_failed");
        assertThat(r.get("detail").asText()).containsIgnoringCase("refused");
    }

    @Test
    void anUpstreamThatNeverAnswersSynEndsAsConnectTimeout() {
        ManagedProcess client = Peer.spawn(topology.agent(), "hold-9999", topology.workDir(),
                "hold-client", "--connect", UPSTREAM + ":9999", "--timeout-seconds", "20");
        JsonNode done = client.awaitEvent("done", T);
        assertThat(done.get("ended").asText()).as("agent sees a reset, not a hang").isEqualTo("reset");
        JsonNode r = awaitRecord(rec -> rec.get("original_destination").asText().equals(UPSTREAM + ":9999"));
        assertThat(r.get("termination").asText()).isEqualTo("upstream_connect_timeout");
        assertThat(r.get("duration_ms").asDouble()).isGreaterThanOrEqualTo(900.0);
    }

    @Test
    void anIdleFlowEndsAsIdleTimeout() {
        ManagedProcess client = Peer.spawn(topology.agent(), "hold-7000", topology.workDir(),
                "hold-client", "--connect", UPSTREAM + ":7000", "--timeout-seconds", "20");
        JsonNode done = client.awaitEvent("done", T);
        assertThat(done.get("ended").asText()).isEqualTo("eof");
        assertThat(done.get("elapsed_ms").asLong()).isGreaterThanOrEqualTo(2_900);
        JsonNode r = awaitRecord(rec -> rec.get("original_destination").asText().equals(UPSTREAM + ":7000"));
        assertThat(r.get("termination").asText()).isEqualTo("idle_timeout");
        assertThat(silent.awaitEvent("done", T).get("ended").asText()).isEqualTo("eof");
    }

    @Test
    void oneGibEachWayRelaysIntactWithHalfCloseAndBoundedMemory() throws Exception {
        ManagedProcess client = Peer.spawn(topology.agent(), "bulk-client", topology.workDir(),
                "bulk-client", "--connect", UPSTREAM + ":9000", "--bytes", "1G", "--seed", "11",
                "--timeout-seconds", "300");
        JsonNode c = client.awaitEvent("done", Duration.ofMinutes(5));
        JsonNode s = bulk.awaitEvent("done", T);

        assertThat(c.get("ended").asText()).isEqualTo("eof");
        assertThat(s.get("ended").asText()).isEqualTo("eof");
        assertThat(c.get("sent_bytes").asLong()).isEqualTo(GIB);
        assertThat(s.get("received_bytes").asLong()).isEqualTo(GIB);
        assertThat(s.get("received_sha256").asText()).isEqualTo(c.get("sent_sha256").asText())
                .isEqualTo(Peer.patternSha256(11, GIB));
        assertThat(c.get("received_bytes").asLong()).isEqualTo(GIB);
        assertThat(c.get("received_sha256").asText()).isEqualTo(s.get("sent_sha256").asText())
                .isEqualTo(Peer.patternSha256(7, GIB));
        // Half-close: the server sent its last 64 MiB only after it saw the agent's FIN, and they arrived.
        assertThat(s.get("sent_after_eof_bytes").asLong()).isEqualTo(64L << 20);
        assertThat(c.get("received_after_shutdown_bytes").asLong()).isGreaterThanOrEqualTo(64L << 20);

        JsonNode r = awaitRecord(rec -> rec.get("original_destination").asText().equals(UPSTREAM + ":9000"));
        assertThat(r.get("termination").asText()).isEqualTo("completed");
        assertThat(r.get("bytes_up").asLong()).isEqualTo(GIB);
        assertThat(r.get("bytes_down").asLong()).isEqualTo(GIB);

        long peakMib = gateway.peakRssKib() / 1024;
        double seconds = c.get("elapsed_ms").asLong() / 1000.0;
        System.out.printf("[e2e %s] 1 GiB each way in %.1f s (%.0f MiB/s each way); gateway RSS now %d MiB, "
                + "peak %d MiB (JVM: -Xmx256m -XX:MaxDirectMemorySize=256m)%n", transport(), seconds,
                1024 / seconds, gateway.rssKib() / 1024, peakMib);
        assertThat(peakMib).as("gateway peak RSS (MiB) stays bounded while relaying 2 GiB").isLessThan(640);
    }

    @Test
    void anAgentThatSendsAndHalfClosesAtOnceStillGetsTheWholeAnswer() {
        // nc -N sends the request and its FIN right after the handshake, usually before the gateway has dialled
        // the upstream: those bytes and that FIN must wait for the relay, not be lost. Repeated to hit both orders.
        for (int i = 0; i < 10; i++) {
            byte[] request = "GET /nc HTTP/1.1\r\nHost: upstream\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            ExecResult nc = topology.agent().execWithStdin(T, request, "nc", "-N", "-w", "5", UPSTREAM, "80");
            assertThat(nc.exitCode()).as(nc.describe()).isZero();
            assertThat(nc.stdout()).as("attempt " + i).startsWith("HTTP/1.1 200")
                    .endsWith("hello from upstream " + UPSTREAM + ":80\n");
        }
    }

    @Test
    void anAgentThatHalfClosesThenResetsEndsPromptlyWithoutBurningCpu() throws IOException {
        ManagedProcess client = Peer.spawn(topology.agent(), "abort-7001", topology.workDir(),
                "abort-client", "--connect", UPSTREAM + ":7001", "--reset-after-seconds", "1");
        assertThat(client.awaitEvent("done", T).get("ended").asText()).isEqualTo("reset_sent");
        long before = cpuTicks(gateway.pid());
        JsonNode r = awaitRecord(rec -> rec.get("original_destination").asText().equals(UPSTREAM + ":7001"));
        long ticks = cpuTicks(gateway.pid()) - before;
        System.out.printf("[e2e %s] half-close then reset: ended %s after %.0f ms, gateway CPU %d ticks meanwhile%n",
                transport(), r.get("termination").asText(), r.get("duration_ms").asDouble(), ticks);
        assertThat(r.get("termination").asText()).isIn("client_reset", "idle_timeout");
        assertThat(ticks).as("gateway CPU ticks (1/100 s) while the reset flow was open: no busy loop")
                .isLessThan(50);
    }

    /** utime + stime of a process, in clock ticks (1/100 s), from /proc/PID/stat. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** curl from the agent with a pinned source port so the flow record can be found by it. */
    ExecResult curl(int localPort, String url) {
        return topology.agent().exec(T, "curl", "-sS", "--max-time", "10", "--local-port", Integer.toString(localPort),
                "-w", "\n%{http_code} %{size_request} %{size_header} %{size_download} %{time_total}", url);
    }

    /** The -w fields: http_code, size_request, size_header, size_download, time_total. */
    static String[] writeOut(ExecResult curl) {
        String[] lines = curl.stdout().split("\n");
        return lines[lines.length - 1].trim().split(" ");
    }

    /**
     * A denied plaintext HTTP request: HTTP is visible, so the gateway answers 403 itself (DESIGN.md §3 step 6c),
     * with a JSON body naming the rule and telling the agent not to retry elsewhere, quickly.
     */
    static void assertForbidden(ExecResult curl, String rule) {
        assertThat(curl.exitCode()).as(curl.describe()).isZero();
        String[] w = writeOut(curl);
        assertThat(w[0]).as(curl.describe()).isEqualTo("403");
        String body = curl.stdout().substring(0, curl.stdout().lastIndexOf('\n'));
        assertThat(body).contains("\"error\":\"policy_denied\"").contains("\"rule\":\"" + rule + "\"")
                .contains("do not retry through other routes");
        assertThat(Double.parseDouble(w[4])).as("the agent has its answer within 100 ms").isLessThan(0.1);
    }

    static void assertReset(ExecResult curl) {
        // The kernel completes the handshake for TPROXY, then the gateway resets. curl says 55/56 (send/recv
        // failure, "reset"), 35 when the reset ends its TLS handshake ("SSL_connect: Connection reset"), or 7 when
        // the RST lands while it still checks the connect ("Failed to connect"). The flow record and the silent
        // upstream show it was the gateway's reset.
        assertThat(curl.exitCode()).as(curl.describe()).isIn(7, 35, 55, 56);
        assertThat(curl.stderr()).as(curl.describe()).containsAnyOf("reset", "Failed to connect");
        double seconds = Double.parseDouble(writeOut(curl)[4]);
        assertThat(seconds).as("the agent sees the reset within 100 ms").isLessThan(0.1);
    }

    JsonNode record(int sourcePort) {
        return awaitRecord(r -> r.get("source").asText().equals("198.18.1.2:" + sourcePort));
    }

    JsonNode awaitRecord(java.util.function.Predicate<JsonNode> match) {
        return Await.until(T, "a flow record", () -> gateway.flowRecords().stream().filter(match).findFirst()
                .map(Optional::of).orElse(Optional.empty()), () -> gateway.describe());
    }
}
