package io.clawgress.testing.peer;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** dns-server and tls-server as separate JVMs on 127.0.0.1, spoken to by hand-built DNS and JDK TLS clients. */
class NamePeersLoopbackTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String LOOPBACK = "127.0.0.1";

    @TempDir
    Path dir;

    private final List<ManagedProcess> started = new ArrayList<>();

    @AfterEach
    void stopAll() {
        started.forEach(p -> p.stop(Duration.ofSeconds(2)));
    }

    private ManagedProcess peer(String name, String... args) {
        ManagedProcess p = Peer.spawnOnLoopback(name, dir, args);
        started.add(p);
        return p;
    }

    @Test
    void dnsServerAnswersOverUdpAndLogsEveryQuery() throws IOException {
        ManagedProcess dns = peer("dns", "dns-server", "--bind", LOOPBACK, "--port", "0",
                "--record", "allowed.test=198.18.2.2", "--record", "multi.test=198.18.2.2,198.18.2.3",
                "--ttl", "30");
        JsonNode ready = dns.awaitEvent("ready", WAIT);
        assertThat(ready.get("records").get("multi.test").toString()).isEqualTo("[\"198.18.2.2\",\"198.18.2.3\"]");
        assertThat(ready.get("ttl").asLong()).isEqualTo(30);
        InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), ready.get("port").asInt());

        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            client.setSoTimeout((int) WAIT.toMillis());
            DnsWire.Response multi = DnsWire.parse(exchange(client, server, DnsWire.query(0x1234, "Multi.Test", 1)));
            assertThat(multi.id()).isEqualTo(0x1234);
            assertThat(multi.rcode()).isZero();
            assertThat(multi.addresses()).containsExactly("198.18.2.2", "198.18.2.3");
            assertThat(multi.ttls()).containsOnly(30L);

            DnsWire.Response aaaa = DnsWire.parse(exchange(client, server, DnsWire.query(2, "allowed.test", 28)));
            assertThat(aaaa.rcode()).isZero();
            assertThat(aaaa.ancount()).isZero();

            DnsWire.Response unknown = DnsWire.parse(exchange(client, server, DnsWire.query(3, "nope.test", 1)));
            assertThat(unknown.rcode()).isEqualTo(DnsZone.NXDOMAIN);

            DnsWire.Response malformed = DnsWire.parse(exchange(client, server, new byte[]{0, 4, 0, 0, 0, 1, 0, 0,
                    0, 0, 0, 0, 7}));
            assertThat(malformed.rcode()).isEqualTo(DnsZone.FORMERR);

            String from = LOOPBACK + ":" + client.getLocalPort();
            List<JsonNode> queries = dns.awaitEvents("query", 3, WAIT);
            assertThat(queries).extracting(q -> q.get("name").asText() + " " + q.get("type").asText() + " "
                            + q.get("rcode").asText() + " " + q.get("answers") + " " + q.get("from").asText())
                    .containsExactly(
                            "multi.test A NOERROR [\"198.18.2.2\",\"198.18.2.3\"] " + from,
                            "allowed.test AAAA NOERROR [] " + from,
                            "nope.test A NXDOMAIN [] " + from);
            JsonNode bad = dns.awaitEvent("malformed", WAIT);
            assertThat(bad.get("rcode").asText()).isEqualTo("FORMERR");
            assertThat(bad.get("reason").asText()).contains("truncated");
        }
    }

    private static byte[] exchange(DatagramSocket client, InetSocketAddress server, byte[] query) throws IOException {
        client.send(new DatagramPacket(query, query.length, server));
        byte[] buf = new byte[4096];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        client.receive(p);
        return java.util.Arrays.copyOf(buf, p.getLength());
    }

    @Test
    void dnsServerRejectsABadCommandLine() {
        ManagedProcess p = peer("dns-bad", "dns-server", "--bind", LOOPBACK, "--port", "0",
                "--record", "allowed.test=::1");
        assertThat(p.waitForExit(WAIT)).isEqualTo(2);
        assertThat(p.stderrText()).contains("AAAA records are not served");
        ManagedProcess twice = peer("dns-twice", "dns-server", "--bind", LOOPBACK, "--port", "0", "--ttl", "1",
                "--ttl", "2");
        assertThat(twice.waitForExit(WAIT)).isEqualTo(2);
        assertThat(twice.stderrText()).contains("--ttl given 2 times");
    }

    @Test
    void tlsServerLogsSniAlpnAndAnswersOneRequest() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "allowed.test", "other.test");
        ManagedProcess tls = peer("tls", "tls-server", "--bind", LOOPBACK, "--port", "0",
                "--pkcs12", pki.pkcs12().toString(), "--password", pki.pkcs12Password());
        int port = tls.awaitEvent("ready", WAIT).get("port").asInt();
        SSLContext ctx = trusting(pki.caCert());

        String response = httpsGet(ctx, port, "allowed.test", null, new String[]{"h2", "http/1.1"});
        assertThat(response).startsWith("HTTP/1.1 200 OK\r\n")
                .endsWith("\r\n\r\nhello from tls upstream 127.0.0.1:" + port + " sni=allowed.test\n");
        JsonNode handshake = tls.awaitEvent("handshake", WAIT);
        assertThat(handshake.get("sni").asText()).isEqualTo("allowed.test");
        assertThat(handshake.get("alpn").asText()).as("h2 is not offered by default").isEqualTo("http/1.1");
        assertThat(handshake.get("protocol").asText()).isEqualTo("TLSv1.3");
        JsonNode request = tls.awaitEvent("request", WAIT);
        assertThat(request.get("sni").asText()).isEqualTo("allowed.test");
        assertThat(request.get("host").asText()).isEqualTo("allowed.test");

        String tls12 = httpsGet(ctx, port, "other.test", "TLSv1.2", null);
        assertThat(tls12).endsWith("sni=other.test\n");
        JsonNode second = tls.awaitEvents("handshake", 2, WAIT).get(1);
        assertThat(second.get("protocol").asText()).isEqualTo("TLSv1.2");
        assertThat(second.get("alpn").isNull()).as("the client offered no ALPN").isTrue();
        assertThat(tls.events("accept")).hasSize(2);
    }

    @Test
    void tlsServerRecordsConnectionsThatNeverHandshake() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "allowed.test");
        ManagedProcess tls = peer("tls", "tls-server", "--bind", LOOPBACK, "--port", "0",
                "--pkcs12", pki.pkcs12().toString(), "--password", pki.pkcs12Password(), "--alpn", "h2,http/1.1");
        int port = tls.awaitEvent("ready", WAIT).get("port").asInt();

        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            tls.awaitEvent("accept", WAIT);
        }
        JsonNode failed = tls.awaitEvent("handshake_failed", WAIT);
        assertThat(failed.get("reason").asText()).isEqualTo("eof");
        assertThat(tls.events("handshake")).isEmpty();

        // A client that does not trust our CA gives up during the handshake; the server still saw the accept.
        SSLContext untrusting = trusting(TestPki.create(dir.resolve("other-pki"), "allowed.test").caCert());
        assertThatThrownBy(() -> httpsGet(untrusting, port, "allowed.test", null, null))
                .isInstanceOf(SSLHandshakeException.class);
        assertThat(tls.awaitEvents("handshake_failed", 2, WAIT)).hasSize(2);
        assertThat(tls.events("accept")).hasSize(2);

        // With h2 offered and preferred by the client, h2 is what the handshake says (and HTTP/1.1 is all we speak).
        httpsGet(trusting(pki.caCert()), port, "allowed.test", null, new String[]{"h2", "http/1.1"});
        assertThat(tls.awaitEvent("handshake", WAIT).get("alpn").asText()).isEqualTo("h2");
    }

    private static SSLContext trusting(Path caPem) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** GET / over TLS to 127.0.0.1:port with SNI {@code host}, checking the certificate against {@code host}. */
    private static String httpsGet(SSLContext ctx, int port, String host, String protocol, String[] alpn)
            throws IOException {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout((int) WAIT.toMillis());
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(host)));
            p.setEndpointIdentificationAlgorithm("HTTPS");
            if (protocol != null) {
                p.setProtocols(new String[]{protocol});
            }
            if (alpn != null) {
                p.setApplicationProtocols(alpn);
            }
            s.setSSLParameters(p);
            s.startHandshake();
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            s.getInputStream().transferTo(got);
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
