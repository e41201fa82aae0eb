package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.enforcement.audit.AuditEntry;
import io.clawgress.enforcement.audit.AuditKey;
import io.clawgress.enforcement.audit.AuditQuery;
import io.clawgress.enforcement.audit.AuditReader;
import io.clawgress.enforcement.audit.AuditVerifier;
import io.clawgress.testing.netns.ExecResult;
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
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The audit log end to end (issue 6, first part): a real daemon with TPROXY and an {@code audit} section, allowed
 * and denied connections, SIGTERM; then the chain verifies with the node's public key, and it holds exactly one
 * record per decision, the same ones (flow ids, verdicts, byte counts) the flow log holds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final String UPSTREAM = "198.18.2.2";
    private static final int ALLOWED = 120;
    private static final int DENIED = 40;

    private Topology topology;
    private Path dir;
    private Path auditDir;
    private Path stateDir;
    private GatewayProcess gateway;

    @BeforeAll
    void start() throws IOException {
        Privileges.requireOrSkip("ip", "iptables", "curl");
        dir = Files.createTempDirectory("clawgress-e2e-audit-");
        topology = Topology.create(dir);
        Peer.spawn(topology.upstream(), "http-80", topology.workDir(), "http-server", "--bind", UPSTREAM, "--port",
                "80").awaitEvent("ready", T);
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");
        auditDir = dir.resolve("audit");
        stateDir = dir.resolve("state");
        Path flows = dir.resolve("flows.jsonl");
        SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
        Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, SignedPolicy.agentPolicy("""
                  - {id: web, action: allow, destinations: [{cidr: %s/32, ports: [80]}]}
                """.formatted(UPSTREAM))));
        gateway = topology.startGateway("""
                listener: {port: 15001, transport: epoll}
                timeouts: {upstream_connect: 2s, idle: 30s}
                flow_log: {path: %s}
                audit: {dir: %s, segment_max_bytes: 16384, checkpoint_every: 25}
                """.formatted(flows, auditDir) + signed.configSection(stateDir, bundle, null), flows);
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
    void everyDecisionIsOneChainedRecordThatVerifiesAfterAGracefulStop() throws Exception {
        for (int i = 0; i < ALLOWED + DENIED; i++) {
            String url = "http://" + UPSTREAM + (i % 4 == 3 ? ":8080/" : "/") + "?n=" + i;
            ExecResult r = topology.agent().exec(T, "curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w",
                    "%{http_code}", url);
            assertThat(r.stdout()).as(r.describe()).isEqualTo(i % 4 == 3 ? "403" : "200");
        }
        gateway.awaitFlowRecords(ALLOWED + DENIED, T);
        assertThat(gateway.stop()).as("SIGTERM: exit 0").isZero();

        PublicKeyFile key = new PublicKeyFile(stateDir.resolve(AuditKey.DIRECTORY).resolve(AuditKey.PUBLIC_FILE));
        AuditVerifier.Result verified = new AuditVerifier(List.of(key.read())).verify(auditDir);
        System.out.printf("[e2e audit] %s%n", verified);
        assertThat(verified.ok()).as(verified.toString()).isTrue();
        assertThat(verified.segments()).as("small segments: the chain crossed rotations").isGreaterThan(1);
        assertThat(verified.checkpoints()).isPositive();

        Map<String, JsonNode> audited;
        try (Stream<AuditEntry> s = new AuditReader(auditDir).read(AuditQuery.ALL)) {
            audited = s.map(AuditEntry::record).filter(r -> r.path("type").asText().equals("flow"))
                    .collect(Collectors.toMap(r -> r.get("flow_id").asText(), Function.identity()));
        }
        List<JsonNode> logged = gateway.flowRecords().stream().filter(r -> r.path("type").asText().equals("flow"))
                .toList();
        assertThat(audited).as("exactly one audit record per connection").hasSize(ALLOWED + DENIED);
        assertThat(logged).hasSize(ALLOWED + DENIED);
        for (JsonNode f : logged) {
            JsonNode a = audited.get(f.get("flow_id").asText());
            assertThat(a).as("audit record of " + f.get("flow_id")).isNotNull();
            for (String field : List.of("verdict", "rule", "termination", "bytes_up", "bytes_down", "source")) {
                assertThat(a.get(field)).as(field).isEqualTo(f.get(field));
            }
        }
        assertThat(audited.values().stream().filter(r -> r.get("verdict").asText().equals("deny")).count())
                .isEqualTo(DENIED);
    }

    /** The node's audit public key, as an operator copies it to where verification runs. */
    private record PublicKeyFile(Path file) {
        java.security.PublicKey read() throws Exception {
            return AuditKey.readPublicKeyPem(Files.readString(file));
        }
    }
}
