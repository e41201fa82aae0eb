package io.clawgress.testing.netns;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Headless Chromium as a client: it resolves through the dns-server peer and speaks TLS to the tls-server. */
class BrowsersIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration CHROMIUM_TIMEOUT = Duration.ofSeconds(90);

    @TempDir
    Path work;

    @BeforeEach
    void privileges() {
        Privileges.requireOrSkip("ip", "sysctl", "openssl", Browsers.CHROMIUM);
    }

    @Test
    void chromiumLoadsAPageByNameFromTheGatewayNamespace() {
        TestPki pki = TestPki.create(work.resolve("pki"), "allowed.test");
        try (Topology t = Topology.create(work)) {
            ManagedProcess dns = NamesIT.startDns(t, work);
            t.gatewayUsesNameserver(NamesIT.ip("198.18.2.53"));
            ManagedProcess tls = Peer.spawn(t.upstream(), "tls", work, "tls-server", "--bind", "198.18.2.2",
                    "--port", "443", "--pkcs12", pki.pkcs12().toString(), "--password", pki.pkcs12Password());
            tls.awaitEvent("ready", WAIT);

            ExecResult r = Browsers.chromiumFetch(t.gateway(), "https://allowed.test/", work, CHROMIUM_TIMEOUT);

            assertThat(r.stdout()).as(r.describe())
                    .contains("hello from tls upstream 198.18.2.2:443 sni=allowed.test");
            JsonNode handshake = tls.awaitEvent("handshake", WAIT);
            assertThat(handshake.get("sni").asText()).isEqualTo("allowed.test");
            assertThat(handshake.get("alpn").asText()).as("Chromium falls back from h2").isEqualTo("http/1.1");
            assertThat(handshake.get("remote").asText()).startsWith("198.18.2.1:");
            assertThat(dns.events("query")).anySatisfy(q -> {
                assertThat(q.get("name").asText()).isEqualTo("allowed.test");
                assertThat(q.get("answers").toString()).isEqualTo("[\"198.18.2.2\"]");
            });
        }
    }
}
