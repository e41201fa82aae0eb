package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.enforcement.audit.AuditVerifier;
import io.clawgress.testing.netns.Await;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.Topology;
import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acceptance 5 of issue 6, through the real daemon and real TPROXY with traffic running: {@code kill -9} in the
 * middle of a load, restart, more load, and the audit chain continues from the last complete record and verifies
 * end to end; then SIGTERM in the middle of a load, and every connection a client saw answered has its record
 * (the count of answered exchanges in the log equals the clients' count), nothing dropped.
 *
 * <p>Each load names its phase in the request path ({@code /crash}, {@code /after}, {@code /term}), so the records
 * of one phase are told from the others'; within a phase they are joined to connections by {@code n=}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditCrashE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final String UPSTREAM = "198.18.2.2";

    private Topology topology;
    private Path auditDir;
    private Path stateDir;
    private String config;
    private GatewayProcess gateway;

    @BeforeAll
    void start() throws IOException {
        Privileges.requireOrSkip("ip", "iptables");
        Path dir = Files.createTempDirectory("clawgress-e2e-audit-crash-");
        topology = Topology.create(dir);
        Peer.spawn(topology.upstream(), "origin-80", topology.workDir(), "origin-server", "--bind", UPSTREAM,
                "--port", "80").awaitEvent("ready", T);
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");
        auditDir = dir.resolve("audit");
        stateDir = dir.resolve("state");
        SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
        Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, SignedPolicy.agentPolicy("""
                  - {id: web, action: allow, destinations: [{cidr: %s/32, ports: [80]}]}
                """.formatted(UPSTREAM))));
        config = """
                listener: {port: 15001, transport: epoll}
                timeouts: {upstream_connect: 2s, idle: 30s}
                audit: {dir: %s, segment_max_bytes: 262144, checkpoint_every: 200}
                """.formatted(auditDir) + signed.configSection(stateDir, bundle, null);
        gateway = topology.startGateway(config, auditDir);
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

    private LoadRun load(String name, String path, int connections) {
        return LoadRun.start(topology, name, "--target", UPSTREAM + ":80", "--target", UPSTREAM + ":8080",
                "--source", "198.18.1.2", "--rate", "300", "--connections", Integer.toString(connections),
                "--concurrency", "2000", "--body-bytes", "0-1000", "--path", path, "--timeout-seconds", "3");
    }

    private AuditVerifier.Result verify() throws Exception {
        return LoadRun.verifyAudit(stateDir, auditDir);
    }

    private List<JsonNode> phase(List<JsonNode> records, String path) {
        return records.stream().filter(r -> r.path("http_target").asText("").startsWith(path + "?")).toList();
    }

    @Test
    @Order(1)
    void afterKill9UnderLoadTheChainContinuesFromTheLastCompleteRecordAndVerifies() throws Exception {
        LoadRun crash = load("load-crash", "/crash", 3000);
        crash.process.awaitEvent("conn", T);
        Thread.sleep(3000);
        long pid = gateway.pid();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL
        gateway.process().waitForExit(T);
        List<LoadRun.Conn> crashConns = crash.await(Duration.ofMinutes(2));
        long answeredBefore = crashConns.stream().filter(LoadRun.Conn::answered).count();

        AuditVerifier.Result afterCrash = verify();
        System.out.printf("[e2e audit crash] kill -9 of pid %d after %d answered connections; the log as the crash"
                + " left it: %s%n", pid, answeredBefore, afterCrash);
        assertThat(afterCrash.ok()).as("a crash leaves at most a torn last line: " + afterCrash).isTrue();
        assertThat(answeredBefore).as("the kill came in the middle of the load").isBetween(100L, 2900L);

        gateway = topology.startGateway(config, auditDir);
        assertThat(gateway.stderrText()).as("the restart continues the chain")
                .contains("audit: continuing the chain after seq " + afterCrash.lastSeq());
        List<LoadRun.Conn> after = load("load-after", "/after", 600).await(Duration.ofMinutes(2));
        assertThat(after).allSatisfy(c -> assertThat(c.answered()).as(c.toString()).isTrue());
        Await.until(Duration.ofMinutes(1), "600 records of the load after the restart",
                () -> phase(gateway.flowRecords(), "/after").size() >= 600, gateway::describe);
        List<JsonNode> afterRecords = phase(gateway.flowRecords(), "/after");
        assertThat(afterRecords).hasSize(600);
        assertThat(afterRecords.stream().mapToLong(r -> r.get("seq").asLong()).min().orElseThrow())
                .as("new records follow the last complete record of before the crash")
                .isGreaterThan(afterCrash.lastSeq());

        AuditVerifier.Result whole = verify();
        System.out.printf("[e2e audit crash] after the restart and 600 more connections: %s%n", whole);
        assertThat(whole.ok()).as(whole.toString()).isTrue();
        assertThat(whole.firstSeq()).isOne();
        assertThat(whole.lastSeq()).isGreaterThan(afterCrash.lastSeq());
        List<JsonNode> crashRecords = phase(gateway.flowRecords(), "/crash");
        System.out.printf("[e2e audit crash] records of the killed phase: %d (clients answered: %d); lost with the"
                + " crash: at most what was queued%n", crashRecords.size(), answeredBefore);
    }

    @Test
    @Order(2)
    void sigtermUnderLoadLosesNoRecord() throws Exception {
        LoadRun term = load("load-term", "/term", 3000);
        term.process.awaitEvent("conn", T);
        Thread.sleep(4000);
        assertThat(gateway.stop()).as("SIGTERM under load: exit 0").isZero();
        List<LoadRun.Conn> conns = term.await(Duration.ofMinutes(2));

        List<JsonNode> records = phase(gateway.flowRecords(), "/term");
        Map<Integer, JsonNode> byIndex = LoadRun.byIndex(records);
        List<LoadRun.Conn> answered = conns.stream().filter(LoadRun.Conn::answered).toList();
        Map<String, Long> endings = LoadRun.count(records, r -> r.get("termination").asText());
        System.out.printf("[e2e audit sigterm] %d connections, %d answered by then; %d records: %s%n%s%n",
                conns.size(), answered.size(), records.size(), endings,
                gateway.stderrText().lines().filter(l -> l.contains("audit log:") || l.contains("stopped"))
                        .collect(Collectors.joining("\n")));
        assertThat(answered.size()).as("SIGTERM came in the middle of the load").isBetween(100, 2900);
        for (LoadRun.Conn c : answered) {
            JsonNode r = byIndex.get(c.i());
            assertThat(r).as("the record of answered connection " + c).isNotNull();
            assertThat(r.get("termination").asText()).isEqualTo(c.status() == 200 ? "completed" : "policy_denied");
            assertThat(r.get("bytes_down").asLong()).isEqualTo(c.received());
        }
        Set<String> exchanged = Set.of("completed", "policy_denied");
        assertThat(records.stream().filter(r -> exchanged.contains(r.get("termination").asText())).count())
                .as("answered exchanges in the log = the clients' count").isEqualTo(answered.size());
        List<Integer> unknown = new ArrayList<>(byIndex.keySet());
        unknown.removeIf(i -> i >= 0 && i < conns.size());
        assertThat(unknown).as("no record of a connection the client did not make").isEmpty();
        assertThat(gateway.stderrText()).containsPattern("audit log: \\d+ record\\(s\\) written, 0 dropped");

        AuditVerifier.Result verified = verify();
        System.out.printf("[e2e audit sigterm] %s%n", verified);
        assertThat(verified.ok()).as(verified.toString()).isTrue();
        assertThat(verified.finding()).as("a graceful stop leaves no torn line").isNull();
    }
}
