package io.clawgress.testing.netns;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Names inside the topology: the dns-server peer in the upstream namespace answers the agent's resolver (through
 * the gateway, plain UDP forwarding) and the gateway's; curl reaches the tls-server by name with the test CA. No
 * TPROXY here: these are the fixtures the gateway's name tests stand on.
 */
class NamesIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String DNS_IP = "198.18.2.53";

    @TempDir
    Path work;

    @BeforeEach
    void privileges() {
        Privileges.requireOrSkip("ip", "sysctl", "getent", "curl", "openssl");
    }

    /** An IP literal as an address (no lookup happens for a literal). */
    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    static ManagedProcess startDns(Topology t, Path work) {
        t.addUpstreamAddress(DNS_IP);
        ManagedProcess dns = Peer.spawn(t.upstream(), "dns", work, "dns-server", "--bind", DNS_IP, "--port", "53",
                "--record", "allowed.test=198.18.2.2", "--record", "multi.test=198.18.2.2,198.18.2.3");
        dns.awaitEvent("ready", WAIT);
        return dns;
    }

    @Test
    void agentResolvesThroughTheDnsPeerInTheUpstream() throws IOException {
        String hostResolvConf = Files.readString(Path.of("/etc/resolv.conf"));
        Path etcDir;
        try (Topology t = Topology.create(work)) {
            ManagedProcess dns = startDns(t, work);
            t.addUpstreamAddress("198.18.2.3");
            Path resolvConf = t.agentUsesNameserver(ip(DNS_IP));
            etcDir = t.agent().etcDir();
            assertThat(resolvConf).isEqualTo(etcDir.resolve("resolv.conf"));
            assertThat(t.agent().execOk(WAIT, "cat", "/etc/resolv.conf").stdout())
                    .contains("nameserver " + DNS_IP + "\n").doesNotContain("search");
            assertThat(t.agent().execOk(WAIT, "cat", "/etc/nsswitch.conf").stdout()).containsPattern(
                    "(?m)^hosts: files dns$");

            ExecResult allowed = t.agent().execOk(WAIT, "getent", "hosts", "allowed.test");
            assertThat(allowed.stdout().trim().split("\\s+")).containsExactly("198.18.2.2", "allowed.test");
            ExecResult multi = t.agent().execOk(WAIT, "getent", "ahostsv4", "multi.test");
            assertThat(multi.stdout().lines().map(l -> l.split("\\s+")[0]).distinct())
                    .containsExactlyInAnyOrder("198.18.2.2", "198.18.2.3");
            ExecResult unknown = t.agent().exec(WAIT, "getent", "hosts", "nope.test");
            assertThat(unknown.exitCode()).as(unknown.describe()).isEqualTo(2); // "key not found"

            List<JsonNode> queries = dns.events("query");
            assertThat(queries).isNotEmpty()
                    .allSatisfy(q -> assertThat(q.get("from").asText()).startsWith("198.18.1.2:"));
            assertThat(queries).anySatisfy(q -> {
                assertThat(q.get("name").asText()).isEqualTo("allowed.test");
                assertThat(q.get("type").asText()).isEqualTo("A");
                assertThat(q.get("answers").toString()).isEqualTo("[\"198.18.2.2\"]");
            });
            assertThat(queries).anySatisfy(q -> {
                assertThat(q.get("name").asText()).isEqualTo("nope.test");
                assertThat(q.get("rcode").asText()).isEqualTo("NXDOMAIN");
            });
            // The gateway namespace was not pointed anywhere: it still has the host's resolver config.
            assertThat(t.gateway().execOk(WAIT, "cat", "/etc/resolv.conf").stdout()).isEqualTo(hostResolvConf);
            assertThat(Files.exists(t.gateway().etcDir())).isFalse();
        }
        assertThat(etcDir).doesNotExist();
        assertThat(Files.readString(Path.of("/etc/resolv.conf"))).isEqualTo(hostResolvConf);
    }

    @Test
    void curlReachesTheTlsServerByNameWithTheTestCa() {
        TestPki pki = TestPki.create(work.resolve("pki"), "allowed.test");
        try (Topology t = Topology.create(work)) {
            startDns(t, work);
            t.gatewayUsesNameserver(ip(DNS_IP));
            t.agentUsesNameserver(ip(DNS_IP));
            ManagedProcess tls = Peer.spawn(t.upstream(), "tls", work, "tls-server", "--bind", "198.18.2.2",
                    "--port", "443", "--pkcs12", pki.pkcs12().toString(), "--password", pki.pkcs12Password());
            tls.awaitEvent("ready", WAIT);

            // The direct path: from the gateway namespace, no TPROXY anywhere.
            ExecResult direct = t.gateway().execOk(WAIT, "curl", "-sS", "--max-time", "10", "--cacert",
                    pki.caCert().toString(), "https://allowed.test/");
            assertThat(direct.stdout()).isEqualTo("hello from tls upstream 198.18.2.2:443 sni=allowed.test\n");
            JsonNode handshake = tls.awaitEvent("handshake", WAIT);
            assertThat(handshake.get("sni").asText()).isEqualTo("allowed.test");
            assertThat(handshake.get("alpn").asText()).isEqualTo("http/1.1");
            assertThat(handshake.get("remote").asText()).startsWith("198.18.2.1:");

            // Routed from the agent (no capture installed, so the gateway only forwards).
            ExecResult routed = t.agent().execOk(WAIT, "curl", "-sS", "--max-time", "10", "--cacert",
                    pki.caCert().toString(), "https://allowed.test/");
            assertThat(routed.stdout()).isEqualTo(direct.stdout());
            JsonNode second = tls.awaitEvents("handshake", 2, WAIT).get(1);
            assertThat(second.get("remote").asText()).startsWith("198.18.1.2:");
            assertThat(tls.events("request")).extracting(r -> r.get("host").asText())
                    .containsExactly("allowed.test", "allowed.test");
            assertThat(tls.events("error")).isEmpty();
            assertThat(tls.events("handshake_failed")).isEmpty();
        }
    }

    @Test
    void nameserverMustLiveInTheTopology() {
        try (Topology t = Topology.create(work)) {
            assertThatThrownBy(() -> t.agentUsesNameserver(ip("198.51.100.53")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("198.51.100.53");
            assertThat(Files.exists(t.agent().etcDir())).isFalse();
        }
    }
}
