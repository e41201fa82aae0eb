package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.testing.JsonSchemaValidator;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.Repo;
import io.clawgress.testing.netns.Topology;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin socket's authorisation end to end (issue 7, acceptance 2 and 3): a real daemon whose socket belongs to
 * group 4242 (readers) with admin group 4343, callers with made-up numeric identities through {@code setpriv} (no
 * user or group is created on the host): a reader may read and gets 403 on every change endpoint, each attempt an
 * audit record with its uid; a uid in neither group cannot even connect (mode 0660), and when the file mode is widened
 * the daemon still refuses it by SO_PEERCRED; root and the admin group may change things.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminApiE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int READ_GID = 4242;
    private static final int ADMIN_GID = 4343;
    private static final int READER = 4100;
    private static final int ADMIN = 4101;
    private static final int STRANGER = 4102;

    private Topology topology;
    private Path dir;
    private Path socket;
    private GatewayProcess gateway;

    @BeforeAll
    void start() throws IOException {
        Privileges.requireOrSkip("ip", "iptables", "curl", "setpriv");
        dir = Files.createTempDirectory("clawgress-e2e-admin-");
        // The made-up users must be able to reach the socket: only the socket file itself is restricted.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        topology = Topology.create(dir);
        socket = dir.resolve("run").resolve("admin.sock");
        Path stateDir = dir.resolve("state");
        SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
        Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, SignedPolicy.agentPolicy("""
                  - {id: web, action: allow, destinations: [{cidr: 198.18.2.2/32, ports: [80]}]}
                """)));
        gateway = topology.startGateway("""
                listener: {port: 15001, transport: epoll}
                audit: {dir: %s, checkpoint_every: 10}
                admin: {socket: %s, group: "%d", admin_group: "%d"}
                """.formatted(dir.resolve("audit"), socket, READ_GID, ADMIN_GID)
                + signed.configSection(stateDir, bundle, null), dir.resolve("audit"));
        assertThat(gateway.adminSocket()).isEqualTo(socket);
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
    @Order(1)
    void theSocketIsMode0660WithTheConfiguredGroup() throws IOException {
        int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        assertThat(mode & 0170000).as("a socket").isEqualTo(0140000);
        assertThat(Integer.toOctalString(mode & 07777)).isEqualTo("660");
        assertThat(Files.getAttribute(socket, "unix:gid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(READ_GID);
        assertThat(Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(0);
    }

    @Test
    @Order(2)
    void curlGetsTheStatusAsDocumented() throws Exception {
        // The command in docs/admin-api.md, with this test's socket.
        Clawgressctl.Result r = Clawgressctl.exec(List.of("curl", "-sS", "--unix-socket", socket.toString(),
                "http://localhost/v1/status"));
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode status = JSON.readTree(r.out());
        schema("status").requireValid(status, "GET /v1/status");
        assertThat(status.get("transport").asText()).isEqualTo("epoll");
        assertThat(status.at("/policy/revision").asText()).isEqualTo("1");
        assertThat(status.at("/listeners/admin").asText()).isEqualTo(socket.toString());
        assertThat(status.at("/listeners/proxy").asText()).endsWith(":15001");
        assertThat(status.at("/audit/enabled").asBoolean()).isTrue();
        assertThat(status.get("pid").asLong()).isEqualTo(gateway.pid());

        Clawgressctl.Result ctl = Clawgressctl.online(gateway, "status", "--json").expect(0);
        schema("status").requireValid(JSON.readTree(ctl.out()), "clawgressctl status --json");
        Clawgressctl.Result human = Clawgressctl.online(gateway, "status").expect(0);
        assertThat(human.out()).contains("transport epoll").contains("revision 1").contains("connections:");
    }

    @Test
    @Order(3)
    void aReaderMayReadAndEveryChangeEndpointAnswersItForbiddenAndAuditsTheAttempt() throws Exception {
        List<String> asReader = setpriv(READER, READ_GID, READ_GID);
        Clawgressctl.Result status = Clawgressctl.online(gateway, asReader, "status", "--json").expect(0);
        assertThat(JSON.readTree(status.out()).get("transport").asText()).isEqualTo("epoll");

        List<JsonNode> changes = changeEndpoints();
        assertThat(changes).as("the change endpoints").isNotEmpty();
        int before = gateway.adminRecords().size();
        for (JsonNode e : changes) {
            String path = e.get("path").asText().replaceAll("\\{[a-z_]+}", "x1");
            Clawgressctl.Result r = curl(asReader, e.get("method").asText(), path);
            assertThat(r.out()).as(e + ": " + r.err()).startsWith("403 ");
            JsonNode body = JSON.readTree(r.out().substring(4));
            assertThat(body.at("/error/code").asText()).isEqualTo("forbidden");
            assertThat(body.at("/error/message").asText()).contains("uid " + READER).contains("may read but not change");
        }
        List<JsonNode> audited = awaitAdminRecords(before + changes.size()).subList(before, before + changes.size());
        for (int i = 0; i < changes.size(); i++) {
            JsonNode a = audited.get(i);
            assertThat(a.get("uid").asInt()).isEqualTo(READER);
            assertThat(a.get("gid").asInt()).isEqualTo(READ_GID);
            assertThat(a.get("pid").asLong()).isPositive();
            assertThat(a.get("outcome").asText()).isEqualTo("forbidden");
            assertThat(a.get("status").asInt()).isEqualTo(403);
            assertThat(a.get("action").asText()).isEqualTo(changes.get(i).get("action").asText());
        }
        Clawgressctl.Result metrics = Clawgressctl.online(gateway, asReader, "metrics");
        assertThat(metrics.exit()).as(metrics.err()).isZero();
    }

    @Test
    @Order(4)
    void aUidInNeitherGroupCannotConnectAndIsRefusedEvenWhenTheModeIsWidened() throws Exception {
        List<String> asStranger = setpriv(STRANGER, STRANGER, STRANGER);
        Clawgressctl.Result curl = curl(asStranger, "GET", "/v1/status");
        assertThat(curl.exit()).as("curl cannot connect (EACCES): " + curl.out()).isEqualTo(7);
        Clawgressctl.Result ctl = Clawgressctl.online(gateway, asStranger, "status");
        assertThat(ctl.exit()).as(ctl.err()).isEqualTo(77);
        assertThat(ctl.err()).contains("permission denied on " + socket);

        // Second layer: with the file mode widened by mistake, SO_PEERCRED still refuses a stranger.
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        try {
            int before = gateway.adminRecords().size();
            Clawgressctl.Result read = curl(asStranger, "GET", "/v1/status");
            assertThat(read.out()).startsWith("403 ").contains("in neither");
            JsonNode change = changeEndpoints().get(0);
            Clawgressctl.Result write = curl(asStranger, change.get("method").asText(),
                    change.get("path").asText().replaceAll("\\{[a-z_]+}", "x1"));
            assertThat(write.out()).startsWith("403 ");
            JsonNode a = awaitAdminRecords(before + 1).get(before);
            assertThat(a.get("uid").asInt()).isEqualTo(STRANGER);
            assertThat(a.get("outcome").asText()).isEqualTo("forbidden");
            assertThat(Clawgressctl.online(gateway, asStranger, "status").exit()).isEqualTo(77);
        } finally {
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        }
    }

    @Test
    @Order(5)
    void theAdminGroupMayChangeAndTheChangeIsAuditedWithItsUid() throws Exception {
        // An operator in both groups (usermod -aG clawgress,clawgress-admin): the socket's group to connect, the
        // admin group to change. POST /v1/reload is a change that leaves everything as it is.
        List<String> asAdmin = setpriv(ADMIN, ADMIN, READ_GID + "," + ADMIN_GID);
        int before = gateway.adminRecords().size();
        Clawgressctl.Result r = curl(asAdmin, "POST", "/v1/reload");
        assertThat(r.out()).as(r.err()).startsWith("200 ");
        JsonNode a = awaitAdminRecords(before + 1).get(before);
        assertThat(a.get("uid").asInt()).isEqualTo(ADMIN);
        assertThat(a.get("action").asText()).isEqualTo("reload");
        assertThat(a.get("outcome").asText()).isEqualTo("ok");
        assertThat(a.get("path").asText()).isEqualTo("/v1/reload");
    }

    @Test
    @Order(6)
    void errorsAreJsonWithAStableCode() throws Exception {
        List<String> root = List.of();
        Clawgressctl.Result missing = curl(root, "GET", "/v1/nope");
        assertThat(missing.out()).startsWith("404 ");
        assertThat(JSON.readTree(missing.out().substring(4)).at("/error/code").asText()).isEqualTo("not_found");
        Clawgressctl.Result method = curl(root, "DELETE", "/v1/status");
        assertThat(method.out()).startsWith("405 ").contains("allowed: GET");
        Clawgressctl.Result unreachable = Clawgressctl.exec(List.of(Repo.root().resolve("bin/clawgressctl")
                .toString(), "status", "--socket", dir.resolve("no-such.sock").toString()));
        assertThat(unreachable.exit()).as(unreachable.err()).isEqualTo(69);
        assertThat(unreachable.err()).contains("cannot reach clawgressd").contains("no such socket");
    }

    private List<JsonNode> changeEndpoints() throws Exception {
        Clawgressctl.Result r = curl(List.of(), "GET", "/v1/endpoints");
        assertThat(r.out()).startsWith("200 ");
        List<JsonNode> changes = new ArrayList<>();
        JSON.readTree(r.out().substring(4)).get("endpoints").forEach(e -> {
            if (e.get("kind").asText().equals("change")) {
                changes.add(e);
            }
        });
        return changes;
    }

    /** curl as {@code prefix} says; stdout is "STATUS BODY". */
    private Clawgressctl.Result curl(List<String> prefix, String method, String path) throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of("curl", "-sS", "--max-time", "20", "--unix-socket", socket.toString(), "-X", method,
                "-H", "Content-Type: application/json", "-w", "\n%{http_code}"));
        if (!method.equals("GET")) {
            cmd.addAll(List.of("--data", "{}"));
        }
        cmd.add("http://localhost" + path);
        Clawgressctl.Result r = Clawgressctl.exec(cmd);
        // The body, a newline, the status: turned into "STATUS BODY".
        int nl = r.out().lastIndexOf('\n');
        return new Clawgressctl.Result(r.exit(), r.out().substring(nl + 1) + " " + r.out().substring(0, Math.max(nl,
                0)), r.err());
    }

    private static List<String> setpriv(int uid, int gid, Object groups) {
        return List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--groups=" + groups, "--inh-caps=-all",
                "--bounding-set=-all");
    }

    private List<JsonNode> awaitAdminRecords(int n) throws InterruptedException {
        long deadline = System.nanoTime() + T.toNanos();
        List<JsonNode> records = gateway.adminRecords();
        while (records.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(100);
            records = gateway.adminRecords();
        }
        assertThat(records).as("admin audit records").hasSizeGreaterThanOrEqualTo(n);
        return records;
    }

    private static JsonSchemaValidator schema(String name) throws IOException {
        return JsonSchemaValidator.load(Repo.root().resolve("docs/schemas/" + name + ".schema.json"));
    }
}
