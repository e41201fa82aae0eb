package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.testing.netns.Await;
import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.Topology;
import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The daemon's own limits and lifecycle, end to end: the global connection cap resets the connection over it, and
 * SIGTERM ends the flows still open after the drain timeout as {@code shutdown}, writing every record before the
 * process exits.
 */
class GatewayLifecycleE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final String UPSTREAM = "198.18.2.2";

    @Test
    void connectionLimitResetsTheConnectionOverItAndSigtermWritesTheOpenFlowsRecords(@TempDir Path dir) {
        Privileges.requireOrSkip("ip", "iptables", "curl");
        try (Topology topology = Topology.create(dir)) {
            Peer.spawn(topology.upstream(), "silent", dir, "silent-server", "--bind", UPSTREAM, "--port", "7000")
                    .awaitEvent("ready", T);
            topology.installTproxy(15001).assertOk("clawgress-tproxy up");
            Path records = dir.resolve("audit");
            SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
            Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, SignedPolicy.agentPolicy("""
                      - {id: allow-upstream, action: allow, destinations: [{cidr: %s/32, ports: [7000]}]}
                    """.formatted(UPSTREAM))));
            GatewayProcess gateway = topology.startGateway("""
                    listener: {port: 15001, transport: epoll}
                    connection_limit: 2
                    timeouts: {idle: 5m, drain: 1s}
                    peek: {server_first_ports: [7000]}
                    audit: {dir: %s}
                    """.formatted(records) + signed.configSection(dir.resolve("state"), bundle, null), records);

            List<ManagedProcess> holders = List.of(hold(topology, dir, "hold-1"), hold(topology, dir, "hold-2"));
            for (ManagedProcess h : holders) {
                h.awaitEvent("connected", T);
            }
            Await.until(T, "two relayed flows open", () -> gateway.stderrText().contains("ready")
                    && silentAccepts(dir) >= 2, gateway::describe);

            ExecResult third = topology.agent().exec(T, "curl", "-sS", "--max-time", "5", "--local-port", "42003",
                    "http://" + UPSTREAM + ":7000/");
            assertThat(third.exitCode()).as(third.describe()).isIn(7, 55, 56); // a reset; see DataPathE2E
            JsonNode limited = await(gateway, r -> r.get("source").asText().endsWith(":42003"));
            assertThat(limited.get("termination").asText()).isEqualTo("connection_limit");
            assertThat(limited.get("rule").asText()).isEqualTo("connection_limit");
            assertThat(limited.get("verdict").asText()).isEqualTo("deny");

            int exit = gateway.stop(); // SIGTERM
            assertThat(exit).as("a clean stop after SIGTERM exits 0").isZero();
            List<JsonNode> shutdown = gateway.flowRecords().stream()
                    .filter(r -> r.get("termination").asText().equals("shutdown")).toList();
            assertThat(shutdown).as("each open flow got its record before the daemon exited").hasSize(2)
                    .allSatisfy(r -> assertThat(r.get("verdict").asText()).isEqualTo("relay"));
            for (ManagedProcess h : holders) {
                assertThat(h.awaitEvent("done", T).get("ended").asText()).as("the agent is reset, not left hanging")
                        .isEqualTo("reset");
            }
            assertThat(gateway.stderrText()).containsPattern("audit log: \\d+ record\\(s\\) written, 0 dropped")
                    .contains("clawgressd stopped; flows by termination: connection_limit=1 shutdown=2");
        }
    }

    private static ManagedProcess hold(Topology topology, Path dir, String name) {
        return Peer.spawn(topology.agent(), name, dir, "hold-client", "--connect", UPSTREAM + ":7000",
                "--timeout-seconds", "60");
    }

    private static long silentAccepts(Path dir) {
        try {
            return java.nio.file.Files.readAllLines(dir.resolve("silent.stdout.log")).stream()
                    .filter(l -> l.contains("\"accept\"")).count();
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static JsonNode await(GatewayProcess gw, java.util.function.Predicate<JsonNode> match) {
        return Await.until(T, "a flow record", () -> gw.flowRecords().stream().filter(match).findFirst()
                .map(Optional::of).orElse(Optional.empty()), gw::describe);
    }
}
