package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.testing.JsonSchemaValidator;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.Repo;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code clawgressctl audit tail|query|verify|export} against the audit directory of a running daemon (issue 7): the
 * records of real traffic through the TPROXY topology (connections allowed on :80, denied on :8080) and of admin API
 * calls (a reload by root, a forbidden one by a reader). {@code tail -f} prints the records the daemon writes while it
 * follows; {@code query} finds exactly the denied flows, the allowed requests and the admin calls; {@code verify}
 * passes on the live log with the node's key (and fails on a copy with one byte changed); {@code export} writes every
 * record, as JSON Lines that validate against docs/audit-record.schema.json and as CSV. Every {@code --json} output
 * validates against its schema in docs/schemas/.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditCtlE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UPSTREAM = "198.18.2.2";
    private static final int READ_GID = 4242;
    private static final int READER = 4100;
    /** Connections per phase, half to :80 (allowed), half to :8080 (denied). */
    private static final int PHASE = 20;
    /** What {@code tail -f} prints from before it started, so the test knows it follows. */
    private static final int TAIL_FIRST = 5;

    private Topology topology;
    private GatewayProcess gateway;
    private Path dir;
    private Path auditDir;
    private Path stateDir;
    private final List<LoadRun.Conn> conns = new ArrayList<>();

    @BeforeAll
    void start() throws IOException {
        Privileges.requireOrSkip("ip", "iptables", "curl", "setpriv");
        dir = Files.createTempDirectory("clawgress-e2e-auditctl-");
        // The reader (a made-up uid) must reach the socket: only the socket file itself is restricted.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
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
        gateway = topology.startGateway("""
                listener: {port: 15001, transport: epoll}
                timeouts: {upstream_connect: 2s, idle: 30s}
                audit: {dir: %s, checkpoint_every: 16}
                admin: {socket: %s, group: "%d", admin_group: "0"}
                """.formatted(auditDir, dir.resolve("run").resolve("admin.sock"), READ_GID)
                + signed.configSection(stateDir, bundle, null), auditDir);
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

    private static JsonSchemaValidator schema(String name) throws IOException {
        return JsonSchemaValidator.load(Repo.root().resolve("docs/schemas/" + name + ".schema.json"));
    }

    private static JsonSchemaValidator recordSchema() throws IOException {
        return JsonSchemaValidator.load(Repo.root().resolve("docs/audit-record.schema.json"));
    }

    /** {@code clawgressctl audit VERB args... --dir <the daemon's audit dir>}. */
    private Clawgressctl.Result audit(String verb, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Repo.root().resolve("bin/clawgressctl").toString(), "audit",
                verb));
        command.addAll(List.of(args));
        command.add("--dir");
        command.add(auditDir.toString());
        return Clawgressctl.exec(command);
    }

    /** {@code PHASE} connections from the agent, alternating :80 (200 from the origin) and :8080 (403 from us). */
    private List<LoadRun.Conn> traffic(String name) {
        List<String> args = new ArrayList<>(List.of("--target", UPSTREAM + ":80", "--target", UPSTREAM + ":8080",
                "--rate", "50", "--connections", Integer.toString(PHASE), "--concurrency", "10",
                "--body-bytes", "0-500", "--timeout-seconds", "30"));
        args.addAll(LoadRun.sources(List.of(topology.agentAddress().getHostAddress())));
        List<LoadRun.Conn> run = LoadRun.start(topology, name, args.toArray(String[]::new)).await(Duration.ofMinutes(1));
        assertThat(LoadRun.count(run, c -> c.target().endsWith(":80") + "/" + c.status()))
                .containsOnlyKeys("true/200", "false/403");
        conns.addAll(run);
        return run;
    }

    private long allowed() {
        return conns.stream().filter(c -> c.target().endsWith(":80")).count();
    }

    private long denied() {
        return conns.size() - allowed();
    }

    @Test
    @Order(1)
    void tailFollowsTheRecordsTheDaemonWritesWhileItRuns() throws Exception {
        traffic("before-tail");
        gateway.awaitFlowRecords(PHASE, Duration.ofMinutes(1));

        // tail -f: the last TAIL_FIRST flow records at once, then the PHASE new ones as the daemon writes them.
        Path out = dir.resolve("tail.out");
        Path err = dir.resolve("tail.err");
        Process tail = new ProcessBuilder(Repo.root().resolve("bin/clawgressctl").toString(), "audit", "tail", "-f",
                "-n", Integer.toString(TAIL_FIRST), "--type", "flow", "--json", "--max-records",
                Integer.toString(PHASE), "--for", "90s", "--dir", auditDir.toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            tail.getOutputStream().close();
            long deadline = System.nanoTime() + T.toNanos();
            while (lines(out).size() < TAIL_FIRST && tail.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(lines(out)).as("tail printed the last records first; stderr: %s", Files.readString(err))
                    .hasSize(TAIL_FIRST);

            traffic("while-tailing");
            assertThat(tail.waitFor(90, TimeUnit.SECONDS)).as("tail -f stops after --max-records").isTrue();
            assertThat(tail.exitValue()).as(Files.readString(err)).isZero();
        } finally {
            tail.destroyForcibly();
        }

        List<JsonNode> flows = gateway.awaitFlowRecords(2 * PHASE, Duration.ofMinutes(1));
        List<String> printed = lines(out);
        assertThat(printed).hasSize(TAIL_FIRST + PHASE);
        JsonSchemaValidator tailSchema = schema("audit-tail");
        JsonSchemaValidator records = recordSchema();
        List<Long> seqs = new ArrayList<>();
        for (String line : printed) {
            JsonNode r = JSON.readTree(line);
            tailSchema.requireValid(r, "clawgressctl audit tail --json line");
            records.requireValid(r, "a record printed by audit tail");
            assertThat(r.get("type").asText()).isEqualTo("flow");
            seqs.add(r.get("seq").asLong());
        }
        assertThat(seqs).as("oldest first, each once").isSorted().doesNotHaveDuplicates();
        List<Long> daemonSeqs = flows.stream().map(f -> f.get("seq").asLong()).sorted().toList();
        assertThat(seqs).as("the last %d flow records before tail started, then every one written while it followed",
                TAIL_FIRST).isEqualTo(daemonSeqs.subList(PHASE - TAIL_FIRST, 2 * PHASE));

        // Without --json: one line per record, the format docs/clawgressctl.md shows.
        Clawgressctl.Result human = audit("tail", "-n", "3", "--type", "flow").expect(0);
        assertThat(human.out().lines().toList()).hasSize(3)
                .allSatisfy(l -> assertThat(l).contains(" flow ").contains(UPSTREAM + ":"));
    }

    @Test
    @Order(2)
    void adminCallsAreRecordsTheAuditVerbsFind() throws Exception {
        int before = gateway.adminRecords().size();
        Clawgressctl.Result ok = Clawgressctl.exec(List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                "-X", "POST", "--unix-socket", gateway.adminSocket().toString(), "http://localhost/v1/reload"));
        assertThat(ok.out()).as(ok.err()).isEqualTo("200");
        Clawgressctl.Result forbidden = Clawgressctl.exec(List.of("setpriv", "--reuid=" + READER,
                "--regid=" + READ_GID, "--groups=" + READ_GID, "--inh-caps=-all", "--bounding-set=-all", "curl",
                "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--unix-socket",
                gateway.adminSocket().toString(), "http://localhost/v1/reload"));
        assertThat(forbidden.out()).as(forbidden.err()).isEqualTo("403");
        long deadline = System.nanoTime() + T.toNanos();
        while (gateway.adminRecords().size() < before + 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }

        Clawgressctl.Result q = audit("query", "--type", "admin", "--json").expect(0);
        JsonNode result = JSON.readTree(q.out());
        schema("audit-query").requireValid(result, "clawgressctl audit query --type admin --json");
        List<JsonNode> admin = new ArrayList<>();
        result.get("records").forEach(admin::add);
        assertThat(admin).hasSize(before + 2);
        JsonNode byRoot = admin.get(before);
        JsonNode byReader = admin.get(before + 1);
        assertThat(byRoot.get("action").asText()).isEqualTo("reload");
        assertThat(byRoot.get("uid").asInt()).isZero();
        assertThat(byRoot.get("outcome").asText()).isEqualTo("ok");
        assertThat(byReader.get("action").asText()).isEqualTo("reload");
        assertThat(byReader.get("uid").asInt()).isEqualTo(READER);
        assertThat(byReader.get("outcome").asText()).isEqualTo("forbidden");
        assertThat(byReader.get("status").asInt()).isEqualTo(403);

        Clawgressctl.Result tail = audit("tail", "-n", "2", "--type", "admin").expect(0);
        List<String> lines = tail.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches(".*Z admin +uid=0 reload ok 200");
        assertThat(lines.get(1)).matches(".*Z admin +uid=" + READER + " reload forbidden 403.*");
    }

    @Test
    @Order(3)
    void queryFindsExactlyTheDeniedFlowsAndTheAllowedRequests() throws Exception {
        Clawgressctl.Result deny = audit("query", "--type", "flow", "--verdict", "deny", "--json").expect(0);
        JsonNode denied = JSON.readTree(deny.out());
        schema("audit-query").requireValid(denied, "clawgressctl audit query --verdict deny --json");
        assertThat(denied.get("count").asLong()).isEqualTo(denied());
        assertThat(denied.get("more").asBoolean()).isFalse();
        denied.get("records").forEach(r -> {
            assertThat(r.get("original_destination").asText()).isEqualTo(UPSTREAM + ":8080");
            assertThat(r.get("verdict").asText()).isEqualTo("deny");
        });

        Clawgressctl.Result web = audit("query", "--type", "request", "--rule", "web", "--json").expect(0);
        JsonNode requests = JSON.readTree(web.out());
        schema("audit-query").requireValid(requests, "clawgressctl audit query --rule web --json");
        assertThat(requests.get("count").asLong()).as("one request record per allowed connection")
                .isEqualTo(allowed());

        Clawgressctl.Result limited = audit("query", "--type", "flow", "--limit", "3", "--json").expect(0);
        JsonNode three = JSON.readTree(limited.out());
        schema("audit-query").requireValid(three, "clawgressctl audit query --limit 3 --json");
        assertThat(three.get("records")).hasSize(3);
        assertThat(three.get("more").asBoolean()).isTrue();

        Clawgressctl.Result none = audit("query", "--destination", "198.51.100.7", "--json").expect(0);
        assertThat(JSON.readTree(none.out()).get("count").asLong()).isZero();
    }

    @Test
    @Order(4)
    void verifyPassesOnTheLiveLogAndNamesTheRecordChangedInACopy() throws Exception {
        Clawgressctl.Result r = audit("verify", "--state-dir", stateDir.toString(), "--json").expect(0);
        JsonNode v = JSON.readTree(r.out());
        schema("audit-verify").requireValid(v, "clawgressctl audit verify --json");
        assertThat(v.get("outcome").asText()).as(r.out()).isIn("ok", "ok-with-truncation");
        assertThat(v.get("signatures_checked").asLong()).as("checkpoints are signed every 16 records").isPositive();
        long records = v.get("records").asLong();
        assertThat(records).as("flows + requests + admin calls, at least").isGreaterThanOrEqualTo(
                conns.size() + allowed() + 2);
        Clawgressctl.Result human = audit("verify", "--state-dir", stateDir.toString()).expect(0);
        assertThat(human.out()).containsIgnoringCase("ok");

        // The same verb on a copy with one byte of one flow record changed: broken, and it says where.
        Path copy = dir.resolve("audit-copy");
        Files.createDirectories(copy);
        List<Path> segments;
        try (Stream<Path> s = Files.list(auditDir)) {
            segments = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path seg : segments) {
            Files.copy(seg, copy.resolve(seg.getFileName()));
        }
        Path tampered = null;
        long tamperedSeq = 0;
        for (Path seg : segments) {
            List<String> lines = Files.readAllLines(copy.resolve(seg.getFileName()), StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size() && tampered == null; i++) {
                if (lines.get(i).contains("\"original_destination\":\"" + UPSTREAM + ":8080\"")) {
                    tamperedSeq = JSON.readTree(lines.get(i)).get("seq").asLong();
                    lines.set(i, lines.get(i).replace(UPSTREAM + ":8080", UPSTREAM + ":8081"));
                    tampered = copy.resolve(seg.getFileName());
                    Files.write(tampered, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        assertThat(tampered).as("a denied flow record to change").isNotNull();
        Clawgressctl.Result broken = Clawgressctl.exec(List.of(Repo.root().resolve("bin/clawgressctl").toString(),
                "audit", "verify", "--state-dir", stateDir.toString(), "--json", "--dir", copy.toString())).expect(1);
        JsonNode b = JSON.readTree(broken.out());
        schema("audit-verify").requireValid(b, "clawgressctl audit verify --json (broken)");
        assertThat(b.get("outcome").asText()).isEqualTo("broken");
        assertThat(b.at("/finding/seq").asLong()).isEqualTo(tamperedSeq);
        assertThat(b.at("/finding/code").asText()).isEqualTo("hash_mismatch");
    }

    @Test
    @Order(5)
    void exportWritesEveryRecordAsJsonLinesAndCsv() throws Exception {
        Path jsonl = dir.resolve("export.jsonl");
        audit("export", "--type", "all", "--format", "jsonl", "--out", jsonl.toString()).expect(0);
        assertThat(Files.getPosixFilePermissions(jsonl)).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
        List<String> lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
        JsonSchemaValidator records = recordSchema();
        Set<String> types = new TreeSet<>();
        long previous = 0;
        for (String line : lines) {
            JsonNode r = JSON.readTree(line);
            records.requireValid(r, "an exported record");
            types.add(r.get("type").asText());
            assertThat(r.get("seq").asLong()).as("the whole chain, in order").isEqualTo(previous + 1);
            previous = r.get("seq").asLong();
        }
        assertThat(types).contains("flow", "request", "admin", "checkpoint");
        JsonNode verified = JSON.readTree(audit("verify", "--no-key", "--json").expect(0).out());
        assertThat((long) lines.size()).as("export --type all = what verify counted, give or take records written"
                + " since").isLessThanOrEqualTo(verified.get("records").asLong());

        // Existing file without --force: refused; with it: replaced.
        Clawgressctl.Result again = audit("export", "--format", "jsonl", "--out", jsonl.toString()).expect(1);
        assertThat(again.err()).contains(jsonl.toString());

        Clawgressctl.Result csv = audit("export", "--type", "flow", "--verdict", "deny", "--format", "csv", "--out",
                "-").expect(0);
        List<String> rows = csv.out().lines().toList();
        assertThat(rows).as("a header and one row per denied flow").hasSize(1 + (int) denied());
        assertThat(rows.getFirst()).startsWith("time,");
        assertThat(rows.subList(1, rows.size())).allSatisfy(row -> assertThat(row).contains(UPSTREAM + ":8080"));
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }
}
