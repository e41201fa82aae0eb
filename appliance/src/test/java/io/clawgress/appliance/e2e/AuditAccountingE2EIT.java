package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.enforcement.audit.AuditVerifier;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.Topology;
import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acceptance 2 of issue 6: 10,000 mixed allowed and denied connections through the real daemon and real TPROXY
 * give exactly 10,000 flow records in the audit log (one per connection, distinct flow ids), and one request record
 * per forwarded request, whose byte counts equal what each client sent and received.
 *
 * <p>Half the connections go to {@code :80} (allowed: relayed to an origin server, the request decided by the L7
 * gate), half to {@code :8080} (no rule: answered 403 by the gateway at connection time). Each client writes a
 * POST with a body of 0..2000 bytes and reads until EOF; {@code load-client} reports bytes per connection, and the
 * records are joined to the connections by the {@code n=} in the request target (the peeked head names it). The
 * per-process limit of 20,000 open files bounds concurrency, not this count: connections are short.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditAccountingE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final String UPSTREAM = "198.18.2.2";
    private static final int CONNECTIONS = 10_000;
    private static final List<String> SOURCES = List.of("198.18.1.2", "198.18.1.3", "198.18.1.4", "198.18.1.5");

    private Topology topology;
    private Path auditDir;
    private Path stateDir;
    private GatewayProcess gateway;

    @BeforeAll
    void start() throws IOException {
        Privileges.requireOrSkip("ip", "iptables");
        Path dir = Files.createTempDirectory("clawgress-e2e-accounting-");
        topology = Topology.create(dir);
        for (String s : SOURCES.subList(1, SOURCES.size())) {
            topology.addAgentAddress(s);
        }
        Peer.spawn(topology.upstream(), "origin-80", topology.workDir(), "origin-server", "--bind", UPSTREAM,
                "--port", "80").awaitEvent("ready", T);
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");
        auditDir = dir.resolve("audit");
        stateDir = dir.resolve("state");
        SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
        Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, SignedPolicy.agentPolicy("""
                  - {id: web, action: allow, destinations: [{cidr: %s/32, ports: [80]}]}
                """.formatted(UPSTREAM))));
        gateway = topology.startGateway("""
                listener: {port: 15001, transport: epoll}
                timeouts: {upstream_connect: 2s, idle: 30s}
                audit: {dir: %s, segment_max_bytes: 1048576}
                """.formatted(auditDir) + signed.configSection(stateDir, bundle, null), auditDir);
    }

    @AfterAll
    void stop() throws IOException {
        if (topology != null) {
            topology.close();
            if (!Boolean.getBoolean("clawgress.keepE2eDirs")) {
                DataPathE2E.deleteTree(topology.workDir());
            }
        }
    }

    @Test
    void tenThousandMixedConnectionsGiveExactlyOneRecordEachWithTheClientsByteCounts() throws Exception {
        List<String> args = new ArrayList<>(List.of("--target", UPSTREAM + ":80", "--target", UPSTREAM + ":8080",
                "--rate", "125", "--connections", Integer.toString(CONNECTIONS), "--concurrency", "2000",
                "--body-bytes", "0-2000", "--timeout-seconds", "30"));
        args.addAll(LoadRun.sources(SOURCES));
        List<LoadRun.Conn> conns = LoadRun.start(topology, "load", args.toArray(String[]::new))
                .await(Duration.ofMinutes(3));
        assertThat(LoadRun.count(conns, c -> c.target().endsWith(":80") + "/" + c.status() + "/" + c.ended()))
                .as("every connection answered: 200 through the gateway on :80, 403 from it on :8080")
                .containsOnlyKeys("true/200/eof", "false/403/eof");

        List<JsonNode> flows = gateway.awaitFlowRecords(CONNECTIONS, Duration.ofMinutes(1));
        Thread.sleep(1000); // nothing more may come
        flows = gateway.flowRecords();
        List<JsonNode> requests = gateway.requestRecords();
        System.out.printf("[e2e accounting] %d connections -> %d flow records, %d request records%n",
                conns.size(), flows.size(), requests.size());
        assertThat(flows).as("exactly one flow record per connection, and no gap").hasSize(CONNECTIONS)
                .allSatisfy(r -> assertThat(r.get("type").asText()).isEqualTo("flow"));
        Set<String> ids = new HashSet<>();
        flows.forEach(r -> ids.add(r.get("flow_id").asText()));
        assertThat(ids).as("distinct flow ids").hasSize(CONNECTIONS);

        Map<Integer, JsonNode> flowOf = LoadRun.byIndex(flows);
        Map<Integer, JsonNode> requestOf = LoadRun.byIndex(requests);
        assertThat(flowOf.keySet()).as("the connections' own indexes").hasSize(CONNECTIONS)
                .allSatisfy(i -> assertThat(i).isBetween(0, CONNECTIONS - 1));
        long allowed = conns.stream().filter(c -> c.status() == 200).count();
        assertThat(requestOf).as("one request record per forwarded request").hasSize((int) allowed);
        for (LoadRun.Conn c : conns) {
            JsonNode f = flowOf.get(c.i());
            String what = "connection " + c + "\nflow record " + f;
            assertThat(f.get("source").asText()).as(what).isEqualTo(c.local());
            assertThat(f.get("bytes_up").asLong()).as("bytes up: " + what).isEqualTo(c.sent());
            assertThat(f.get("bytes_down").asLong()).as("bytes down: " + what).isEqualTo(c.received());
            if (c.status() == 200) {
                assertThat(f.get("verdict").asText()).as(what).isEqualTo("relay");
                assertThat(f.get("termination").asText()).as(what).isEqualTo("completed");
                JsonNode q = requestOf.get(c.i());
                assertThat(q.get("flow_id")).as("request joined to its flow: " + q).isEqualTo(f.get("flow_id"));
                assertThat(q.get("upstream_status").asInt()).isEqualTo(200);
                assertThat(q.get("bytes_up").asLong()).as("request bytes: " + q).isEqualTo(c.sent());
                assertThat(q.get("bytes_down").asLong()).as("response bytes: " + q).isEqualTo(c.received());
            } else {
                assertThat(f.get("verdict").asText()).as(what).isEqualTo("deny");
                assertThat(f.get("termination").asText()).as(what).isEqualTo("policy_denied");
            }
        }

        assertThat(gateway.stop()).as("SIGTERM: exit 0").isZero();
        AuditVerifier.Result verified = LoadRun.verifyAudit(stateDir, auditDir);
        System.out.printf("[e2e accounting] %s%n", verified);
        assertThat(verified.ok()).as(verified.toString()).isTrue();
    }
}
