package io.clawgress.testing.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code origin-server} as a separate JVM on 127.0.0.1, spoken to byte by byte. */
class OriginServerTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String IGNORED = "GET /ignored HTTP/1.1\r\nHost: origin.test\r\n\r\n";

    @TempDir
    Path dir;

    private final List<ManagedProcess> started = new ArrayList<>();

    @AfterEach
    void stopAll() {
        started.forEach(p -> p.stop(Duration.ofSeconds(2)));
    }

    private ManagedProcess origin(String... extra) {
        List<String> args = new ArrayList<>(List.of("origin-server", "--bind", "127.0.0.1", "--port", "0"));
        args.addAll(List.of(extra));
        ManagedProcess p = Peer.spawnOnLoopback("origin", dir, args.toArray(String[]::new));
        started.add(p);
        return p;
    }

    @Test
    void keepAliveAndPipelinedRequestsAreEachLoggedWithTheirFieldsInOrder() throws IOException {
        ManagedProcess origin = origin();
        int port = origin.awaitEvent("ready", WAIT).get("port").asInt();
        try (Socket s = connect(port)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            send(out, "GET /first?x=1 HTTP/1.1\r\nHost: origin.test\r\nX-Probe: one\r\nX-Probe: two\r\n"
                    + "User-Agent: raw\r\n\r\n");
            Response first = Response.read(in, false);
            send(out, "POST /second HTTP/1.1\r\nHost: origin.test\r\nContent-Length: 5\r\n\r\nhello");
            Response second = Response.read(in, false);
            // Two requests in one segment are two requests: what a smuggled request would look like. Nothing after
            // the one that asks to close is read as a request (RFC 9112 §9.6), only counted.
            send(out, "GET /third HTTP/1.1\r\nHost: origin.test\r\n\r\n"
                    + "GET /fourth HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n\r\n" + IGNORED);
            Response third = Response.read(in, false);
            Response fourth = Response.read(in, false);
            assertThat(in.read()).as("closed after Connection: close").isEqualTo(-1);

            assertThat(first.status()).isEqualTo(200);
            assertThat(first.header("content-type")).isEqualTo("application/json");
            JsonNode firstBody = JSON.readTree(first.body());
            assertThat(firstBody.get("method").asText()).isEqualTo("GET");
            assertThat(firstBody.get("target").asText()).isEqualTo("/first?x=1");
            assertThat(firstBody.get("seq").asInt()).isEqualTo(1);
            assertThat(JSON.readTree(second.body()).get("seq").asInt()).isEqualTo(2);
            assertThat(JSON.readTree(second.body()).get("body_sha256").asText()).isEqualTo(sha256("hello"));
            assertThat(third.header("x-origin-seq")).isEqualTo("3");
            assertThat(fourth.header("x-origin-seq")).isEqualTo("4");
            assertThat(fourth.header("connection")).isEqualTo("close");
        }

        List<JsonNode> requests = origin.awaitEvents("request", 4, WAIT);
        assertThat(requests).extracting(r -> r.get("seq").asInt()).containsExactly(1, 2, 3, 4);
        assertThat(requests).extracting(r -> r.get("target").asText())
                .containsExactly("/first?x=1", "/second", "/third", "/fourth");
        assertThat(requests).extracting(r -> r.get("connection").asLong()).containsOnly(1L);
        JsonNode first = requests.get(0);
        assertThat(first.get("method").asText()).isEqualTo("GET");
        assertThat(first.get("version").asText()).isEqualTo("HTTP/1.1");
        assertThat(first.get("remote").asText()).startsWith("127.0.0.1:");
        assertThat(names(first.get("headers"))).containsExactly("host", "x-probe", "user-agent");
        assertThat(first.get("headers").get("x-probe")).extracting(JsonNode::asText).containsExactly("one", "two");
        assertThat(first.get("headers").has("proxy-authorization")).isFalse();
        assertThat(first.get("framing").asText()).isEqualTo("none");
        assertThat(first.get("body_bytes").asLong()).isZero();
        JsonNode post = requests.get(1);
        assertThat(post.get("framing").asText()).isEqualTo("content-length");
        assertThat(post.get("body_bytes").asLong()).isEqualTo(5);
        assertThat(post.get("body_sha256").asText()).isEqualTo(sha256("hello"));
        JsonNode closed = origin.awaitEvent("connection_closed", WAIT);
        assertThat(closed.get("requests").asInt()).isEqualTo(4);
        assertThat(closed.get("ended").asText()).isEqualTo("client_close");
        assertThat(closed.get("unread_bytes").asInt()).isEqualTo(IGNORED.length());
        assertThat(origin.events("request")).hasSize(4);
        assertThat(origin.events("connection").get(0).get("tls").asBoolean()).isFalse();
    }

    @Test
    void chunkedPostAfter100ContinueArrivesIntactWithItsTrailers() throws IOException {
        ManagedProcess origin = origin();
        int port = origin.awaitEvent("ready", WAIT).get("port").asInt();
        byte[] body = new byte[70_000];
        new Random(42).nextBytes(body);
        try (Socket s = connect(port)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            send(out, "POST /upload HTTP/1.1\r\nHost: origin.test\r\nTransfer-Encoding: chunked\r\n"
                    + "Expect: 100-continue\r\n\r\n");
            Response interim = Response.read(in, false);
            assertThat(interim.status()).isEqualTo(100);

            int[] sizes = {1, 0x10, 40_000, 29_983};
            int off = 0;
            for (int i = 0; i < sizes.length; i++) {
                // Extensions (RFC 9112 §7.1.1) on some chunks, in both value forms.
                String ext = i == 1 ? " ; name=value" : i == 2 ? ";q=\"a \\\"quoted\\\" value\"" : "";
                send(out, Integer.toHexString(sizes[i]).toUpperCase(Locale.ROOT) + ext + "\r\n");
                out.write(body, off, sizes[i]);
                send(out, "\r\n");
                off += sizes[i];
            }
            assertThat(off).isEqualTo(body.length);
            send(out, "0\r\nX-Checksum: 1234\r\n\r\n");
            Response response = Response.read(in, false);
            assertThat(response.status()).isEqualTo(200);
            assertThat(JSON.readTree(response.body()).get("body_sha256").asText()).isEqualTo(sha256(body));
        }
        JsonNode request = origin.awaitEvent("request", WAIT);
        assertThat(request.get("framing").asText()).isEqualTo("chunked");
        assertThat(request.get("body_bytes").asLong()).isEqualTo(body.length);
        assertThat(request.get("body_sha256").asText()).isEqualTo(sha256(body));
        assertThat(request.get("trailers").get("x-checksum").get(0).asText()).isEqualTo("1234");
        assertThat(request.get("continue_sent").asBoolean()).isTrue();
        assertThat(request.get("headers").get("expect").get(0).asText()).isEqualTo("100-continue");
    }

    @Test
    void sseEventsArriveOneChunkEachWhileTheStreamIsStillRunning() throws IOException {
        ManagedProcess origin = origin();
        int port = origin.awaitEvent("ready", WAIT).get("port").asInt();
        int count = 5;
        try (Socket s = connect(port)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            send(s.getOutputStream(), "GET /sse?count=" + count + "&interval_ms=300 HTTP/1.1\r\nHost: o\r\n\r\n");
            Response head = Response.readHead(in);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-type")).isEqualTo("text/event-stream");
            assertThat(head.header("cache-control")).isEqualTo("no-cache");
            assertThat(head.header("transfer-encoding")).isEqualTo("chunked");

            String firstEvent = new String(readChunk(in), StandardCharsets.UTF_8);
            long firstReceived = System.currentTimeMillis();
            List<String> events = new ArrayList<>(List.of(firstEvent));
            for (byte[] chunk; (chunk = readChunk(in)) != null; ) {
                events.add(new String(chunk, StandardCharsets.UTF_8));
            }
            assertThat(events).hasSize(count);
            for (int i = 0; i < count; i++) {
                assertThat(events.get(i)).as("one event per chunk").matches("data: event " + (i + 1) + " \\d+\n\n");
            }
            // Same clock on both ends: the first event was here before the server even wrote the last one.
            long lastSent = Long.parseLong(events.get(count - 1).trim().split(" ")[3]);
            assertThat(firstReceived).isLessThan(lastSent);
        }
        JsonNode response = origin.awaitEvent("response", WAIT);
        assertThat(response.get("status").asInt()).isEqualTo(200);
    }

    @Test
    void chunkedRouteSendsPatternChunksAndAFinalLine() throws IOException {
        ManagedProcess origin = origin();
        int port = origin.awaitEvent("ready", WAIT).get("port").asInt();
        try (Socket s = connect(port)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            send(s.getOutputStream(), "GET /chunked?n=3&size=5000&seed=7 HTTP/1.1\r\nHost: o\r\n\r\n");
            Response r = Response.read(in, false);
            assertThat(r.header("content-type")).isEqualTo("application/octet-stream");
            assertThat(r.chunks()).extracting(c -> c.length).containsExactly(5000, 5000, 5000,
                    r.chunks().get(3).length);
            String expected = Peer.patternSha256(7, 15_000);
            assertThat(sha256(Arrays.copyOf(r.body(), 15_000))).isEqualTo(expected);
            assertThat(new String(r.chunks().get(3), StandardCharsets.UTF_8))
                    .isEqualTo("end chunks=3 size=5000 sha256=" + expected + "\n");
        }
    }

    @Test
    void headGetsTheFieldsOfGetWithoutABodyAndStatusRoutesFrameCorrectly() throws IOException {
        ManagedProcess origin = origin();
        int port = origin.awaitEvent("ready", WAIT).get("port").asInt();
        try (Socket s = connect(port)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            // Each response is read before the next request: a stray body byte would break the next status line.
            send(out, "HEAD /x HTTP/1.1\r\nHost: o\r\n\r\n");
            Response head = Response.read(in, true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(Integer.parseInt(head.header("content-length"))).isPositive();
            send(out, "HEAD /sse HTTP/1.1\r\nHost: o\r\n\r\n");
            assertThat(Response.read(in, true).header("transfer-encoding")).isEqualTo("chunked");
            send(out, "GET /status/204 HTTP/1.1\r\nHost: o\r\n\r\n");
            Response noContent = Response.read(in, false);
            assertThat(noContent.status()).isEqualTo(204);
            assertThat(noContent.header("content-length")).isNull();
            send(out, "GET /status/418 HTTP/1.1\r\nHost: o\r\n\r\n");
            Response teapot = Response.read(in, false);
            assertThat(teapot.status()).isEqualTo(418);
            assertThat(new String(teapot.body(), StandardCharsets.UTF_8)).isEqualTo("status 418\n");
            send(out, "GET /x HTTP/1.1\r\nHost: o\r\n\r\n");
            Response get = Response.read(in, false);
            assertThat(get.header("x-origin-seq")).isEqualTo("5");
            assertThat(get.body()).isNotEmpty();
            s.shutdownOutput();
            assertThat(in.read()).isEqualTo(-1);
        }
        List<JsonNode> responses = origin.awaitEvents("response", 5, WAIT);
        assertThat(responses.get(0).get("body_bytes").asLong()).isZero();
        JsonNode closed = origin.awaitEvent("connection_closed", WAIT);
        assertThat(closed.get("requests").asInt()).isEqualTo(5);
        assertThat(closed.get("ended").asText()).isEqualTo("eof");

        try (Socket s = connect(port)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            send(s.getOutputStream(), "GET /close HTTP/1.1\r\nHost: o\r\n\r\n");
            Response r = Response.read(in, false);
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(JSON.readTree(r.body()).get("connection").asInt()).isEqualTo(2);
            assertThat(in.read()).as("closed after the body").isEqualTo(-1);
        }
        JsonNode serverClosed = origin.awaitEvents("connection_closed", 2, WAIT).get(1);
        assertThat(serverClosed.get("ended").asText()).isEqualTo("server_close");
    }

    @Test
    void httpsSelectsHttp11FromAlpnAndLogsSni() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "origin.test");
        ManagedProcess origin = origin("--tls-cert", pki.leafCert().toString(), "--tls-key", pki.leafKey().toString());
        JsonNode ready = origin.awaitEvent("ready", WAIT);
        assertThat(ready.get("tls").asBoolean()).isTrue();
        int port = ready.get("port").asInt();
        SSLContext client = trusting(pki.caCert());

        try (SSLSocket s = tls(client, port, "h2", "http/1.1")) {
            assertThat(s.getApplicationProtocol()).isEqualTo("http/1.1");
            InputStream in = new BufferedInputStream(s.getInputStream());
            send(s.getOutputStream(), "GET /a HTTP/1.1\r\nHost: origin.test\r\n\r\n");
            assertThat(Response.read(in, false).status()).isEqualTo(200);
            send(s.getOutputStream(), "GET /b HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n\r\n");
            assertThat(Response.read(in, false).header("x-origin-seq")).isEqualTo("2");
        }
        JsonNode connection = origin.awaitEvent("connection", WAIT);
        assertThat(connection.get("tls").asBoolean()).isTrue();
        assertThat(connection.get("sni").asText()).isEqualTo("origin.test");
        assertThat(connection.get("alpn").asText()).isEqualTo("http/1.1");
        assertThat(connection.get("protocol").asText()).isEqualTo("TLSv1.3");
        List<JsonNode> requests = origin.awaitEvents("request", 2, WAIT);
        assertThat(requests).extracting(r -> r.get("sni").asText()).containsOnly("origin.test");

        // Offered h2 only: no ALPN is selected and the handshake still succeeds.
        try (SSLSocket s = tls(client, port, "h2")) {
            assertThat(s.getApplicationProtocol()).isEmpty();
        }
        JsonNode noAlpn = origin.awaitEvents("connection", 2, WAIT).get(1);
        assertThat(noAlpn.get("alpn").isNull()).isTrue();
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

    private static SSLSocket tls(SSLContext ctx, int port, String... alpn) throws IOException {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(connect(port), "origin.test", port, true);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("origin.test")));
        p.setEndpointIdentificationAlgorithm("HTTPS");
        p.setApplicationProtocols(alpn);
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    /** Malformed input, one connection each, against one server: a 400 (or what RFC 9112 says) and the reason. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class MalformedInput {

        private ManagedProcess origin;
        private int port;

        @BeforeAll
        void start(@TempDir Path logs) {
            origin = Peer.spawnOnLoopback("origin-malformed", logs, "origin-server", "--bind", "127.0.0.1",
                    "--port", "0");
            port = origin.awaitEvent("ready", WAIT).get("port").asInt();
        }

        @AfterAll
        void stop() {
            origin.stop(Duration.ofSeconds(2));
        }

        static Stream<Arguments> cases() {
            String host = "Host: o\r\n";
            String te = "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n";
            return Stream.of(
                    Arguments.of("space before colon", "GET / HTTP/1.1\r\n" + host + "X-Bad : v\r\n\r\n",
                            400, 1, "whitespace between field name 'X-Bad' and colon"),
                    Arguments.of("two spaces in request line", "GET  / HTTP/1.1\r\n" + host + "\r\n",
                            400, 1, "RFC 9112 §3"),
                    Arguments.of("bare LF", "GET / HTTP/1.1\n" + host + "\n", 400, 1, "LF without CR"),
                    Arguments.of("bare CR", "GET / HTTP/1.1\r\nX-A: 1\r2\r\n" + host + "\r\n", 400, 1,
                            "CR without LF"),
                    Arguments.of("obs-fold", "GET / HTTP/1.1\r\n" + host + "X-A: 1\r\n 2\r\n\r\n", 400, 1,
                            "obs-fold"),
                    Arguments.of("no Host", "GET / HTTP/1.1\r\n\r\n", 400, 1, "0 Host fields"),
                    Arguments.of("two Hosts", "GET / HTTP/1.1\r\n" + host + host + "\r\n", 400, 1, "2 Host fields"),
                    Arguments.of("NUL in a value", "GET / HTTP/1.1\r\n" + host + "X-A: a\0b\r\n\r\n", 400, 1,
                            "control character 0x00"),
                    Arguments.of("conflicting Content-Length", "POST / HTTP/1.1\r\n" + host
                            + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400, 1, "conflicting values"),
                    Arguments.of("Content-Length with a sign", "POST / HTTP/1.1\r\n" + host
                            + "Content-Length: +5\r\n\r\nhello", 400, 1, "expected 1*DIGIT"),
                    Arguments.of("chunked not final", "POST / HTTP/1.1\r\n" + host
                            + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400, 1, "chunked is not the final coding"),
                    Arguments.of("unknown coding", "POST / HTTP/1.1\r\n" + host
                            + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, 1, "only chunked"),
                    Arguments.of("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, 1, "HTTP/1.0 request"),
                    Arguments.of("chunk size not hex", te + "zz\r\n", 400, 1, "expected 1*HEXDIG"),
                    Arguments.of("chunk longer than its size", te + "5\r\nhelloXX\r\n0\r\n\r\n", 400, 1,
                            "not followed by CRLF"),
                    Arguments.of("bad chunk extension", te + "5;=x\r\nhello\r\n0\r\n\r\n", 400, 1,
                            "chunk extension"),
                    Arguments.of("HTTP/2.0", "GET / HTTP/2.0\r\n" + host + "\r\n", 505, 1, "HTTP version"),
                    Arguments.of("eof inside the head", "GET / HTTP/1.1\r\nHo", 400, 1,
                            "eof inside request head"),
                    Arguments.of("eof inside the body", "POST / HTTP/1.1\r\n" + host + "Content-Length: 10\r\n\r\n"
                            + "hello", 400, 1, "after 5 of 10 bytes"),
                    Arguments.of("second request malformed", "GET /ok HTTP/1.1\r\n" + host + "\r\nGET /bad\r\n\r\n",
                            400, 2, "expected METHOD SP TARGET SP VERSION"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("cases")
        void answersAndLogsTheReason(String name, String input, int status, int seq, String reason)
                throws IOException {
            List<Response> responses = new ArrayList<>();
            try (Socket s = connect(port)) {
                send(s.getOutputStream(), input);
                s.shutdownOutput();
                InputStream in = new BufferedInputStream(s.getInputStream());
                while (true) {
                    in.mark(1);
                    if (in.read() < 0) {
                        break;
                    }
                    in.reset();
                    responses.add(Response.read(in, false));
                }
            }
            assertThat(responses).hasSize(seq);
            Response last = responses.get(seq - 1);
            assertThat(last.status()).isEqualTo(status);
            assertThat(last.header("connection")).isEqualTo("close");
            long connection = Long.parseLong(last.header("x-origin-connection"));
            JsonNode bad = awaitEvent(origin, "bad_request", connection);
            assertThat(bad.get("reason").asText()).contains(reason);
            assertThat(bad.get("status").asInt()).isEqualTo(status);
            assertThat(bad.get("seq").asInt()).isEqualTo(seq);
            JsonNode closed = awaitEvent(origin, "connection_closed", connection);
            assertThat(closed.get("ended").asText()).isEqualTo("bad_request");
            assertThat(closed.get("requests").asInt()).isEqualTo(seq - 1);
        }
    }

    /** Waits for {@code event} of one connection. */
    private static JsonNode awaitEvent(ManagedProcess p, String event, long connection) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode e : p.events(event)) {
                if (e.get("connection").asLong() == connection) {
                    return e;
                }
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no " + event + " for connection " + connection + "\n" + p.describe());
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout((int) WAIT.toMillis());
        return s;
    }

    private static void send(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String sha256(String s) {
        return sha256(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** One chunk's data, or null for the last chunk (then the empty trailer section is consumed too). */
    private static byte[] readChunk(InputStream in) throws IOException {
        String sizeLine = line(in);
        int semi = sizeLine.indexOf(';');
        int size = Integer.parseInt(semi < 0 ? sizeLine : sizeLine.substring(0, semi), 16);
        if (size == 0) {
            assertThat(line(in)).as("no trailers").isEmpty();
            return null;
        }
        byte[] data = in.readNBytes(size);
        if (data.length < size) {
            throw new EOFException("chunk of " + size + " bytes cut short");
        }
        assertThat(line(in)).as("CRLF after the chunk data").isEmpty();
        return data;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) >= 0; ) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                assertThat(s).as("line ends in CRLF").endsWith("\r");
                return s.substring(0, s.length() - 1);
            }
            b.write(c);
        }
        throw new EOFException("eof inside a line: " + b.toString(StandardCharsets.ISO_8859_1));
    }

    /** A response as the client parsed it; {@code chunks} when it came chunked. */
    private record Response(int status, Map<String, String> headers, byte[] body, List<byte[]> chunks) {

        String header(String name) {
            return headers.get(name);
        }

        static Response readHead(InputStream in) throws IOException {
            String statusLine = line(in);
            assertThat(statusLine).startsWith("HTTP/1.1 ");
            int status = Integer.parseInt(statusLine.substring(9, 12));
            Map<String, String> headers = new LinkedHashMap<>();
            for (String l; !(l = line(in)).isEmpty(); ) {
                int colon = l.indexOf(':');
                String previous = headers.put(l.substring(0, colon).toLowerCase(Locale.ROOT),
                        l.substring(colon + 1).strip());
                assertThat(previous).as("one %s field", l).isNull();
            }
            return new Response(status, headers, new byte[0], List.of());
        }

        /** The next response; {@code toHead}: it answers a HEAD (no body whatever the fields say). */
        static Response read(InputStream in, boolean toHead) throws IOException {
            Response head = readHead(in);
            int status = head.status();
            if (toHead || status < 200 || status == 204 || status == 304) {
                return head;
            }
            if ("chunked".equals(head.header("transfer-encoding"))) {
                List<byte[]> chunks = new ArrayList<>();
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                for (byte[] c; (c = readChunk(in)) != null; ) {
                    chunks.add(c);
                    body.writeBytes(c);
                }
                return new Response(status, head.headers(), body.toByteArray(), chunks);
            }
            String length = head.header("content-length");
            byte[] body = length == null ? in.readAllBytes() : in.readNBytes(Integer.parseInt(length));
            return new Response(status, head.headers(), body, List.of());
        }
    }
}
