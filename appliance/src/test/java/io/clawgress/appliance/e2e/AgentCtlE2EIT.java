package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.testing.JsonSchemaValidator;
import io.clawgress.testing.netns.Await;
import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.Repo;
import io.clawgress.testing.netns.TestPki;
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
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code clawgressctl agent add|list|show|disable|enable|cert|token} and {@code ca export} against a running daemon,
 * through its admin socket (issue 7): agents added online are listed and shown (the {@code --json} output validates
 * against docs/schemas/agent-list|agent-show.schema.json); disabling an agent resets its open flow as
 * {@code policy_revoked} and denies its new connections, enabling lets it connect again; a certificate issued online
 * chains to {@code ca export --agents} and identifies its agent over mTLS in an intercepted connection; {@code agent
 * token} asks the daemon whether the agent may have one; {@code ca export} online is the file's certificate; each
 * change is an {@code admin} audit record of uid 0 (the tests run as root).
 *
 * <p>The tests run in order on one gateway: each builds on the registry the previous one left.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentCtlE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UPSTREAM = "198.18.2.2";
    private static final String API_IP = "198.18.2.10";
    private static final String DNS_IP = "198.18.2.53";
    private static final String TRUST_DOMAIN = "e2e.test";
    /** The machine identity of the agent subnet (IdentityBindings). */
    private static final String SUBNET_AGENT = "e2e-agent";
    /** An agent that proves itself with a client certificate. */
    private static final String CERT_AGENT = "cert-bot";

    /**
     * The subnet is {@code e2e-agent}, which may reach the upstream's port 80 and hold a connection on 7001; team
     * {@code qa} (proven by a client certificate inside the connection) may GET api.test's /v1/ over intercepted TLS.
     */
    private static final String POLICY = """
            apiVersion: clawgress.io/v1
            kind: IdentityBindings
            id: e2e-agents
            bindings:
              - {subnet: 198.18.1.0/24, identity: {agent_id: %1$s}}
            ---
            apiVersion: clawgress.io/v1
            kind: Policy
            id: e2e
            priority: 100
            subjects: {}
            rules:
              - {id: web, action: allow, destinations: [{cidr: %2$s/32, ports: [80]}]}
              - {id: hold, action: allow, destinations: [{cidr: %2$s/32, ports: [7001]}]}
            ---
            apiVersion: clawgress.io/v1
            kind: Policy
            id: qa-api
            priority: 100
            subjects: {team_id: [qa]}
            rules:
              - id: api-read
                action: allow
                destinations: [{host: api.test, ports: [443]}]
                http: {methods: [GET], paths: ["/v1/"]}
                intercept: true
            """.formatted(SUBNET_AGENT, UPSTREAM);

    private Topology topology;
    private Path dir;
    private Path stateDir;
    private GatewayProcess gateway;
    private ManagedProcess silent7001;
    private ManagedProcess api;
    private final List<ManagedProcess> holds = new ArrayList<>();

    @BeforeAll
    void start() throws IOException {
        Privileges.requireOrSkip("ip", "iptables", "curl", "openssl");
        dir = Files.createTempDirectory("clawgress-e2e-agents-");
        TestPki pki = TestPki.create(dir.resolve("pki"), "api.test");
        topology = Topology.create(dir);
        topology.addUpstreamAddress(API_IP);
        InetAddress dnsIp = topology.addUpstreamAddress(DNS_IP);
        peer("dns", "dns-server", "--bind", DNS_IP, "--port", "53", "--record", "api.test=" + API_IP);
        peer("http-80", "http-server", "--bind", UPSTREAM, "--port", "80");
        silent7001 = peer("silent-7001", "silent-server", "--bind", UPSTREAM, "--port", "7001");
        api = peer("origin-api", "origin-server", "--bind", API_IP, "--port", "443", "--tls-cert",
                pki.leafCert().toString(), "--tls-key", pki.leafKey().toString());
        topology.agentUsesNameserver(dnsIp);
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");

        Path records = dir.resolve("audit");
        stateDir = dir.resolve("state");
        SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
        Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, POLICY));
        gateway = topology.startGateway("""
                listener: {port: 15001, transport: epoll}
                timeouts: {upstream_connect: 2s, idle: 5m}
                peek: {server_first_ports: [7001]}
                dns: {servers: ["%s"], query_timeout: 1s}
                audit: {dir: %s}
                identity: {trust_domain: %s}
                intercept: {upstream_ca: %s}
                """.formatted(DNS_IP, records, TRUST_DOMAIN, pki.caCert()) + signed.configSection(stateDir, bundle,
                null), records);
        assertThat(gateway.adminSocket()).as("the harness gives the daemon an admin socket").isNotNull();
    }

    @AfterAll
    void stop() throws IOException {
        holds.forEach(ManagedProcess::close);
        if (topology != null) {
            topology.close();
            if (!Boolean.getBoolean("clawgress.keepE2eDirs")) {
                DataPathE2E.deleteTree(topology.workDir());
            }
        }
    }

    // ---- add, list, show ---------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void agentsAddedOnlineAreListedAndShown() throws Exception {
        assertThat(ctl("agent", "add", SUBNET_AGENT, "--note", "the lab subnet").out())
                .isEqualTo("added agent " + SUBNET_AGENT + " (active), registry generation 1\n");
        assertThat(ctl("agent", "add", CERT_AGENT, "--team", "qa", "--environment", "dev").out())
                .isEqualTo("added agent " + CERT_AGENT + " (active), registry generation 2\n");
        Clawgressctl.Result again = Clawgressctl.online(gateway, "agent", "add", CERT_AGENT).expect(1);
        assertThat(again.err()).contains("already_exists: agent '" + CERT_AGENT + "'");

        JsonNode list = JSON.readTree(ctl("agent", "list", "--json").out());
        schema("agent-list").requireValid(list, "clawgressctl agent list --json");
        assertThat(list.get("registry").asText()).isEqualTo(stateDir.resolve("agents.lmdb").toString());
        assertThat(list.get("generation").asLong()).isEqualTo(2);
        assertThat(list.get("agents")).extracting(a -> a.get("agent_id").asText())
                .containsExactly(CERT_AGENT, SUBNET_AGENT);

        JsonNode show = JSON.readTree(ctl("agent", "show", CERT_AGENT, "--json").out());
        schema("agent-show").requireValid(show, "clawgressctl agent show --json");
        assertThat(show.at("/agent/team_id").asText()).isEqualTo("qa");
        assertThat(show.at("/agent/status").asText()).isEqualTo("active");
        assertThat(ctl("agent", "list").out()).contains("2 agents (2 active, 0 disabled), registry generation 2");
        Clawgressctl.Result missing = Clawgressctl.online(gateway, "agent", "show", "ghost", "--json").expect(1);
        schema("failure").requireValid(JSON.readTree(missing.out()), "clawgressctl agent show --json (failure)");
    }

    // ---- disable, enable -----------------------------------------------------------------------------------------

    @Test
    @Order(2)
    void disablingOnlineRevokesTheAgentsOpenFlowAndDeniesItUntilEnabled() throws Exception {
        ManagedProcess held = hold("hold-disable", 7001);
        held.awaitEvent("connected", T);
        Await.until(T, "the held flow relayed", () -> !silent7001.events("accept").isEmpty(), gateway::describe);

        assertThat(ctl("agent", "disable", SUBNET_AGENT, "--reason", "e2e: key leaked").out())
                .isEqualTo("disabled agent " + SUBNET_AGENT + " (reason: e2e: key leaked), registry generation 3\n");
        Instant disabled = Instant.now();
        JsonNode done = held.awaitEvent("done", T);
        assertThat(done.get("ended").asText()).isEqualTo("reset");
        JsonNode revoked = recordWhere("the held flow's record", r -> r.path("original_destination").asText()
                .equals(UPSTREAM + ":7001") && r.path("termination").asText().equals("policy_revoked"));
        assertThat(revoked.get("detail").asText()).contains("agent " + SUBNET_AGENT + " is disabled");
        Instant end = Instant.parse(revoked.get("start").asText())
                .plusNanos((long) (revoked.get("duration_ms").asDouble() * 1_000_000));
        System.out.printf("[e2e agents] flow of an agent disabled through the admin API closed %d ms after"
                + " clawgressctl returned%n", Duration.between(disabled, end).toMillis());
        assertThat(Duration.between(disabled, end)).as("closed within 1 s of the disable")
                .isLessThan(Duration.ofSeconds(1));

        JsonNode denied = curl(43001);
        assertThat(denied.get("verdict").asText()).isEqualTo("deny");
        assertThat(denied.get("rule").asText()).isEqualTo("agent_disabled");
        assertThat(ctl("agent", "show", SUBNET_AGENT).out()).contains("status_reason: e2e: key leaked");
        Clawgressctl.Result token = Clawgressctl.online(gateway, "agent", "token", SUBNET_AGENT, "--key",
                jwtKey().toString(), "--issuer", "e2e-idp", "--audience", "clawgress").expect(1);
        assertThat(token.out()).as("no token for a disabled agent").isEmpty();
        assertThat(token.err()).contains("agent " + SUBNET_AGENT + " is disabled (reason: e2e: key leaked)");

        assertThat(ctl("agent", "enable", SUBNET_AGENT).out())
                .isEqualTo("enabled agent " + SUBNET_AGENT + ", registry generation 4\n");
        int[] port = {43010};
        Await.until(T, "the agent enabled again", () -> curl(port[0]++).get("verdict").asText().equals("relay"),
                gateway::describe);
    }

    // ---- cert, ca export -------------------------------------------------------------------------------------

    @Test
    @Order(3)
    void aCertificateIssuedOnlineChainsToTheAgentsCaAndIdentifiesItsAgentOverMtls() throws Exception {
        Path key = dir.resolve("cert-bot.key");
        Path cert = dir.resolve("cert-bot.pem");
        String out = ctl("agent", "cert", CERT_AGENT, "--out-key", key.toString(), "--out-cert", cert.toString())
                .out();
        assertThat(out).contains("issued a client certificate for agent " + CERT_AGENT + "\n")
                .contains("spiffe id:   spiffe://" + TRUST_DOMAIN + "/agent/" + CERT_AGENT + "\n")
                .doesNotContain("created the agents' CA"); // the daemon made it at start (client certificates on)
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cert))).isEqualTo("rw-r--r--");

        String agentsCa = ctl("ca", "export", "--agents").out();
        assertThat(agentsCa).isEqualTo(offline("ca", "export", "--agents", "--state-dir", stateDir.toString()));
        X509Certificate leaf;
        try (InputStream in = Files.newInputStream(cert)) {
            leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        leaf.verify(parse(agentsCa).getPublicKey());

        Path interceptCa = dir.resolve("intercept-ca.pem");
        assertThat(ctl("ca", "export", "--out", interceptCa.toString()).out())
                .isEqualTo("wrote the intercept root CA certificate to " + interceptCa + "\n");
        assertThat(Files.readString(interceptCa)).startsWith("-----BEGIN CERTIFICATE-----\n")
                .isEqualTo(offline("ca", "export", "--state-dir", stateDir.toString()));

        ExecResult r = topology.agent().exec(T, "curl", "-sS", "--max-time", "20", "--local-port", "43101",
                "--cacert", interceptCa.toString(), "--cert", cert.toString(), "--key", key.toString(),
                "-w", "\n%{http_code}", "https://api.test/v1/models");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).endsWith("\n200");
        JsonNode flow = record(43101);
        assertThat(flow.get("verdict").asText()).isEqualTo("intercept");
        assertThat(flow.get("identity").get("agent_id").asText()).isEqualTo(CERT_AGENT);
        assertThat(flow.get("identity").get("auth").asText()).isEqualTo("mtls");
        assertThat(api.events("request")).extracting(e -> e.get("target").asText()).contains("/v1/models");
        System.out.printf("[e2e agents] certificate issued through the admin API identified %s over mTLS%n",
                CERT_AGENT);

        Clawgressctl.Result foreign = Clawgressctl.online(gateway, "agent", "cert", CERT_AGENT, "--trust-domain",
                "other.test", "--out-key", dir.resolve("x.key").toString(), "--out-cert",
                dir.resolve("x.pem").toString()).expect(1);
        assertThat(foreign.err()).contains("not this gateway's (identity.trust_domain: " + TRUST_DOMAIN + ")");
    }

    // ---- token -------------------------------------------------------------------------------------------------

    @Test
    @Order(4)
    void aTokenIsMintedLocallyForARegisteredActiveAgentOnly() throws Exception {
        String token = ctl("agent", "token", CERT_AGENT, "--key", jwtKey().toString(), "--issuer", "e2e-idp",
                "--audience", "clawgress").out().strip();
        assertThat(token.split("\\.")).hasSize(3);
        JsonNode claims = JSON.readTree(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]));
        assertThat(claims.get("sub").asText()).isEqualTo(CERT_AGENT);
        Clawgressctl.Result ghost = Clawgressctl.online(gateway, "agent", "token", "ghost", "--key",
                jwtKey().toString(), "--issuer", "e2e-idp", "--audience", "clawgress").expect(1);
        assertThat(ghost.err()).contains("not_found: agent 'ghost'").contains("--allow-unregistered");
    }

    // ---- the audit log ---------------------------------------------------------------------------------------

    @Test
    @Order(5)
    void everyChangeIsAnAdminRecordOfTheCallersUid() {
        List<JsonNode> admin = Await.until(T, "the admin records of the agent changes", () -> {
            List<JsonNode> agent = gateway.adminRecords().stream()
                    .filter(r -> r.path("action").asText().startsWith("agent.")).toList();
            return agent.size() >= 7 ? Optional.of(agent) : Optional.empty();
        }, gateway::describe);
        assertThat(admin).allSatisfy(r -> assertThat(r.get("uid").asLong()).as(r.toString()).isZero());
        assertThat(admin).extracting(r -> r.get("action").asText() + " " + r.path("path").asText() + " "
                        + r.get("status").asInt() + " " + r.get("outcome").asText())
                .containsExactly(
                        "agent.add /v1/agents 201 ok",
                        "agent.add /v1/agents 201 ok",
                        "agent.add /v1/agents 409 refused",
                        "agent.disable /v1/agents/" + SUBNET_AGENT + "/disable 200 ok",
                        "agent.enable /v1/agents/" + SUBNET_AGENT + "/enable 200 ok",
                        "agent.cert /v1/agents/" + CERT_AGENT + "/cert 200 ok",
                        "agent.cert /v1/agents/" + CERT_AGENT + "/cert 400 refused");
        assertThat(admin.get(3).get("target").asText()).isEqualTo(SUBNET_AGENT);
        assertThat(admin.get(5).get("target").asText()).isEqualTo(CERT_AGENT);
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** {@code clawgressctl args --socket <the daemon's>}, which must succeed. */
    private Clawgressctl.Result ctl(String... args) throws IOException, InterruptedException {
        return Clawgressctl.online(gateway, args).expect(0);
    }

    /** The stdout of {@code clawgressctl args} without a socket (an offline verb), which must succeed. */
    private static String offline(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Repo.root().resolve("bin/clawgressctl").toString()));
        command.addAll(List.of(args));
        return Clawgressctl.exec(command).expect(0).out();
    }

    private static JsonSchemaValidator schema(String name) throws IOException {
        return JsonSchemaValidator.load(Repo.root().resolve("docs/schemas/" + name + ".schema.json"));
    }

    /** A local token signing key (made once; {@code --generate-key} needs no daemon). */
    private Path jwtKey() throws IOException, InterruptedException {
        Path key = dir.resolve("jwt.key");
        if (!Files.exists(key)) {
            Clawgressctl.run("agent", "token", "--generate-key", "--kid", "e2e-jwt", "--issuer", "e2e-idp",
                    "--audience", "clawgress", "--out-private", key.toString(), "--out-keyset",
                    dir.resolve("jwt-keys.json").toString());
        }
        return key;
    }

    private ManagedProcess peer(String name, String... args) {
        ManagedProcess p = Peer.spawn(topology.upstream(), name, topology.workDir(), args);
        p.awaitEvent("ready", T);
        return p;
    }

    private ManagedProcess hold(String name, int port) {
        ManagedProcess p = Peer.spawn(topology.agent(), name, topology.workDir(), "hold-client",
                "--connect", UPSTREAM + ":" + port, "--timeout-seconds", "120");
        holds.add(p);
        return p;
    }

    /** Plain HTTP from the agent to the upstream's port 80; returns the flow's record. */
    private JsonNode curl(int localPort) {
        topology.agent().exec(T, "curl", "-sS", "--max-time", "5", "--local-port", Integer.toString(localPort),
                "http://" + UPSTREAM + "/");
        return record(localPort);
    }

    private JsonNode record(int sourcePort) {
        String source = "198.18.1.2:" + sourcePort;
        return recordWhere("the flow record of " + source, r -> r.path("source").asText().equals(source));
    }

    private JsonNode recordWhere(String what, Predicate<JsonNode> match) {
        return Await.until(T, what, () -> {
            List<JsonNode> found = gateway.flowRecords().stream().filter(match).toList();
            return found.isEmpty() ? Optional.empty() : Optional.of(found.get(found.size() - 1));
        }, gateway::describe);
    }

    private static X509Certificate parse(String pem) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }
}
