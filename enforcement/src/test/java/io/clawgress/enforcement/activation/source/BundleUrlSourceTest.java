package io.clawgress.enforcement.activation.source;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.clawgress.enforcement.activation.source.BundleUrlSource.Health;
import io.clawgress.enforcement.activation.source.BundleUrlSource.Settings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Against a JDK HTTPS server on 127.0.0.1, port 0, with a self-signed certificate made by keytool. */
class BundleUrlSourceTest {

    private static final Instant NOW = Instant.parse("2025-01-02T03:04:05Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static final Duration INTERVAL = Duration.ofSeconds(60);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(10);
    private static final int CAP = 1000;
    private static final byte[] BUNDLE = "pretend this is a signed tar.gz".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path keys;
    private static SSLContext serverTls;
    private static Path caPem;

    /** Responds to one exchange; swapped by each test. */
    @FunctionalInterface
    interface Responder {
        void respond(HttpExchange exchange) throws IOException;
    }

    private volatile Responder responder;
    private final List<String> ifNoneMatch = Collections.synchronizedList(new ArrayList<>());
    private HttpsServer server;
    private ExecutorService serverThreads;
    private URI url;
    private final RecordingSink sink = new RecordingSink();

    @BeforeAll
    static void makeCertificate() throws Exception {
        Path p12 = keys.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2",
                "-keystore", p12.toString(), "-storetype", "PKCS12",
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD), "-noprompt")
                .redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor()).as("keytool: %s", out).isZero();

        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, PASSWORD);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
        String pem = "# the test server's self-signed certificate, its own trust anchor\n-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(ks.getCertificate("server").getEncoded())
                + "\n-----END CERTIFICATE-----\n";
        caPem = Files.writeString(keys.resolve("ca.pem"), pem);
    }

    @BeforeEach
    void startServer() throws IOException {
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        server.createContext("/", exchange -> {
            try (exchange) {
                ifNoneMatch.add(exchange.getRequestHeaders().getFirst("If-None-Match"));
                responder.respond(exchange);
            } catch (IOException e) {
                // the client hung up (cap exceeded): expected in some tests
            }
        });
        server.start();
        url = URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/bundle.tar.gz");
    }

    @AfterEach
    void stopServer() throws InterruptedException {
        server.stop(0);
        serverThreads.shutdownNow();
        assertThat(serverThreads.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    private BundleUrlSource source() throws Exception {
        return source(SslContexts.trustingPemFile(caPem));
    }

    private BundleUrlSource source(SSLContext tls) {
        var settings = new Settings(url, INTERVAL, MAX_BACKOFF, Duration.ofSeconds(5), Duration.ofSeconds(5), CAP);
        return new BundleUrlSource(settings, tls, sink, CLOCK, () -> 0.5);
    }

    private static Responder ok(byte[] body, String etag) {
        return ex -> {
            if (etag != null) {
                if (etag.equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
                    ex.sendResponseHeaders(304, -1);
                    return;
                }
                ex.getResponseHeaders().set("ETag", etag);
            }
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        };
    }

    private static Responder status(int code) {
        return ex -> ex.sendResponseHeaders(code, -1);
    }

    @Test
    void okWithEtagIsOfferedThenNotModifiedOffersNothing() throws Exception {
        responder = ok(BUNDLE, "\"v1\"");
        try (var source = source()) {
            assertThat(source.pollOnce()).isEqualTo(INTERVAL);
            assertThat(sink.offered).singleElement().satisfies(c -> {
                assertThat(c.bytes()).isEqualTo(BUNDLE);
                assertThat(c.source()).isEqualTo("url:" + url);
                assertThat(c.receivedAt()).isEqualTo(NOW);
            });
            assertThat(source.health()).isEqualTo(new Health(NOW, NOW, null, 0, "\"v1\""));

            assertThat(source.pollOnce()).isEqualTo(INTERVAL);
            assertThat(ifNoneMatch).containsExactly(null, "\"v1\"");
            assertThat(sink.size()).isEqualTo(1);
            assertThat(source.health()).isEqualTo(new Health(NOW, NOW, null, 0, "\"v1\""));
            assertThat(source.offeredCount()).isEqualTo(1);
        }
    }

    @Test
    void serverErrorsAreCountedAndBackedOffThenRecovered() throws Exception {
        responder = status(500);
        try (var source = source()) {
            assertThat(source.pollOnce()).isEqualTo(Duration.ofMillis(7500));
            assertThat(source.health()).isEqualTo(
                    new Health(NOW, null, "HTTP 500 (expected: 200, or 304 to If-None-Match)", 1, null));
            assertThat(source.pollOnce()).isEqualTo(Duration.ofSeconds(15));
            assertThat(source.health().consecutiveFailures()).isEqualTo(2);

            responder = ok(BUNDLE, null);
            assertThat(source.pollOnce()).isEqualTo(INTERVAL);
            assertThat(source.health()).isEqualTo(new Health(NOW, NOW, null, 0, null));
            assertThat(source.refusedCount()).isEqualTo(2);
            assertThat(sink.size()).isEqualTo(1);
        }
    }

    @Test
    void declaredBodyOverTheCapIsRefusedBeforeReading() throws Exception {
        responder = ok(new byte[CAP + 1], "\"big\"");
        try (var source = source()) {
            source.pollOnce();
            assertThat(sink.offered).isEmpty();
            assertThat(source.health().lastError())
                    .isEqualTo("refused: Content-Length 1001 (expected: <= maxBytes 1000)");
            assertThat(source.health().etag()).as("the tag of a refused body is not kept").isNull();
        }
    }

    @Test
    void streamedBodyOverTheCapIsAborted() throws Exception {
        responder = ex -> {
            ex.sendResponseHeaders(200, 0); // chunked: no length to refuse up front
            OutputStream out = ex.getResponseBody();
            for (int i = 0; i < 64; i++) {
                out.write(new byte[512]);
                out.flush();
            }
        };
        try (var source = source()) {
            source.pollOnce();
            assertThat(sink.offered).isEmpty();
            assertThat(source.health().lastError())
                    .isEqualTo("refused: response body larger than maxBytes 1000; download aborted");
            assertThat(source.health().consecutiveFailures()).isEqualTo(1);
        }
    }

    @Test
    void bodyAtTheCapIsOffered() throws Exception {
        responder = ok(new byte[CAP], null);
        try (var source = source()) {
            source.pollOnce();
            assertThat(sink.offered).singleElement().satisfies(c -> assertThat(c.bytes()).hasSize(CAP));
        }
    }

    @Test
    void unchangedBodyWithoutEtagIsOfferedOnce() throws Exception {
        responder = ok(BUNDLE, null);
        try (var source = source()) {
            source.pollOnce();
            source.pollOnce();
            assertThat(ifNoneMatch).containsExactly(null, null);
            assertThat(sink.size()).isEqualTo(1);

            byte[] next = "the next revision".getBytes(StandardCharsets.US_ASCII);
            responder = ok(next, null);
            source.pollOnce();
            assertThat(sink.offered).extracting(BundleCandidate::bytes).containsExactly(BUNDLE, next);
        }
    }

    @Test
    void redirectsAreNotFollowed() throws Exception {
        responder = ex -> {
            ex.getResponseHeaders().set("Location", "http://127.0.0.1:1/bundle.tar.gz");
            ex.sendResponseHeaders(302, -1);
        };
        try (var source = source()) {
            source.pollOnce();
            assertThat(sink.offered).isEmpty();
            assertThat(ifNoneMatch).hasSize(1);
            assertThat(source.health().lastError()).startsWith(
                    "HTTP 302 to http://127.0.0.1:1/bundle.tar.gz: redirects are not followed");
        }
    }

    @Test
    void notModifiedToAnUnconditionalRequestIsAFailure() throws Exception {
        responder = status(304);
        try (var source = source()) {
            source.pollOnce();
            assertThat(source.health().lastError())
                    .isEqualTo("HTTP 304 to a request without If-None-Match (expected: 200)");
            assertThat(source.health().lastSuccess()).isNull();
        }
    }

    @Test
    void serverNotTrustedBySystemStoreFailsTheHandshake() {
        responder = ok(BUNDLE, null);
        try (var source = source(SslContexts.systemDefault())) {
            source.pollOnce();
            assertThat(sink.offered).isEmpty();
            assertThat(ifNoneMatch).isEmpty();
            assertThat(source.health().lastError()).contains("SSLHandshakeException");
            assertThat(source.health().consecutiveFailures()).isEqualTo(1);
        }
    }

    @Test
    void startPollsOnItsOwnThreadUntilClosed() throws Exception {
        responder = ok(BUNDLE, "\"v1\"");
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        BundleSink recordThread = c -> {
            threads.add(Thread.currentThread().getName());
            sink.offer(c);
        };
        var settings = new Settings(url, INTERVAL, MAX_BACKOFF, Duration.ofSeconds(5), Duration.ofSeconds(5), CAP);
        try (var source = new BundleUrlSource(settings, SslContexts.trustingPemFile(caPem), recordThread)) {
            source.start();
            Await.until("first poll offered", () -> sink.size() == 1);
            assertThat(threads).containsExactly(BundleUrlSource.THREAD_NAME);
            assertThat(source.health().etag()).isEqualTo("\"v1\"");
            assertThatThrownBy(source::start).hasMessage("start: already started");
        }
    }

    @ParameterizedTest(name = "interval {0}, failures {1}, jitter {2} -> {3}")
    @CsvSource({
            "PT60S, 0, 0.5, PT60S",
            "PT60S, -1, 0.5, PT60S",
            "PT60S, 1, 1.0, PT15S",
            "PT60S, 1, 0.5, PT7.5S",
            "PT60S, 1, 0.0, PT1S",
            "PT60S, 2, 1.0, PT30S",
            "PT60S, 3, 1.0, PT60S",
            "PT60S, 6, 1.0, PT8M",
            "PT60S, 7, 1.0, PT10M",
            "PT60S, 7, 0.25, PT2M30S",
            "PT60S, 63, 1.0, PT10M",
            "PT60S, 64, 1.0, PT10M",
            "PT60S, 2147483647, 1.0, PT10M",
            "PT60S, 1, 7.0, PT15S",
            "PT60S, 1, -3.0, PT1S",
            "PT2S, 1, 1.0, PT1S",
            "PT2S, 4, 1.0, PT8S",
    })
    void backoffSchedule(Duration interval, int failures, double jitter, Duration expected) {
        assertThat(BundleUrlSource.nextDelay(interval, MAX_BACKOFF, failures, jitter)).isEqualTo(expected);
    }

    @Test
    void entityTags() {
        assertThat(BundleUrlSource.validEtag("\"v1\"")).isEqualTo("\"v1\"");
        assertThat(BundleUrlSource.validEtag("W/\"v1\"")).isEqualTo("W/\"v1\"");
        assertThat(BundleUrlSource.validEtag("\"\"")).isEqualTo("\"\"");
        assertThat(BundleUrlSource.validEtag("v1")).as("unquoted").isNull();
        assertThat(BundleUrlSource.validEtag("\"a b\"")).as("space").isNull();
        assertThat(BundleUrlSource.validEtag("\"a\"b\"")).as("inner quote").isNull();
        assertThat(BundleUrlSource.validEtag("\"a\r\nX: y\"")).as("header injection").isNull();
        assertThat(BundleUrlSource.validEtag("\"" + "a".repeat(255) + "\"")).as("too long").isNull();
        assertThat(BundleUrlSource.validEtag("\"")).isNull();
    }

    @Test
    void settingsRequireHttps() {
        Duration s = Duration.ofSeconds(1);
        assertThatThrownBy(() -> Settings.of(URI.create("http://127.0.0.1/b.tar.gz")))
                .hasMessage("url: http://127.0.0.1/b.tar.gz (expected: an https:// URL)");
        assertThatThrownBy(() -> Settings.of(URI.create("https://user:secret@127.0.0.1/b.tar.gz")))
                .hasMessage("url: user info is not supported (it would be logged)");
        assertThatThrownBy(() -> Settings.of(URI.create("/b.tar.gz")))
                .hasMessage("url: /b.tar.gz (expected: an https:// URL)");
        assertThatThrownBy(() -> new Settings(URI.create("https://127.0.0.1/"), Duration.ofMillis(10), s, s, s, 1))
                .hasMessage("interval: PT0.01S (expected: >= PT1S)");
        assertThat(Settings.of(URI.create("HTTPS://example.com/b.tar.gz")).interval()).isEqualTo(INTERVAL);
    }

    @Test
    void pemFileWithoutCertificatesIsRefused() throws IOException {
        Path notPem = Files.writeString(keys.resolve("empty.pem"), "# nothing here\n");
        assertThatThrownBy(() -> SslContexts.trustingPemFile(notPem))
                .isInstanceOf(GeneralSecurityException.class)
                .hasMessageStartingWith(notPem.toString());
    }
}
