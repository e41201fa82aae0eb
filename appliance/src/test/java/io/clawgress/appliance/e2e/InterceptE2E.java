package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import io.clawgress.enforcement.identity.jwt.JwtMinter;
import io.clawgress.testing.netns.Await;
import io.clawgress.testing.netns.BadCertificates;
import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.Privileges;
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

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 5 end to end: a real daemon with TPROXY, agents in their namespace speaking TLS to names the bundle
 * intercepts, upstream origin servers that record every request they receive. Acceptance lines 1-6, on each
 * transport (subclasses).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class InterceptE2E {

    /** The transport the daemon runs on: {@code epoll} or {@code io_uring} (subclasses). */
    abstract String transport();

    private static final Duration T = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API_IP = "198.18.2.10";
    private static final String SELF_SIGNED_IP = "198.18.2.11";
    private static final String EXPIRED_IP = "198.18.2.12";
    private static final String WRONG_NAME_IP = "198.18.2.13";
    private static final String DNS_IP = "198.18.2.53";
    private static final String TRUST_DOMAIN = "e2e.test";
    private static final String ISSUER = "e2e-idp";
    private static final String AUDIENCE = "clawgress";
    private static final String KID = "e2e-jwt";

    /**
     * The agent subnet is bound to a machine identity of team {@code lab}, which may only read api.test over
     * plaintext; the agents' own identities (team {@code qa}) are proven inside the connection (certificate or
     * token) and outrank it.
     */
    private static final String POLICY = """
            apiVersion: clawgress.io/v1
            kind: IdentityBindings
            id: lab
            bindings:
              - {subnet: 198.18.1.0/24, identity: {agent_id: lab-machine, team_id: lab}}
            ---
            apiVersion: clawgress.io/v1
            kind: Policy
            id: lab-plain
            priority: 100
            subjects: {team_id: [lab]}
            rules:
              - id: plain-read
                action: allow
                destinations: [{host: api.test, ports: [80]}]
                http: {methods: [GET], paths: ["/v1/"]}
            ---
            apiVersion: clawgress.io/v1
            kind: Policy
            id: agents-api
            priority: 100
            subjects: {team_id: [qa]}
            rules:
              - id: api-write
                action: allow
                destinations: [{host: api.test, ports: [443]}]
                http: {methods: [POST], paths: ["/v1/"]}
                intercept: true
              - id: api-read
                action: allow
                destinations: [{host: api.test, ports: [443]}]
                http: {methods: [GET, HEAD], paths: ["/v1/", "/sse"]}
                intercept: true
            ---
            apiVersion: clawgress.io/v1
            kind: Policy
            id: bad-upstreams
            priority: 100
            subjects: {}
            rules:
              - id: bad-tls
                action: allow
                destinations:
                  - {host: selfsigned.test, ports: [443]}
                  - {host: expired.test, ports: [443]}
                  - {host: wrongname.test, ports: [443]}
                intercept: true
            """;

    private Topology topology;
    private Path dir;
    private Path stateDir;
    private GatewayProcess gateway;
    private ManagedProcess api;
    private ManagedProcess apiPlain;
    private Path interceptCa;
    private Path certA;
    private Path keyA;
    private String jwtPrivatePem;
    private String jwtPublicPem;
    private final List<ManagedProcess> origins = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        Privileges.requireOrSkip("ip", "iptables", "curl", "openssl");
        dir = Files.createTempDirectory("clawgress-e2e-intercept-" + transport() + "-");
        TestPki pki = TestPki.create(dir.resolve("pki"), "api.test");
        BadCertificates selfSigned = BadCertificates.create(dir.resolve("bad-self"), pki, "selfsigned.test");
        BadCertificates expired = BadCertificates.create(dir.resolve("bad-expired"), pki, "expired.test");
        BadCertificates wrongName = BadCertificates.create(dir.resolve("bad-name"), pki, "wrongname.test");
        topology = Topology.create(dir);
        for (String ip : List.of(API_IP, SELF_SIGNED_IP, EXPIRED_IP, WRONG_NAME_IP)) {
            topology.addUpstreamAddress(ip);
        }
        InetAddress dnsIp = topology.addUpstreamAddress(DNS_IP);
        peer("dns", "dns-server", "--bind", DNS_IP, "--port", "53", "--record", "api.test=" + API_IP,
                "--record", "selfsigned.test=" + SELF_SIGNED_IP, "--record", "expired.test=" + EXPIRED_IP,
                "--record", "wrongname.test=" + WRONG_NAME_IP);
        api = origin("origin-api", API_IP, pki.leafCert(), pki.leafKey());
        apiPlain = peer("origin-api-plain", "origin-server", "--bind", API_IP, "--port", "80");
        origin("origin-self", SELF_SIGNED_IP, selfSigned.selfSignedCert(), selfSigned.selfSignedKey());
        origin("origin-expired", EXPIRED_IP, expired.expiredCert(), expired.expiredKey());
        origin("origin-name", WRONG_NAME_IP, wrongName.wrongNameCert(), wrongName.wrongNameKey());
        topology.agentUsesNameserver(dnsIp);
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");

        stateDir = Files.createDirectories(dir.resolve("state"));
        ctl("agent", "add", "agent-a", "--team", "qa", "--state-dir", stateDir.toString());
        ctl("agent", "add", "agent-b", "--team", "qa", "--state-dir", stateDir.toString());
        Path jwtKey = dir.resolve("jwt.key");
        Path jwtKeys = dir.resolve("jwt-keys.json");
        ctl("agent", "token", "--generate-key", "--kid", KID, "--issuer", ISSUER, "--audience", AUDIENCE,
                "--out-private", jwtKey.toString(), "--out-keyset", jwtKeys.toString());
        jwtPrivatePem = Files.readString(jwtKey).replaceFirst("(?s)^kid: [^\n]*\n", "");
        jwtPublicPem = JSON.readTree(Files.readString(jwtKeys)).findValue("public_key_pem").asText();

        SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("policies/e2e.yaml", POLICY.getBytes(StandardCharsets.UTF_8));
        files.put("identity/jwt-keys.json", Files.readAllBytes(jwtKeys));
        Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, files));
        Path records = dir.resolve("audit");
        gateway = topology.startGateway("""
                listener: {port: 15001, transport: %s}
                timeouts: {upstream_connect: 2s, idle: 30s}
                dns: {servers: ["%s"], query_timeout: 1s}
                audit: {dir: %s}
                identity: {trust_domain: %s}
                intercept: {upstream_ca: %s}
                """.formatted(transport(), DNS_IP, records, TRUST_DOMAIN, pki.caCert()) + signed.configSection(stateDir,
                bundle, null), records);
        assertThat(gateway.stderrText()).as("the daemon runs on the transport under test")
                .contains("(" + transport() + ")");

        interceptCa = dir.resolve("intercept-ca.pem");
        ctl("ca", "export", "--state-dir", stateDir.toString(), "--out", interceptCa.toString());
        certA = dir.resolve("agent-a.pem");
        keyA = dir.resolve("agent-a.key");
        ctl("agent", "cert", "agent-a", "--trust-domain", TRUST_DOMAIN, "--state-dir", stateDir.toString(),
                "--out-cert", certA.toString(), "--out-key", keyA.toString());
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

    // ---- acceptance 1: mTLS identity, allowed POST, denied GET answered 403 and never forwarded ---------------

    @Test
    @Order(1)
    void anAgentCertificateIdentifiesTheAgentAllowedRequestsPassAndADeniedPathGets403() throws Exception {
        ExecResult post = curl(44001, "--cert", certA.toString(), "--key", keyA.toString(), "-X", "POST",
                "-H", "Content-Type: application/json", "--data", "{\"prompt\":\"hello\"}",
                "https://api.test/v1/chat");
        assertThat(post.exitCode()).as(post.describe()).isZero();
        assertThat(status(post)).isEqualTo(200);
        assertThat(body(post)).contains("\"method\":\"POST\"").contains("\"target\":\"/v1/chat\"");

        ExecResult denied = curl(44002, "--cert", certA.toString(), "--key", keyA.toString(),
                "https://api.test/admin/users");
        assertThat(status(denied)).as(denied.describe()).isEqualTo(403);
        JsonNode reason = JSON.readTree(body(denied));
        assertThat(reason.get("error").asText()).isEqualTo("policy_denied");
        assertThat(reason.get("rule").asText()).isEqualTo("default");
        assertThat(reason.get("message").asText()).contains("do not retry through other routes");
        assertThat(api.events("request")).as("the upstream never saw the denied request")
                .noneMatch(e -> e.get("target").asText().startsWith("/admin"));

        JsonNode flow = flowRecord(44001);
        assertThat(flow.get("verdict").asText()).isEqualTo("intercept");
        assertThat(flow.get("identity").get("agent_id").asText()).isEqualTo("agent-a");
        assertThat(flow.get("identity").get("auth").asText()).isEqualTo("mtls");
        JsonNode request = requestRecord(flow.get("flow_id").asText(), 1);
        assertThat(request.get("verdict").asText()).isEqualTo("relay");
        assertThat(request.get("rule").asText()).isEqualTo("api-write");
        assertThat(request.get("identity").get("auth").asText()).isEqualTo("mtls");
        JsonNode deniedRequest = requestRecord(flowRecord(44002).get("flow_id").asText(), 1);
        assertThat(deniedRequest.get("status").asInt()).isEqualTo(403);
        System.out.printf("%s mTLS POST relayed, GET /admin answered 403 by the gateway%n", tag());
    }

    // ---- acceptance 2: injected JWTs ---------------------------------------------------------------------------

    @Test
    @Order(2)
    void aValidTokenNamesItsAgentAndIsStrippedAndEachBadTokenGets407WithItsOwnCode() throws Exception {
        Instant now = Instant.now();
        Identity agentB = new Identity("agent-b", "qa", null, null, null, AuthMethod.JWT, true);
        JwtMinter minter = JwtMinter.fromPem(ISSUER, KID, jwtPrivatePem);
        String valid = minter.mint(agentB, AUDIENCE, now, Duration.ofHours(1));

        ExecResult ok = curl(44101, "-H", "Proxy-Authorization: Bearer " + valid, "https://api.test/v1/models");
        assertThat(status(ok)).as(ok.describe()).isEqualTo(200);
        JsonNode seen = Await.until(T, "the upstream saw the request", () -> api.events("request").stream()
                .filter(e -> e.get("target").asText().equals("/v1/models")).findFirst(), gateway::describe);
        assertThat(seen.get("headers").has("proxy-authorization")).as("identity header stripped").isFalse();
        JsonNode flow = flowRecord(44101);
        JsonNode request = requestRecord(flow.get("flow_id").asText(), 1);
        assertThat(request.get("identity").get("agent_id").asText()).isEqualTo("agent-b");
        assertThat(request.get("identity").get("auth").asText()).isEqualTo("jwt");

        String[] parts = valid.split("\\.");
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("jwt_expired", minter.mint(agentB, AUDIENCE, now.minus(Duration.ofHours(2)), Duration.ofHours(1)));
        char c = parts[2].charAt(10);
        bad.put("jwt_bad_signature", parts[0] + "." + parts[1] + "." + parts[2].substring(0, 10)
                + (c == 'A' ? 'B' : 'A') + parts[2].substring(11));
        bad.put("jwt_alg_none", b64("{\"alg\":\"none\",\"kid\":\"" + KID + "\",\"typ\":\"JWT\"}") + "."
                + parts[1] + ".");
        String hsHead = b64("{\"alg\":\"HS256\",\"kid\":\"" + KID + "\",\"typ\":\"JWT\"}") + "." + parts[1];
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(jwtPublicPem.getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
        bad.put("jwt_alg_hmac", hsHead + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(mac.doFinal(hsHead.getBytes(StandardCharsets.US_ASCII))));
        bad.put("jwt_wrong_audience", minter.mint(agentB, "someone-else", now, Duration.ofHours(1)));
        bad.put("jwt_wrong_issuer", JwtMinter.fromPem("other-idp", KID, jwtPrivatePem)
                .mint(agentB, AUDIENCE, now, Duration.ofHours(1)));
        bad.put("jwt_too_large", valid + "x".repeat(9000));
        int port = 44110;
        for (Map.Entry<String, String> e : bad.entrySet()) {
            ExecResult r = curl(port, "-H", "Proxy-Authorization: Bearer " + e.getValue(),
                    "https://api.test/v1/models?case=" + e.getKey());
            assertThat(status(r)).as(e.getKey() + "\n" + r.describe()).isEqualTo(407);
            assertThat(JSON.readTree(body(r)).get("error").asText()).as(e.getKey()).isEqualTo(e.getKey());
            assertThat(flowRecord(port).get("termination").asText()).isEqualTo("identity_invalid");
            port++;
        }
        assertThat(api.events("request")).as("no request with a bad token reached the upstream")
                .noneMatch(e -> e.get("target").asText().contains("case=jwt_"));
        System.out.printf("%s valid JWT attributed to agent-b and stripped; %d bad tokens -> 407 %s%n", tag(),
                bad.size(), bad.keySet());
    }

    // ---- acceptance 3: upstream TLS verified before anything is minted -----------------------------------------

    @Test
    @Order(3)
    void anUpstreamWithABadCertificateGetsNoLeafAndTheAgentsHandshakeFails() {
        int port = 44201;
        for (String host : List.of("selfsigned.test", "expired.test", "wrongname.test")) {
            ExecResult r = curl(port, "https://" + host + "/");
            assertThat(r.exitCode()).as(host + ": curl must fail in the TLS handshake\n" + r.describe())
                    .isEqualTo(35);
            JsonNode flow = flowRecord(port);
            assertThat(flow.get("verdict").asText()).isEqualTo("intercept");
            assertThat(flow.get("termination").asText()).as(host).isEqualTo("upstream_tls_invalid");
            assertThat(flow.get("detail").asText()).contains("no certificate minted");
            System.out.printf("%s %s: %s%n", tag(), host, flow.get("detail").asText());
            port++;
        }
    }

    // ---- acceptance 4: server-sent events stream through ------------------------------------------------------

    @Test
    @Order(4)
    void aServerSentEventStreamReachesTheAgentEventByEvent() {
        long before = System.currentTimeMillis();
        ExecResult r = topology.agent().exec(T, "sh", "-c", "curl -sS -N --max-time 20 --local-port 44301"
                + " --cacert " + interceptCa + " --cert " + certA + " --key " + keyA
                + " 'https://api.test/sse?count=30&interval_ms=100'"
                + " | while IFS= read -r line; do if [ -n \"$line\" ]; then echo \"$(date +%s%3N) $line\"; fi; done");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        List<long[]> events = new ArrayList<>(); // {received, sent}
        for (String line : r.stdout().split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 5 && f[1].equals("data:")) {
                events.add(new long[] {Long.parseLong(f[0]), Long.parseLong(f[4])});
            }
        }
        assertThat(events).as(r.stdout()).hasSize(30);
        long first = events.get(0)[0] - before;
        long worst = events.stream().mapToLong(e -> e[0] - e[1]).max().orElseThrow();
        System.out.printf("%s SSE: first event %d ms after curl started; worst event delay %d ms%n", tag(),
                first, worst);
        assertThat(first).as("first event within 500 ms").isLessThan(500);
        assertThat(worst).as("every event arrives as it is sent, not buffered to the end").isLessThan(500);
    }

    // ---- acceptance 5: smuggling attempts answered 400, the upstream never sees two requests -------------------

    @Test
    @Order(5)
    void requestSmugglingAttemptsAreAnswered400AndNeverReachTheUpstream() throws Exception {
        String host = "Host: api.test\r\n";
        String smuggled = "GET /v1/smuggled HTTP/1.1\r\n" + host + "\r\n";
        Map<String, String> corpus = new LinkedHashMap<>();
        corpus.put("cl_te", "POST /v1/a HTTP/1.1\r\n" + host + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n"
                + "\r\n0\r\n\r\n" + smuggled);
        corpus.put("te_cl", "POST /v1/a HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n"
                + "\r\n5c\r\n" + smuggled + "\r\n0\r\n\r\n");
        corpus.put("te_obfuscated", "POST /v1/a HTTP/1.1\r\n" + host + "Transfer-Encoding: xchunked\r\n"
                + "Content-Length: 4\r\n\r\n" + smuggled);
        corpus.put("te_tab", "POST /v1/a HTTP/1.1\r\n" + host + "Transfer-Encoding:\tchunked, identity\r\n\r\n0\r\n\r\n"
                + smuggled);
        corpus.put("duplicate_cl", "POST /v1/a HTTP/1.1\r\n" + host + "Content-Length: 0\r\nContent-Length: 44\r\n"
                + "\r\n" + smuggled);
        corpus.put("bare_lf", "POST /v1/a HTTP/1.1\n" + host + "Content-Length: 0\r\n\r\n" + smuggled);
        corpus.put("nul_in_header", "POST /v1/a HTTP/1.1\r\n" + host + "X-Note: a\0b\r\nContent-Length: 0\r\n\r\n"
                + smuggled);
        int requestsBefore = api.events("request").size();
        for (Map.Entry<String, String> c : corpus.entrySet()) {
            Path file = dir.resolve("smuggle-" + c.getKey() + ".bin");
            Files.write(file, c.getValue().getBytes(StandardCharsets.ISO_8859_1));
            ManagedProcess raw = Peer.spawn(topology.agent(), "raw-" + c.getKey(), topology.workDir(), "raw-client",
                    "--connect", "api.test:443", "--tls", "true", "--sni", "api.test", "--cafile", interceptCa.toString(),
                    "--cert", certA.toString(), "--key", keyA.toString(), "--send-file", file.toString());
            JsonNode done = raw.awaitEvent("done", T);
            String response = done.get("response_text").asText();
            assertThat(response).as(c.getKey()).startsWith("HTTP/1.1 400 ");
            assertThat(java.util.regex.Pattern.compile("(?m)^HTTP/1\\.1 \\d{3} ").matcher(response).results().count())
                    .as(c.getKey() + ": exactly one response").isEqualTo(1);
            String body = response.substring(response.indexOf("\r\n\r\n") + 4);
            System.out.printf("%s smuggling %s -> 400 %s%n", tag(), c.getKey(),
                    JSON.readTree(body).get("error").asText());
        }
        assertThat(api.events("request")).as("the upstream saw none of these requests")
                .hasSize(requestsBefore);
    }

    // ---- acceptance 6: disabling an agent closes its intercepted connections ----------------------------------

    @Test
    @Order(6)
    void disablingAnAgentClosesItsOpenInterceptedConnectionWithinASecondAndDeniesNewOnes() throws Exception {
        CompletableFuture<ExecResult> stream = CompletableFuture.supplyAsync(() -> curl(44601, "--cert",
                certA.toString(), "--key", keyA.toString(), "https://api.test/sse?count=200&interval_ms=100"));
        Await.until(T, "the long stream started", () -> api.events("request").stream()
                .anyMatch(e -> e.get("target").asText().startsWith("/sse?count=200")), gateway::describe);
        Instant disabling = Instant.now();
        ctl("agent", "disable", "agent-a", "--reason", "e2e: key leaked", "--state-dir", stateDir.toString());
        Instant disabled = Instant.now();
        ExecResult cut = stream.get(T.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        assertThat(cut.exitCode()).as("the stream was cut, not completed\n" + cut.describe()).isNotZero();
        JsonNode revoked = flowRecord(44601);
        assertThat(revoked.get("termination").asText()).isEqualTo("policy_revoked");
        Instant end = Instant.parse(revoked.get("start").asText())
                .plusNanos((long) (revoked.get("duration_ms").asDouble() * 1_000_000));
        Duration after = Duration.between(disabled, end);
        System.out.printf("%s intercepted flow of disabled agent-a closed %d ms after clawgressctl"
                + " returned (%d ms after it was started)%n", tag(), after.toMillis(),
                Duration.between(disabling, end).toMillis());
        assertThat(after).as("closed within 1 s of the disable").isLessThan(Duration.ofSeconds(1));

        ExecResult denied = curl(44602, "--cert", certA.toString(), "--key", keyA.toString(),
                "https://api.test/v1/models");
        assertThat(status(denied)).as(denied.describe()).isEqualTo(403);
        assertThat(JSON.readTree(body(denied)).get("rule").asText()).isEqualTo("agent_disabled");
        ctl("agent", "enable", "agent-a", "--state-dir", stateDir.toString());
    }

    // ---- plaintext keep-alive: every request decided, not only the first ------------------------------------

    @Test
    @Order(7)
    void onAPlaintextKeepAliveConnectionEachRequestIsDecidedOnItsOwn() throws Exception {
        ExecResult r = topology.agent().exec(T, "curl", "-sS", "--max-time", "20", "--local-port", "44701",
                "-w", "\n%{http_code} %{num_connects}\n", "http://api.test/v1/models", "http://api.test/admin/keys");
        String[] lines = r.stdout().split("\n");
        assertThat(r.stdout()).as(r.describe()).contains("\n200 1").contains("\n403 0");
        JsonNode flow = flowRecord(44701);
        assertThat(flow.get("detail").asText()).contains("http requests: 1 allowed, 1 denied");
        String flowId = flow.get("flow_id").asText();
        assertThat(requestRecord(flowId, 1).get("verdict").asText()).isEqualTo("relay");
        JsonNode second = requestRecord(flowId, 2);
        assertThat(second.get("verdict").asText()).isEqualTo("deny");
        assertThat(second.get("http_target").asText()).isEqualTo("/admin/keys");
        assertThat(second.get("identity").get("agent_id").asText()).isEqualTo("lab-machine");
        assertThat(apiPlain.events("request")).as("the upstream saw the first request only")
                .extracting(e -> e.get("target").asText()).containsExactly("/v1/models");
        System.out.printf("%s plaintext keep-alive: %s%n", tag(), String.join(" | ", lines));
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private String tag() {
        return "[e2e intercept " + transport() + "]";
    }

    private ManagedProcess peer(String name, String... args) {
        ManagedProcess p = Peer.spawn(topology.upstream(), name, topology.workDir(), args);
        p.awaitEvent("ready", T);
        origins.add(p);
        return p;
    }

    private ManagedProcess origin(String name, String ip, Path cert, Path key) {
        return peer(name, "origin-server", "--bind", ip, "--port", "443", "--tls-cert", cert.toString(),
                "--tls-key", key.toString());
    }

    /** curl from the agent over TLS trusting the exported intercept CA; writes "\n<status>" after the body. */
    private ExecResult curl(int localPort, String... args) {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "--local-port",
                Integer.toString(localPort), "--cacert", interceptCa.toString(), "-w", "\n%{http_code}"));
        cmd.addAll(List.of(args));
        return topology.agent().exec(T, cmd.toArray(String[]::new));
    }

    private static int status(ExecResult r) {
        String out = r.stdout();
        return Integer.parseInt(out.substring(out.lastIndexOf('\n') + 1).trim());
    }

    private static String body(ExecResult r) {
        String out = r.stdout();
        return out.substring(0, out.lastIndexOf('\n'));
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private JsonNode flowRecord(int sourcePort) {
        String source = "198.18.1.2:" + sourcePort;
        return recordWhere("the flow record of " + source, () -> gateway.flowRecords(),
                r -> r.path("source").asText().equals(source));
    }

    private JsonNode requestRecord(String flowId, int sequence) {
        return recordWhere("request " + sequence + " of flow " + flowId, () -> gateway.requestRecords(),
                r -> r.get("flow_id").asText().equals(flowId) && r.get("sequence").asInt() == sequence);
    }

    private JsonNode recordWhere(String what, java.util.function.Supplier<List<JsonNode>> records,
                                 Predicate<JsonNode> match) {
        return Await.until(T, what, () -> {
            List<JsonNode> found = records.get().stream().filter(match).toList();
            return found.isEmpty() ? Optional.empty() : Optional.of(found.get(found.size() - 1));
        }, gateway::describe);
    }

    private static String ctl(String... args) throws IOException, InterruptedException {
        return Clawgressctl.run(args);
    }
}
