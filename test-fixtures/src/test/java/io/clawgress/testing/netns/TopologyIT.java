package io.clawgress.testing.netns;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The harness itself, with real namespaces (root). All traffic stays inside the namespaces created here. */
class TopologyIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path work;

    @BeforeEach
    void privileges() {
        Privileges.requireOrSkip("ip", "curl", "sysctl", "sh");
    }

    @Test
    void buildsThreeNamespacesAndRoutesTheAgentThroughTheGateway() throws IOException {
        Topology t = Topology.create(work);
        List<String> names;
        ManagedProcess http;
        try (t) {
            names = List.of(t.agent().name(), t.gateway().name(), t.upstream().name());
            assertThat(names).allMatch(Netns::exists).allMatch(n -> n.startsWith(t.id() + "-"));
            for (String iface : List.of(t.agentInterface(), t.gatewayAgentInterface(),
                    t.gatewayUpstreamInterface(), t.upstreamInterface())) {
                assertThat(iface.length()).isLessThanOrEqualTo(15);
            }
            // Each namespace has only lo and its veth(s): no path to the host namespace.
            assertThat(linkNames(t.agent())).containsExactlyInAnyOrder("lo", t.agentInterface());
            assertThat(linkNames(t.gateway()))
                    .containsExactlyInAnyOrder("lo", t.gatewayAgentInterface(), t.gatewayUpstreamInterface());
            assertThat(linkNames(t.upstream())).containsExactlyInAnyOrder("lo", t.upstreamInterface());

            http = Peer.spawn(t.upstream(), "http", work, "http-server", "--bind", "198.18.2.2", "--port", "0");
            int port = http.awaitEvent("ready", WAIT).get("port").asInt();

            ExecResult direct = t.gateway().execOk(WAIT, "curl", "-sS", "--max-time", "10",
                    "http://198.18.2.2:" + port + "/direct");
            assertThat(direct.stdout()).isEqualTo("hello from upstream 198.18.2.2:" + port + "\n");
            ExecResult routed = t.agent().execOk(WAIT, "curl", "-sS", "--max-time", "10",
                    "http://198.18.2.2:" + port + "/routed");
            assertThat(routed.stdout()).isEqualTo(direct.stdout());

            List<JsonNode> accepts = http.awaitEvents("accept", 2, WAIT);
            assertThat(accepts.get(0).get("remote").asText()).startsWith(t.gatewayUpstreamSideAddress()
                    .getHostAddress() + ":");
            assertThat(accepts.get(1).get("remote").asText()).startsWith(t.agentAddress().getHostAddress() + ":");
            assertThat(http.events("request")).extracting(r -> r.get("path").asText())
                    .containsExactly("/direct", "/routed");

            // ip netns exec execs the target: the pid we hold is the JVM itself, and it lives in the namespace.
            assertThat(Files.readString(Path.of("/proc", Long.toString(http.pid()), "comm")).trim())
                    .isEqualTo("java");
            assertThat(t.upstream().pids()).contains(http.pid());
            assertThat(http.peakRssKib()).isPositive();
        }
        assertThat(names).noneMatch(Netns::exists);
        assertThat(http.isAlive()).isFalse();
    }

    private static List<String> linkNames(Netns ns) {
        return ns.execOk(WAIT, "ip", "-o", "link").stdout().lines()
                .map(l -> l.split(":\\s+")[1].replaceFirst("@.*", ""))
                .toList();
    }

    @Test
    void extraUpstreamAddressesAreReachableFromTheAgent() {
        try (Topology t = Topology.create(work)) {
            t.addUpstreamAddress("198.18.2.3");
            t.addUpstreamAddress("203.0.113.7");
            assertThatThrownBy(() -> t.addUpstreamAddress("127.0.0.2")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> t.addUpstreamAddress("example.com"))
                    .isInstanceOf(IllegalArgumentException.class);
            ManagedProcess http = Peer.spawn(t.upstream(), "http", work, "http-server", "--bind", "0.0.0.0",
                    "--port", "0");
            int port = http.awaitEvent("ready", WAIT).get("port").asInt();
            for (String a : List.of("198.18.2.2", "198.18.2.3", "203.0.113.7")) {
                ExecResult r = t.agent().execOk(WAIT, "curl", "-sS", "--max-time", "10",
                        "http://" + a + ":" + port + "/");
                assertThat(r.stdout()).isEqualTo("hello from upstream " + a + ":" + port + "\n");
            }
        }
    }

    @Test
    void bulkTransferWithHalfCloseAcrossTheNamespaces() {
        try (Topology t = Topology.create(work)) {
            ManagedProcess server = Peer.spawn(t.upstream(), "bulk-server", work, "bulk-server",
                    "--bind", "198.18.2.2", "--port", "0", "--bytes", "16M", "--seed", "5",
                    "--after-eof-bytes", "1M");
            int port = server.awaitEvent("ready", WAIT).get("port").asInt();
            ManagedProcess client = Peer.spawn(t.agent(), "bulk-client", work, "bulk-client",
                    "--connect", "198.18.2.2:" + port, "--bytes", "16M", "--seed", "6", "--timeout-seconds", "60");
            assertThat(client.waitForExit(Duration.ofSeconds(90))).as(client.describe()).isZero();
            JsonNode c = client.awaitEvent("done", WAIT);
            JsonNode s = server.awaitEvent("done", WAIT);
            assertThat(s.get("received_sha256").asText()).isEqualTo(c.get("sent_sha256").asText());
            assertThat(c.get("received_sha256").asText()).isEqualTo(s.get("sent_sha256").asText())
                    .isEqualTo(Peer.patternSha256(5, 16L << 20));
            assertThat(c.get("received_after_shutdown_bytes").asLong()).isGreaterThanOrEqualTo(1L << 20);
        }
    }

    @Test
    void execInsideANamespaceIsKilledOnTimeout() {
        try (Topology t = Topology.create(work)) {
            ExecResult r = t.agent().exec(Duration.ofMillis(300), "sleep", "30");
            assertThat(r.timedOut()).isTrue();
            assertThat(r.stderr()).contains("after its timeout of 300 ms");
            assertThat(t.agent().pids()).isEmpty();
        }
    }

    @Test
    void closeKillsStrayProcessesAndIsIdempotent() {
        Topology t = Topology.create(work);
        // A background process nobody tracks: only the namespace sweep can find it.
        t.gateway().execOk(WAIT, "sh", "-c", "sleep 300 >/dev/null 2>&1 &");
        List<Long> strays = t.gateway().pids();
        assertThat(strays).hasSize(1);
        t.close();
        t.close();
        assertThat(ProcessHandle.of(strays.get(0)).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(t.gateway().exists()).isFalse();
    }

    @Test
    void cleanupStaleRemovesNamespacesOfDeadRunsOnly() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long deadPid = gone.pid();
        long livePid = ProcessHandle.current().parent().orElseThrow().pid();
        String stale = "cg" + deadPid + "n0-agent";
        String alive = "cg" + livePid + "n99-gw";
        List<String> cleanup = new ArrayList<>(List.of(stale, alive));
        try {
            Exec.runOk(List.of("ip", "netns", "add", stale), WAIT);
            Exec.runOk(List.of("ip", "netns", "add", alive), WAIT);
            Exec.runOk(List.of("ip", "netns", "exec", stale, "sh", "-c", "sleep 300 >/dev/null 2>&1 &"), WAIT);
            List<Long> strays = Netns.adopt(stale).pids();
            assertThat(strays).hasSize(1);

            Topology.cleanupStale();

            assertThat(Netns.exists(stale)).isFalse();
            assertThat(ProcessHandle.of(strays.get(0)).filter(ProcessHandle::isAlive)).isEmpty();
            assertThat(Netns.exists(alive)).as("namespace of a live JVM must be left alone").isTrue();
        } finally {
            for (String n : cleanup) {
                if (Netns.exists(n)) {
                    Exec.run(List.of("ip", "netns", "del", n), WAIT, null);
                }
            }
        }
    }

    @Test
    void gatewayProcessWaitsForReadyAndReadsFlowRecords() throws IOException {
        try (Topology t = Topology.create(work)) {
            Path flowLog = work.resolve("flows.jsonl");
            // A shell wrapper that does not exec java: pid() must still find the daemon's JVM.
            List<String> daemon = new ArrayList<>(List.of("sh", "-c", "\"$@\"; echo wrapper-exited >&2", "fake"));
            daemon.addAll(JavaCommand.of(FakeDaemon.class.getName(), List.of()));
            GatewayProcess g = t.startGateway(daemon, "mode: ready\nflow_log:\n  path: " + flowLog + "\n", flowLog);

            assertThat(g.configFile()).isEqualTo(work.resolve("clawgress.yaml"));
            assertThat(g.pid()).isNotEqualTo(g.process().pid());
            assertThat(Files.readString(Path.of("/proc", Long.toString(g.pid()), "comm")).trim()).isEqualTo("java");
            assertThat(t.gateway().pids()).contains(g.pid());
            assertThat(g.rssKib()).isPositive();
            assertThat(g.peakRssKib()).isGreaterThanOrEqualTo(g.rssKib());

            List<JsonNode> records = g.awaitFlowRecords(2, WAIT);
            assertThat(records).extracting(r -> r.get("termination").asText())
                    .containsExactly("completed", "policy_denied");
            assertThatThrownBy(() -> g.awaitFlowRecords(3, Duration.ofMillis(200)))
                    .hasMessageContaining("3 flow record(s)")
                    .hasMessageContaining("policy_denied")
                    .hasMessageContaining("clawgressd ready");

            g.stop();
            assertThat(g.isAlive()).isFalse();
            assertThat(g.stderrText()).contains("draining");
        }
    }

    @Test
    void gatewayThatExitsBeforeReadyFailsWithItsStderr() {
        try (Topology t = Topology.create(work)) {
            List<String> daemon = JavaCommand.of(FakeDaemon.class.getName(), List.of());
            assertThatThrownBy(() -> t.startGateway(daemon, "mode: fail\n", null))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("clawgressd did not become ready")
                    .hasMessageContaining("config error: mode fail requested by the test")
                    .hasMessageContaining("exited with 3");
        }
    }
}
