package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.enforcement.audit.AuditVerifier;
import io.clawgress.testing.netns.Await;
import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.Topology;
import io.clawgress.testing.peer.Peer;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acceptance 4 of issue 7 through the real daemon, real TPROXY rules and real clients: SIGHUP under load drops no
 * connection and loses no decision, while what is reloadable takes effect (new trusted keys and bundle, a rotated
 * flow log), an invalid config keeps the daemon running and a changed listener port is reported as needing a
 * restart; SIGTERM with open long flows closes the listener at once, lets them finish within the drain timeout,
 * exits 0 with a complete audit log, or cuts them as {@code shutdown} when the timeout is shorter; and systemd's
 * notification protocol (READY, WATCHDOG, RELOADING, STOPPING) over a datagram socket the test binds.
 */
class ReloadDrainE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final String UPSTREAM = "198.18.2.2";
    private static final String AGENT = "198.18.1.2";
    private static final Pattern RELOAD_DONE = Pattern.compile("Reloader - reload of \\S+ (\\(sha256|FAILED)");

    private static String rules() {
        return SignedPolicy.agentPolicy("""
                  - {id: web, action: allow, destinations: [{cidr: %s/32, ports: [80]}]}
                """.formatted(UPSTREAM));
    }

    private static Topology topology(Path dir) {
        Topology topology = Topology.create(dir);
        Peer.spawn(topology.upstream(), "origin", dir, "origin-server", "--bind", UPSTREAM, "--port", "80")
                .awaitEvent("ready", T);
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");
        return topology;
    }

    private static int reloads(GatewayProcess gw) {
        return (int) gw.stderrText().lines().filter(l -> RELOAD_DONE.matcher(l).find()).count();
    }

    /** Sends SIGHUP and waits until the daemon logged the end of that reload. */
    private static void hup(GatewayProcess gw) {
        int before = reloads(gw);
        gw.signal("HUP");
        Await.until(T, "reload " + (before + 1) + " logged", () -> reloads(gw) > before, gw::describe);
        assertThat(gw.isAlive()).as(gw.describe()).isTrue();
    }

    private static void rewrite(GatewayProcess gw, String from, String to) throws IOException {
        String text = Files.readString(gw.configFile());
        assertThat(text).contains(from);
        Files.writeString(gw.configFile(), text.replace(from, to));
    }

    @Test
    void sighupUnderLoadDropsNothingAndAppliesWhatIsReloadable(@TempDir Path dir) throws Exception {
        Privileges.requireOrSkip("ip", "iptables");
        try (Topology topology = topology(dir)) {
            Path audit = dir.resolve("audit");
            Path state = dir.resolve("state");
            Path flows = dir.resolve("flows.jsonl");
            SignedPolicy first = new SignedPolicy(dir.resolve("policy-1"));
            Path bundle1 = first.write("bundle.tar.gz", first.bundle(1, rules()));
            SignedPolicy second = new SignedPolicy(dir.resolve("policy-2"), "e2e-signer-2");
            Path bundle2 = second.write("bundle.tar.gz", second.bundle(2, rules()));
            GatewayProcess gw = topology.startGateway("""
                    listener: {port: 15001, transport: epoll}
                    timeouts: {upstream_connect: 2s, idle: 30s}
                    audit: {dir: %s}
                    flow_log: {path: %s}
                    """.formatted(audit, flows) + first.configSection(state, bundle1, null), audit);

            int n = 750; // 50 per second for 15 s: spans every reload below
            LoadRun load = LoadRun.start(topology, "load-hup", "--target", UPSTREAM + ":80", "--source", AGENT,
                    "--rate", "50", "--connections", Integer.toString(n), "--concurrency", "500",
                    "--body-bytes", "0-1000", "--path", "/hup", "--timeout-seconds", "30");
            load.process.awaitEvent("conn", T);

            Thread.sleep(1000);
            hup(gw); // the same file: sources and CA files re-read, nothing to restart
            Files.move(flows, dir.resolve("flows.jsonl.1")); // logrotate's move; the reload reopens
            rewrite(gw, first.trustedKeys().toString(), second.trustedKeys().toString());
            rewrite(gw, bundle1.toString(), bundle2.toString());
            Thread.sleep(1000);
            hup(gw);
            Await.until(T, "revision 2 activated", () -> gw.stderrText().contains("policy activated: revision 2"),
                    gw::describe);
            rewrite(gw, "port: 15001", "port: 99999");
            Thread.sleep(1000);
            hup(gw);
            assertThat(gw.stderrText()).contains("FAILED: the config is invalid; the daemon runs on")
                    .contains("listener.port: 99999");
            rewrite(gw, "port: 99999", "port: 15002");
            Thread.sleep(1000);
            hup(gw);
            assertThat(gw.stderrText()).contains("listener.port changed (15001 -> 15002): needs a restart"
                    + " (systemctl restart clawgress)");
            gw.signal("HUP"); // two at once: serialised, both run
            hup(gw);

            List<LoadRun.Conn> conns = load.await(Duration.ofMinutes(2));
            assertThat(conns).hasSize(n);
            assertThat(conns).as("every client got its answer through five reloads")
                    .allSatisfy(c -> assertThat(c.answered() && c.status() == 200).as(c.toString()).isTrue());
            Await.until(Duration.ofMinutes(1), n + " records of the load", () -> gw.flowRecords().stream()
                    .filter(r -> r.path("http_target").asText("").startsWith("/hup?")).count() >= n, gw::describe);
            List<JsonNode> records = gw.flowRecords().stream()
                    .filter(r -> r.path("http_target").asText("").startsWith("/hup?")).toList();
            Map<Integer, JsonNode> byIndex = LoadRun.byIndex(records);
            assertThat(byIndex.keySet()).as("one record per connection, none lost").hasSize(n)
                    .allSatisfy(i -> assertThat(i).isBetween(0, n - 1));
            assertThat(records).allSatisfy(r -> assertThat(r.get("termination").asText()).isEqualTo("completed"));
            Map<String, Long> revisions = LoadRun.count(records, r -> r.get("policy_revision").asText());
            System.out.printf("[e2e reload] %d connections through 6 SIGHUPs; records by policy revision: %s%n", n,
                    revisions);
            assertThat(revisions.keySet()).as("the new trusted keys and bundle took effect mid-load")
                    .containsExactlyInAnyOrder("1", "2");
            assertThat(byIndex.get(n - 1).get("policy_revision").asText()).isEqualTo("2");

            assertThat(Files.size(dir.resolve("flows.jsonl.1"))).as("records before the rotation").isPositive();
            assertThat(Files.readAllLines(flows)).as("records after the reload reopened the flow log").isNotEmpty();
            assertThat(gw.stderrText()).contains("flow_log.path " + flows + " reopened");

            assertThat(gw.stop()).as("exit code after SIGTERM").isZero();
            AuditVerifier.Result verified = LoadRun.verifyAudit(state, audit);
            assertThat(verified.ok()).as(verified.toString()).isTrue();
        }
    }

    @Test
    void sigtermClosesTheListenerAtOnceAndLetsOpenFlowsFinishOrCutsThemAtTheDrainTimeout(@TempDir Path dir)
            throws Exception {
        Privileges.requireOrSkip("ip", "iptables", "curl");
        try (Topology topology = topology(dir)) {
            Path state = dir.resolve("state");
            SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
            Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, rules()));

            // 1. Drain timeout longer than the flows (about 4 s each): they finish, the process exits 0.
            Path audit = dir.resolve("audit-drain");
            GatewayProcess gw = topology.startGateway("""
                    listener: {port: 15001, transport: epoll}
                    timeouts: {drain: 20s}
                    audit: {dir: %s}
                    """.formatted(audit) + signed.configSection(state, bundle, null), audit);
            List<ManagedProcess> slow = slowFlows(topology, dir, "drain", 4);
            sigterm(gw);
            assertNoNewConnection(topology, gw);
            assertThat(gw.waitForExit(T)).as("exit code after a clean drain\n" + gw.describe()).isZero();
            for (ManagedProcess c : slow) {
                ExecResultLike r = ExecResultLike.of(c);
                assertThat(r.exit).as("curl " + c.name() + "\n" + c.describe()).isZero();
                assertThat(r.body).as("the whole body").contains("data: event 40 ");
            }
            List<JsonNode> records = sse(gw);
            assertThat(records).hasSize(4)
                    .allSatisfy(r -> assertThat(r.get("termination").asText()).isEqualTo("completed"));
            assertThat(gw.stderrText()).contains("drain: 4 open flow(s) at the stop: 4 finished within 20000 ms,"
                    + " 0 cut (shutdown)");
            AuditVerifier.Result verified = LoadRun.verifyAudit(state, audit);
            assertThat(verified.ok()).as(verified.toString()).isTrue();
            assertThat(verified.finding()).as("a graceful stop leaves no torn line").isNull();

            // 2. Drain timeout shorter than the flows: cut as shutdown, still exit 0, every record written.
            Path auditCut = dir.resolve("audit-cut");
            GatewayProcess cut = topology.startGateway("""
                    listener: {port: 15001, transport: epoll}
                    timeouts: {drain: 1s}
                    audit: {dir: %s}
                    """.formatted(auditCut) + signed.configSection(state, bundle, null), auditCut);
            List<ManagedProcess> cutFlows = slowFlows(topology, dir, "cut", 3);
            sigterm(cut);
            assertThat(cut.waitForExit(T)).as("exit code after cutting flows\n" + cut.describe()).isZero();
            for (ManagedProcess c : cutFlows) {
                assertThat(ExecResultLike.of(c).exit).as("curl sees the cut\n" + c.describe()).isNotZero();
            }
            List<JsonNode> cutRecords = sse(cut);
            assertThat(cutRecords).hasSize(3)
                    .allSatisfy(r -> assertThat(r.get("termination").asText()).isEqualTo("shutdown"));
            assertThat(cut.stderrText()).contains("drain: 3 open flow(s) at the stop: 0 finished within 1000 ms,"
                    + " 3 cut (shutdown)");
            AuditVerifier.Result cutVerified = LoadRun.verifyAudit(state, auditCut);
            assertThat(cutVerified.ok()).as(cutVerified.toString()).isTrue();
        }
    }

    /** Starts {@code count} curl clients of a ~4 s event stream and waits until the origin has every request. */
    private static List<ManagedProcess> slowFlows(Topology topology, Path dir, String name, int count) {
        long before = origin(topology).events("request").size();
        List<ManagedProcess> clients = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            clients.add(topology.agent().spawn(name + "-" + i, List.of("curl", "-sS", "--max-time", "30",
                    "-w", "\\nhttp_code=%{http_code}\\n", "http://" + UPSTREAM + "/sse?count=40&interval_ms=100"),
                    dir));
        }
        Await.until(T, count + " streams open", () -> origin(topology).events("request").size() >= before + count,
                () -> origin(topology).describe());
        return clients;
    }

    private static ManagedProcess origin(Topology topology) {
        return topology.upstream().processes().stream().filter(p -> p.name().equals("origin")).findFirst()
                .orElseThrow();
    }

    /** Sends SIGTERM and waits for the daemon to say its listener is closed; prints how long that took. */
    private static void sigterm(GatewayProcess gw) {
        long start = System.nanoTime();
        gw.signal("TERM");
        Await.until(T, "the listener closed", () -> gw.stderrText().contains("draining: listener closed"),
                gw::describe);
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("[e2e drain] SIGTERM to listener closed: %d ms (as seen in the log)%n", ms);
        assertThat(ms).as("the listener closes at once, not after the drain").isLessThan(5000);
    }

    /** A new connection right after SIGTERM never reaches the upstream, while the daemon is still draining. */
    private static void assertNoNewConnection(Topology topology, GatewayProcess gw) {
        long requests = origin(topology).events("request").size();
        ExecResult late = topology.agent().exec(T, "curl", "-sS", "--connect-timeout", "1", "--max-time", "2",
                "http://" + UPSTREAM + "/late");
        assertThat(late.exitCode()).as("a connection after SIGTERM fails: " + late.describe()).isNotZero();
        assertThat(gw.isAlive()).as("still draining the open flows when the new one failed").isTrue();
        assertThat(origin(topology).events("request").stream().map(e -> e.path("target").asText()))
                .as("the late connection never reached the upstream").doesNotContain("/late")
                .hasSize((int) requests);
    }

    private static List<JsonNode> sse(GatewayProcess gw) {
        return gw.flowRecords().stream().filter(r -> r.path("http_target").asText("").startsWith("/sse?")).toList();
    }

    /** What a finished curl client printed and its exit code. */
    private record ExecResultLike(int exit, String body) {
        static ExecResultLike of(ManagedProcess p) {
            int exit = p.waitForExit(T);
            return new ExecResultLike(exit, p.stdoutText());
        }
    }

    @Test
    void tellsSystemdReadyWatchdogReloadingAndStopping(@TempDir Path dir) throws Exception {
        Privileges.requireOrSkip("ip", "iptables");
        Path sockDir = Files.createTempDirectory(Path.of("/tmp"), "clawgress-notify-");
        Path sock = sockDir.resolve("notify.sock");
        List<String> messages = new CopyOnWriteArrayList<>();
        try (Topology topology = topology(dir); UnixDatagramChannel notify = UnixDatagramChannel.open()) {
            notify.bind(new UnixSocketAddress(sock.toString()));
            Thread reader = Thread.ofVirtual().start(() -> {
                ByteBuffer buf = ByteBuffer.allocate(4096);
                while (notify.isOpen()) {
                    try {
                        buf.clear();
                        notify.receive(buf);
                        buf.flip();
                        messages.add(StandardCharsets.UTF_8.decode(buf).toString());
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            Path audit = dir.resolve("audit");
            SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
            Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, rules()));
            GatewayProcess gw = topology.startGateway("""
                    listener: {port: 15001, transport: epoll}
                    audit: {dir: %s}
                    """.formatted(audit) + signed.configSection(dir.resolve("state"), bundle, null), audit,
                    Map.of("NOTIFY_SOCKET", sock.toString(), "WATCHDOG_USEC", "1000000"));

            String ready = await(messages, 0, m -> m.startsWith("READY=1"), "READY=1", gw);
            assertThat(ready).matches("READY=1\nSTATUS=serving on 0\\.0\\.0\\.0:15001 \\(epoll\\), policy revision 1");
            Await.until(T, "three watchdog pings", () -> messages.stream().filter("WATCHDOG=1"::equals).count() >= 3,
                    () -> messages + "\n" + gw.describe());

            int mark = messages.size();
            gw.signal("HUP");
            String reloading = await(messages, mark, m -> m.startsWith("RELOADING=1"), "RELOADING=1", gw);
            Matcher usec = Pattern.compile("MONOTONIC_USEC=(\\d+)").matcher(reloading);
            assertThat(usec.find()).as(reloading).isTrue();
            int reloadingAt = messages.indexOf(reloading);
            String reloaded = await(messages, reloadingAt + 1, m -> m.startsWith("READY=1"),
                    "READY=1 after RELOADING=1", gw);
            assertThat(reloaded).contains("STATUS=reloaded: ");

            gw.signal("TERM");
            String stopping = await(messages, 0, m -> m.startsWith("STOPPING=1"), "STOPPING=1", gw);
            assertThat(stopping).contains("STATUS=stopping: draining");
            assertThat(gw.waitForExit(T)).isZero();
            System.out.printf("[e2e sd_notify] %d messages: %s%n", messages.size(), messages.stream()
                    .map(m -> m.replace('\n', ' ')).collect(Collectors.groupingBy(m -> m.split("[= ]")[0],
                            Collectors.counting())));
            notify.close();
            reader.join(5000);
        } finally {
            Files.deleteIfExists(sock);
            Files.deleteIfExists(sockDir);
        }
    }

    /** The first message from index {@code from} on that matches. */
    private static String await(List<String> messages, int from, java.util.function.Predicate<String> match,
                                String what, GatewayProcess gw) {
        return Await.until(T, what, () -> {
            List<String> now = List.copyOf(messages);
            return now.subList(Math.min(from, now.size()), now.size()).stream().filter(match).findFirst();
        }, () -> "received: " + messages + "\n" + gw.describe());
    }
}
