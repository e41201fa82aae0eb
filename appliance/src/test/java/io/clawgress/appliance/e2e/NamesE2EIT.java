package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.testing.netns.Await;
import io.clawgress.testing.netns.Browsers;
import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.TestPki;
import io.clawgress.testing.netns.Topology;
import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Names end to end (issue 3): the agent resolves names through a DNS server in the upstream namespace and speaks
 * TLS (SNI) and HTTP (Host) to real servers; the gateway peeks, decides on the claimed name, and binds it to an
 * address it resolved itself — so an allowed name cannot carry the agent to another address.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NamesE2EIT {

    static final Duration T = Duration.ofSeconds(30);
    static final String ALLOWED_IP = "198.18.2.2";
    static final String DENIED_IP = "198.18.2.3";
    static final String DNS_IP = "198.18.2.53";

    Topology topology;
    TestPki pki;
    GatewayProcess gateway;
    ManagedProcess dns;
    ManagedProcess tlsAllowed;
    ManagedProcess tlsDenied;
    ManagedProcess httpAllowed;
    ManagedProcess httpDenied;

    @BeforeAll
    void start() throws IOException {
        Privileges.requireOrSkip("ip", "iptables", "curl", "openssl", "socat", Browsers.CHROMIUM);
        Path dir = Files.createTempDirectory("clawgress-e2e-names-");
        pki = TestPki.create(dir.resolve("pki"), "allowed.test", "denied.test", "pinned.test", "nowhere.test",
                "loopback.test");
        topology = Topology.create(dir);
        topology.addUpstreamAddress(DENIED_IP);
        InetAddress dnsIp = topology.addUpstreamAddress(DNS_IP);
        dns = peer("dns", "dns-server", "--bind", DNS_IP, "--port", "53",
                "--record", "allowed.test=" + ALLOWED_IP, "--record", "denied.test=" + DENIED_IP,
                "--record", "pinned.test=" + ALLOWED_IP, "--record", "loopback.test=127.0.0.1");
        tlsAllowed = peer("tls-allowed", "tls-server", "--bind", ALLOWED_IP, "--port", "443",
                "--pkcs12", pki.pkcs12().toString(), "--password", pki.pkcs12Password());
        tlsDenied = peer("tls-denied", "tls-server", "--bind", DENIED_IP, "--port", "443",
                "--pkcs12", pki.pkcs12().toString(), "--password", pki.pkcs12Password());
        httpAllowed = peer("http-allowed", "http-server", "--bind", ALLOWED_IP, "--port", "80");
        httpDenied = peer("http-denied", "http-server", "--bind", DENIED_IP, "--port", "80");
        topology.agentUsesNameserver(dnsIp);

        topology.installTproxy(15001).assertOk("clawgress-tproxy up");
        Path records = dir.resolve("audit");
        SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
        Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, SignedPolicy.agentPolicy("""
                  - {id: allowed-name, action: allow, destinations: [{host: allowed.test, ports: [80, 443]}]}
                  - id: pinned-name
                    action: allow
                    destinations: [{host: pinned.test, ports: [443], dial: original_if_resolved}]
                  - id: unresolvable
                    action: allow
                    destinations: [{host: nowhere.test, ports: [443]}, {host: loopback.test, ports: [443]}]
                """)));
        gateway = topology.startGateway("""
                listener: {port: 15001, transport: epoll}
                timeouts: {upstream_connect: 2s, idle: 30s}
                peek: {timeout: 1s, server_first_ports: [22]}
                dns: {servers: ["%s"], query_timeout: 1s}
                audit: {dir: %s}
                """.formatted(DNS_IP, records) + signed.configSection(dir.resolve("state"), bundle, null), records);
    }

    private ManagedProcess peer(String name, String... args) {
        ManagedProcess p = Peer.spawn(topology.upstream(), name, topology.workDir(), args);
        p.awaitEvent("ready", T);
        return p;
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
    void curlToAnAllowedNameSucceedsAndTheRecordShowsSniAlpnAndTheDialledAddress() {
        ExecResult curl = curl(43001, "https://allowed.test/");
        assertThat(curl.exitCode()).as(curl.describe()).isZero();
        assertThat(curl.stdout()).startsWith("hello from tls upstream " + ALLOWED_IP + ":443 sni=allowed.test");
        JsonNode r = record(43001);
        assertThat(r.get("verdict").asText()).isEqualTo("relay");
        assertThat(r.get("rule").asText()).isEqualTo("allowed-name");
        assertThat(r.get("peek").asText()).isEqualTo("tls");
        assertThat(r.get("sni").asText()).isEqualTo("allowed.test");
        assertThat(r.get("alpn").toString()).isEqualTo("[\"h2\",\"http/1.1\"]");
        assertThat(r.get("ech_offered").asBoolean()).isFalse();
        assertThat(r.get("dialled").asText()).isEqualTo(ALLOWED_IP + ":443");
        assertThat(r.get("termination").asText()).isEqualTo("completed");
    }

    @Test
    void chromiumToAnAllowedNameSucceeds() {
        ExecResult page = Browsers.chromiumFetch(topology.agent(), "https://allowed.test/", topology.workDir(),
                Duration.ofSeconds(90));
        assertThat(page.stdout()).as(page.describe())
                .contains("hello from tls upstream " + ALLOWED_IP + ":443 sni=allowed.test");
        JsonNode r = awaitRecord(rec -> "allowed.test".equals(text(rec, "sni")) && rec.get("alpn").size() > 0
                && !rec.get("source").asText().endsWith(":43001"));
        assertThat(r.get("verdict").asText()).isEqualTo("relay");
        assertThat(r.get("alpn").toString()).contains("http/1.1");
        assertThat(r.get("dialled").asText()).isEqualTo(ALLOWED_IP + ":443");
    }

    @Test
    void aDeniedNameIsResetAndItsServerSeesNothing() {
        ExecResult curl = curl(43003, "https://denied.test/");
        DataPathE2E.assertReset(curl);
        JsonNode r = record(43003);
        assertThat(r.get("sni").asText()).isEqualTo("denied.test");
        assertThat(r.get("rule").asText()).isEqualTo("default");
        assertThat(r.get("termination").asText()).isEqualTo("policy_denied");
        assertThat(tlsDenied.events("accept")).as("denied upstream saw no connection").isEmpty();
    }

    @Test
    void anAllowedSniAimedAtAnotherAddressNeverReachesIt() {
        // curl claims allowed.test but connects to the denied upstream's address: the SNI bypass.
        ExecResult curl = curl(43004, "https://allowed.test/", "--resolve", "allowed.test:443:" + DENIED_IP);
        assertThat(curl.exitCode()).as(curl.describe()).isZero();
        assertThat(curl.stdout()).startsWith("hello from tls upstream " + ALLOWED_IP + ":443");
        JsonNode r = record(43004);
        assertThat(r.get("original_destination").asText()).isEqualTo(DENIED_IP + ":443");
        assertThat(r.get("dialled").asText()).isEqualTo(ALLOWED_IP + ":443");
        assertThat(r.get("detail").asText()).contains("original destination " + DENIED_IP
                + " is not an address of allowed.test");
        assertThat(tlsDenied.events("accept")).as("denied upstream saw no connection").isEmpty();
    }

    @Test
    void anAllowedHostHeaderAimedAtAnotherAddressNeverReachesIt() {
        ExecResult curl = curl(43005, "http://" + DENIED_IP + "/", "-H", "Host: allowed.test");
        assertThat(curl.exitCode()).as(curl.describe()).isZero();
        assertThat(curl.stdout()).startsWith("hello from upstream " + ALLOWED_IP + ":80");
        JsonNode r = record(43005);
        assertThat(r.get("peek").asText()).isEqualTo("http");
        assertThat(r.get("http_host").asText()).isEqualTo("allowed.test");
        assertThat(r.get("http_method").asText()).isEqualTo("GET");
        assertThat(r.get("dialled").asText()).isEqualTo(ALLOWED_IP + ":80");
        assertThat(r.get("detail").asText()).contains("is not an address of allowed.test");
        assertThat(httpDenied.events("accept")).as("denied upstream saw no connection").isEmpty();
    }

    @Test
    void aPinnedNameAtTheWrongAddressIsANameAddressMismatch() {
        ExecResult curl = curl(43006, "https://pinned.test/", "--resolve", "pinned.test:443:" + DENIED_IP);
        DataPathE2E.assertReset(curl);
        JsonNode r = record(43006);
        assertThat(r.get("verdict").asText()).isEqualTo("deny");
        assertThat(r.get("termination").asText()).isEqualTo("name_address_mismatch");
        assertThat(r.get("reason").asText()).isEqualTo("pinned.test resolves to [" + ALLOWED_IP
                + "], not to the original destination " + DENIED_IP);
        assertThat(tlsDenied.events("accept")).isEmpty();
    }

    @Test
    void tlsWithoutSniIsDeniedAsSniMissing() {
        ExecResult s = topology.agent().execWithStdin(T, new byte[0], "openssl", "s_client", "-connect",
                ALLOWED_IP + ":443", "-noservername", "-bind", "198.18.1.2:43007");
        assertThat(s.exitCode()).as(s.describe()).isNotZero();
        JsonNode r = record(43007);
        assertThat(r.get("peek").asText()).isEqualTo("tls");
        assertThat(r.has("sni")).isFalse();
        assertThat(r.get("termination").asText()).isEqualTo("sni_missing");
    }

    @Test
    void namesThatDoNotResolveOrResolveToLoopbackAreRefused() {
        DataPathE2E.assertReset(curl(43008, "https://nowhere.test/", "--resolve", "nowhere.test:443:" + ALLOWED_IP));
        JsonNode nx = record(43008);
        assertThat(nx.get("termination").asText()).isEqualTo("name_resolution_failed");
        assertThat(nx.get("reason").asText()).startsWith("cannot resolve nowhere.test");

        DataPathE2E.assertReset(curl(43009, "https://loopback.test/", "--resolve",
                "loopback.test:443:" + ALLOWED_IP));
        JsonNode lo = record(43009);
        assertThat(lo.get("termination").asText()).isEqualTo("name_resolution_failed");
        assertThat(lo.get("reason").asText()).contains("loopback");
    }

    @Test
    void aClientThatSendsNothingIsClosedAtThePeekDeadlineAndServerFirstPortsDoNotWait() {
        ManagedProcess quiet = Peer.spawn(topology.agent(), "quiet-443", topology.workDir(),
                "hold-client", "--connect", ALLOWED_IP + ":443", "--timeout-seconds", "20");
        assertThat(quiet.awaitEvent("done", T).get("ended").asText()).isEqualTo("reset");
        JsonNode r = awaitRecord(rec -> rec.get("original_destination").asText().equals(ALLOWED_IP + ":443")
                && rec.get("termination").asText().equals("peek_timeout"));
        assertThat(r.get("duration_ms").asDouble()).isBetween(900.0, 3000.0);

        ManagedProcess ssh = Peer.spawn(topology.agent(), "quiet-22", topology.workDir(),
                "hold-client", "--connect", ALLOWED_IP + ":22", "--timeout-seconds", "20");
        assertThat(ssh.awaitEvent("done", T).get("ended").asText()).isEqualTo("reset");
        JsonNode s = awaitRecord(rec -> rec.get("original_destination").asText().equals(ALLOWED_IP + ":22"));
        assertThat(s.get("peek").asText()).isEqualTo("none");
        assertThat(s.get("termination").asText()).isEqualTo("policy_denied");
        assertThat(s.get("duration_ms").asDouble()).as("decided without waiting for the 1 s peek").isLessThan(500);
    }

    @Test
    void quicFromTheAgentFailsFastWithAnIcmpReject() {
        ExecResult udp = topology.agent().execWithStdin(T, "quic?".getBytes(), "socat", "-T", "3", "-",
                "UDP:" + ALLOWED_IP + ":443");
        assertThat(udp.exitCode()).as(udp.describe()).isNotZero();
        assertThat(udp.stderr()).contains("Connection refused");
        assertThat(udp.elapsed()).as("ICMP port unreachable, not a silent drop").isLessThan(Duration.ofSeconds(1));
    }

    ExecResult curl(int localPort, String url, String... extra) {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("curl", "-sS", "--max-time", "10",
                "--cacert", pki.caCert().toString(), "--local-port", Integer.toString(localPort),
                "-w", "\n%{http_code} %{size_request} %{size_header} %{size_download} %{time_total}"));
        cmd.addAll(java.util.List.of(extra));
        cmd.add(url);
        return topology.agent().exec(T, cmd.toArray(String[]::new));
    }

    JsonNode record(int sourcePort) {
        return awaitRecord(r -> r.get("source").asText().equals("198.18.1.2:" + sourcePort));
    }

    JsonNode awaitRecord(Predicate<JsonNode> match) {
        return Await.until(T, "a flow record", () -> gateway.flowRecords().stream().filter(match).findFirst()
                .map(Optional::of).orElse(Optional.empty()), () -> gateway.describe());
    }

    static String text(JsonNode n, String field) {
        return n.has(field) ? n.get(field).asText() : null;
    }
}
