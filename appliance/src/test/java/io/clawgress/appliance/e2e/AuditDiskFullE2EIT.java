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
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acceptance 4 of issue 6: the audit directory is a small tmpfs that fills up (a filler file takes every free byte)
 * while 200 connections a second go through the real daemon, then frees up again.
 * <ul>
 *   <li>{@code drop_and_gap}: every connection is decided and answered as before; once writing works again the
 *   writer announces what it could not keep in a {@code gap} record, and records + dropped account for every
 *   decision; the chain verifies.</li>
 *   <li>{@code refuse_new_flows}: while the log cannot take records, new connections are reset as
 *   {@code audit_unavailable}; once it can, they are admitted again.</li>
 * </ul>
 * The tmpfs is mounted before the daemon starts, so the daemon's mount namespace shares it; it is filled and freed
 * from the test. (A read-only remount is not used: a tmpfs with a file open for writing refuses it, EBUSY.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditDiskFullE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final String UPSTREAM = "198.18.2.2";
    private static final int CONNECTIONS = 2400;

    private Topology topology;
    private Path dir;
    private Path fs;
    private Path stateDir;
    private SignedPolicy signed;
    private Path bundle;

    @BeforeAll
    void start() throws Exception {
        Privileges.requireOrSkip("ip", "iptables", "mount", "umount");
        dir = Files.createTempDirectory("clawgress-e2e-audit-full-");
        topology = Topology.create(dir);
        Peer.spawn(topology.upstream(), "origin-80", topology.workDir(), "origin-server", "--bind", UPSTREAM,
                "--port", "80").awaitEvent("ready", T);
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");
        fs = Files.createDirectories(dir.resolve("auditfs"));
        run("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "clawgress-e2e-audit", fs.toString());
        stateDir = dir.resolve("state");
        signed = new SignedPolicy(dir.resolve("policy"));
        bundle = signed.write("bundle.tar.gz", signed.bundle(1, SignedPolicy.agentPolicy("""
                  - {id: web, action: allow, destinations: [{cidr: %s/32, ports: [80]}]}
                """.formatted(UPSTREAM))));
    }

    @AfterAll
    void stop() throws Exception {
        if (topology != null) {
            topology.close();
            if (fs != null) {
                run("umount", fs.toString());
            }
            if (!Boolean.getBoolean("clawgress.keepE2eDirs")) {
                DataPathE2E.deleteTree(topology.workDir());
            }
        }
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + ": " + new String(p.getInputStream().readAllBytes()));
        }
    }

    private GatewayProcess gateway(Path auditDir, String overflow) {
        return topology.startGateway("""
                listener: {port: 15001, transport: epoll}
                timeouts: {upstream_connect: 2s, idle: 30s}
                audit: {dir: %s, queue_capacity: 256, checkpoint_every: 100, on_overflow: %s}
                """.formatted(auditDir, overflow) + signed.configSection(stateDir, bundle, null), auditDir);
    }

    /**
     * {@link #CONNECTIONS} connections at 200/s (path {@code /<name>}); 3 s in, the tmpfs is filled until the writer
     * reports the failure, 3 s later freed again. Returns the connections once the load ended.
     */
    private List<LoadRun.Conn> loadThroughAFullDisk(GatewayProcess gateway, String name) throws Exception {
        LoadRun run = LoadRun.start(topology, "load-" + name, "--target", UPSTREAM + ":80", "--target",
                UPSTREAM + ":8080", "--source", "198.18.1.2", "--rate", "200", "--connections",
                Integer.toString(CONNECTIONS), "--concurrency", "2000", "--body-bytes", "0-500", "--path", "/" + name,
                "--timeout-seconds", "10");
        run.process.awaitEvent("conn", T);
        Thread.sleep(3000);
        Path filler = fill();
        Await.until(T, "the writer noticing the full disk", () -> gateway.stderrText().contains("No space left"),
                gateway::describe);
        Thread.sleep(3000);
        Files.delete(filler);
        return run.await(Duration.ofMinutes(2));
    }

    /** Takes every free byte of the tmpfs (dd ends with ENOSPC, as intended). */
    private Path fill() throws Exception {
        Path filler = fs.resolve("filler");
        Process p = new ProcessBuilder("dd", "if=/dev/zero", "of=" + filler, "bs=64k").redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        assertThat(out).as("dd filled the file system").contains("No space left on device");
        return filler;
    }

    private AuditVerifier.Result verify(Path auditDir) throws Exception {
        return LoadRun.verifyAudit(stateDir, auditDir);
    }

    @Test
    @Order(1)
    void dropAndGapKeepsDecidingAndRecordsTheGapOnceWritingWorksAgain() throws Exception {
        Path auditDir = fs.resolve("gap");
        GatewayProcess gateway = gateway(auditDir, "drop_and_gap");
        List<LoadRun.Conn> conns = loadThroughAFullDisk(gateway, "gap");

        assertThat(LoadRun.count(conns, c -> c.target().endsWith(":80") + "/" + c.status() + "/" + c.ended()))
                .as("decisions continue unchanged while nothing can be written")
                .containsOnlyKeys("true/200/eof", "false/403/eof");
        Await.until(T, "writing again", () -> gateway.stderrText().contains("audit: writing to"), gateway::describe);
        assertThat(gateway.stop()).isZero();

        List<JsonNode> all = gateway.flowRecords();
        List<JsonNode> gaps = all.stream().filter(r -> r.get("type").asText().equals("gap")).toList();
        long dropped = gaps.stream().mapToLong(g -> g.get("dropped").asLong()).sum();
        long decisions = all.stream().filter(r -> r.get("type").asText().equals("flow")).count()
                + gateway.requestRecords().size();
        long answered200 = conns.stream().filter(c -> c.status() == 200).count();
        System.out.printf("[e2e audit full] drop_and_gap: %d connections; %d flow+request records written, gaps %s;"
                + " %s%n", conns.size(), decisions, gaps, verify(auditDir));
        assertThat(gaps).as("the loss is announced in the chain").isNotEmpty()
                .allSatisfy(g -> assertThat(g.get("dropped").asLong()).isPositive());
        assertThat(decisions + dropped).as("written + announced as dropped = every decision (a flow record per"
                + " connection, a request record per forwarded request)").isEqualTo(CONNECTIONS + answered200);
        AuditVerifier.Result verified = verify(auditDir);
        assertThat(verified.ok()).as(verified.toString()).isTrue();
        assertThat(verified.finding()).isNull();
    }

    @Test
    @Order(2)
    void refuseNewFlowsResetsNewConnectionsAsAuditUnavailableWhileTheLogCannotTakeRecords() throws Exception {
        Path auditDir = fs.resolve("refuse");
        GatewayProcess gateway = gateway(auditDir, "refuse_new_flows");
        List<LoadRun.Conn> conns = loadThroughAFullDisk(gateway, "refuse");
        Await.until(T, "writing again", () -> gateway.stderrText().contains("audit: writing to"), gateway::describe);
        assertThat(gateway.stop()).isZero();

        List<LoadRun.Conn> refused = conns.stream().filter(c -> !c.answered()).toList();
        List<JsonNode> unavailable = gateway.flowRecords().stream()
                .filter(r -> r.path("termination").asText().equals("audit_unavailable")).toList();
        System.out.printf("[e2e audit full] refuse_new_flows: %d connections, %d refused (%s), %d recorded"
                + " audit_unavailable%n", conns.size(), refused.size(), LoadRun.count(refused, LoadRun.Conn::ended),
                unavailable.size());
        assertThat(refused).as("new connections refused while the disk was full").isNotEmpty()
                .allSatisfy(c -> assertThat(c.ended()).isEqualTo("reset"));
        assertThat(conns.subList(0, 200)).as("before the disk filled: admitted")
                .allSatisfy(c -> assertThat(c.answered()).as(c.toString()).isTrue());
        assertThat(conns.subList(conns.size() - 200, conns.size())).as("after it was freed: admitted again")
                .allSatisfy(c -> assertThat(c.answered()).as(c.toString()).isTrue());
        assertThat(unavailable).as("refusals that fitted in the queue are recorded").isNotEmpty()
                .allSatisfy(r -> assertThat(r.get("verdict").asText()).isEqualTo("deny"));
        AuditVerifier.Result verified = verify(auditDir);
        assertThat(verified.ok()).as(verified.toString()).isTrue();
    }
}
