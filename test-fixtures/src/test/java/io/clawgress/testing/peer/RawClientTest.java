package io.clawgress.testing.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.testing.netns.ManagedProcess;
import io.clawgress.testing.netns.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code raw-client} against loopback servers: exact bytes out, every byte back, and why the exchange ended. */
class RawClientTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NAME = "origin.test";
    private static final String TWO_GETS = "GET /one HTTP/1.1\r\nHost: origin.test\r\n\r\n"
            + "GET /two HTTP/1.1\r\nHost: origin.test\r\n\r\n";
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");

    @TempDir
    Path dir;

    private final List<ManagedProcess> started = new ArrayList<>();
    private final List<ServerSocket> servers = new ArrayList<>();

    @AfterEach
    void stopAll() {
        started.forEach(p -> p.stop(Duration.ofSeconds(2)));
        servers.forEach(ServerLoop::closeQuietly);
    }

    /** The raw-client's run, in process through {@link Peer#run} (the same dispatch as its main). */
    private record Run(int exit, List<JsonNode> events, String stderr) {
        JsonNode event(String name) {
            List<JsonNode> found = events.stream().filter(e -> name.equals(e.get("event").asText())).toList();
            assertThat(found).as(name + " in " + events + "\n" + stderr).hasSize(1);
            return found.get(0);
        }

        JsonNode done() {
            JsonNode done = event("done");
            assertThat(events.get(events.size() - 1)).as("done comes last").isEqualTo(done);
            return done;
        }

        String text() {
            return done().get("response_text").asText();
        }
    }

    private static Run raw(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> argv = new ArrayList<>(List.of("raw-client"));
        argv.addAll(List.of(args));
        int exit = Peer.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        List<JsonNode> events = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                try {
                    events.add(JSON.readTree(line));
                } catch (IOException e) {
                    throw new UncheckedIOException("not a JSON line: " + line, e);
                }
            }
        }
        return new Run(exit, events, err.toString(StandardCharsets.UTF_8));
    }

    private static String b64(String ascii) {
        return Base64.getEncoder().encodeToString(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }

    private int origin(String... extra) {
        List<String> args = new ArrayList<>(List.of("origin-server", "--bind", "127.0.0.1", "--port", "0"));
        args.addAll(List.of(extra));
        ManagedProcess p = Peer.spawnOnLoopback("origin", dir, args.toArray(String[]::new));
        started.add(p);
        return p.awaitEvent("ready", WAIT).get("port").asInt();
    }

    private static List<Integer> statuses(String text) {
        List<Integer> statuses = new ArrayList<>();
        Matcher m = STATUS_LINE.matcher(text);
        while (m.find()) {
            statuses.add(Integer.parseInt(m.group(1)));
        }
        return statuses;
    }

    @Test
    void twoPipelinedGetsOverTcpComeBackAsTwoResponsesInASeparateJvm() throws IOException {
        int port = origin();
        Path request = dir.resolve("two-gets.http");
        Files.writeString(request, TWO_GETS, StandardCharsets.ISO_8859_1);
        ManagedProcess client = Peer.spawnOnLoopback("raw", dir, "raw-client", "--connect", "127.0.0.1:" + port,
                "--send-file", request.toString(), "--half-close", "true", "--timeout-seconds", "20");
        assertThat(client.waitForExit(WAIT)).as(client.describe()).isZero();

        JsonNode connected = client.awaitEvent("connected", WAIT);
        assertThat(connected.get("remote").asText()).isEqualTo("127.0.0.1:" + port);
        assertThat(connected.get("local").asText()).startsWith("127.0.0.1:");
        JsonNode done = client.awaitEvent("done", WAIT);
        assertThat(done.get("ended").asText()).isEqualTo("eof");
        assertThat(done.get("bytes_sent").asLong()).isEqualTo(TWO_GETS.length());
        assertThat(done.get("half_closed").asBoolean()).isTrue();
        assertThat(done.get("write_error").isNull()).isTrue();
        String text = done.get("response_text").asText();
        assertThat(statuses(text)).containsExactly(200, 200);
        assertThat(text).contains("X-Origin-Seq: 1\r\n").contains("X-Origin-Seq: 2\r\n")
                .contains("\"target\":\"/one\"").contains("\"target\":\"/two\"");
        byte[] bytes = Base64.getDecoder().decode(done.get("response_base64").asText());
        assertThat(bytes).hasSize(done.get("bytes_received").asInt());
        assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).isEqualTo(text);
        assertThat(done.get("duration_ms").asLong()).isNotNegative();

        List<JsonNode> requests = started.get(0).awaitEvents("request", 2, WAIT);
        assertThat(requests).extracting(r -> r.get("connection").asLong()).containsOnly(1L);
    }

    @Test
    void twoPipelinedGetsOverTlsWithSniAndAlpn() {
        TestPki pki = TestPki.create(dir.resolve("pki"), NAME);
        int port = origin("--tls-cert", pki.leafCert().toString(), "--tls-key", pki.leafKey().toString());
        String closing = "GET /one HTTP/1.1\r\nHost: origin.test\r\n\r\n"
                + "GET /two HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n\r\n";
        Run run = raw("--connect", "127.0.0.1:" + port, "--tls", "true", "--sni", NAME,
                "--cafile", pki.caCert().toString(), "--alpn", "http/1.1", "--send-base64", b64(closing));

        assertThat(run.exit()).as(run.stderr()).isZero();
        JsonNode tls = run.event("tls");
        assertThat(tls.get("protocol").asText()).isEqualTo("TLSv1.3");
        assertThat(tls.get("alpn").asText()).isEqualTo("http/1.1");
        assertThat(tls.get("sni").asText()).isEqualTo(NAME);
        assertThat(tls.get("cipher_suite").asText()).startsWith("TLS_");
        JsonNode done = run.done();
        assertThat(done.get("ended").asText()).isEqualTo("eof");
        assertThat(done.get("half_closed").asBoolean()).isFalse();
        assertThat(statuses(run.text())).containsExactly(200, 200);
        assertThat(run.text()).contains("X-Origin-Seq: 2\r\n").contains("Connection: close\r\n");

        List<JsonNode> requests = started.get(0).awaitEvents("request", 2, WAIT);
        assertThat(requests).extracting(r -> r.get("sni").asText()).containsOnly(NAME);
        assertThat(requests).extracting(r -> r.get("alpn").asText()).containsOnly("http/1.1");
    }

    @Test
    void tlsHalfCloseSendsCloseNotifyAndStillReadsBothResponses() {
        TestPki pki = TestPki.create(dir.resolve("pki"), NAME);
        int port = origin("--tls-cert", pki.leafCert().toString(), "--tls-key", pki.leafKey().toString());
        Run run = raw("--connect", "127.0.0.1:" + port, "--tls", "true", "--sni", NAME,
                "--cafile", pki.caCert().toString(), "--send-base64", b64(TWO_GETS), "--half-close", "true");

        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.event("tls").get("alpn").isNull()).as("none offered").isTrue();
        JsonNode done = run.done();
        assertThat(done.get("ended").asText()).isEqualTo("eof");
        assertThat(done.get("half_closed").asBoolean()).isTrue();
        assertThat(statuses(run.text())).containsExactly(200, 200);
        assertThat(started.get(0).awaitEvent("connection_closed", WAIT).get("ended").asText()).isEqualTo("eof");
    }

    @Test
    void wrongSniOrUntrustedCaIsAFailedHandshakeAndNothingIsSent() {
        TestPki pki = TestPki.create(dir.resolve("pki"), NAME);
        int port = origin("--tls-cert", pki.leafCert().toString(), "--tls-key", pki.leafKey().toString());

        Run wrongName = raw("--connect", "127.0.0.1:" + port, "--tls", "true", "--sni", "wrong.test",
                "--cafile", pki.caCert().toString(), "--send-base64", b64(TWO_GETS));
        assertThat(wrongName.exit()).as(wrongName.stderr()).isZero();
        JsonNode failed = wrongName.event("handshake_failed");
        assertThat(failed.get("reason").asText()).isEqualTo("SSLHandshakeException");
        assertThat(failed.get("root_cause").asText()).contains("CertificateException")
                .contains("No subject alternative DNS name matching wrong.test");
        assertThat(failed.get("timed_out").asBoolean()).isFalse();
        JsonNode done = wrongName.done();
        assertThat(done.get("ended").asText()).isEqualTo("handshake_failed");
        assertThat(done.get("bytes_sent").asLong()).isZero();
        assertThat(done.get("bytes_received").asLong()).isZero();
        assertThat(done.get("response_base64").asText()).isEmpty();
        assertThat(wrongName.events).noneMatch(e -> e.get("event").asText().equals("tls"));

        TestPki stranger = TestPki.create(dir.resolve("stranger"), NAME);
        Run untrusted = raw("--connect", "127.0.0.1:" + port, "--tls", "true", "--sni", NAME,
                "--cafile", stranger.caCert().toString(), "--send-base64", b64(TWO_GETS));
        assertThat(untrusted.exit()).isZero();
        assertThat(untrusted.event("handshake_failed").get("message").asText()).contains("PKIX path");
        assertThat(untrusted.done().get("ended").asText()).isEqualTo("handshake_failed");
        assertThat(started.get(0).events("request")).as("nothing got through").isEmpty();
    }

    @Test
    void presentsTheClientCertificateFromPem() throws Exception {
        TestPki server = TestPki.create(dir.resolve("server"), NAME);
        TestPki client = TestPki.create(dir.resolve("client"), "agent.test");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(server.pkcs12())) {
            ks.load(in, server.pkcs12Password().toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, server.pkcs12Password().toCharArray());
        CompletableFuture<X509Certificate[]> presented = new CompletableFuture<>();
        // Records what the client presents; whether a server should trust it is not what is tested here.
        X509TrustManager recorder = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                presented.complete(chain);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                throw new UnsupportedOperationException("server side only");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), new TrustManager[]{recorder}, null);
        SSLServerSocket listener = (SSLServerSocket) ctx.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
        listener.setNeedClientAuth(true);
        servers.add(listener);
        Thread.ofVirtual().start(() -> {
            try (SSLSocket s = (SSLSocket) listener.accept()) {
                s.startHandshake();
                s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                s.shutdownOutput();
                s.getInputStream().readAllBytes();
            } catch (IOException ignored) {
                // The client's done event tells what happened.
            }
        });

        Run run = raw("--connect", "127.0.0.1:" + listener.getLocalPort(), "--tls", "true", "--sni", NAME,
                "--cafile", server.caCert().toString(), "--cert", client.leafCert().toString(),
                "--key", client.leafKey().toString(), "--send-base64", b64("hi"), "--half-close", "true");

        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.text()).isEqualTo("hello\n");
        X509Certificate[] chain = presented.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(chain[0].getSubjectX500Principal().getName()).contains("CN=agent.test");
    }

    @Test
    void sendsExactlyTheFileAndKeepsEveryByteValueItGetsBack() throws Exception {
        byte[] sent = new byte[100_000];
        for (int i = 0; i < sent.length; i++) {
            sent[i] = (byte) (i * 31 + i / 256);
        }
        byte[] back = new byte[256];
        for (int i = 0; i < back.length; i++) {
            back[i] = (byte) i;
        }
        ServerSocket listener = listener();
        CompletableFuture<byte[]> received = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (Socket s = listener.accept()) {
                received.complete(s.getInputStream().readAllBytes());
                s.getOutputStream().write(back);
            } catch (IOException e) {
                received.completeExceptionally(e);
            }
        });
        Path file = dir.resolve("payload.bin");
        Files.write(file, sent);

        Run run = raw("--connect", "127.0.0.1:" + listener.getLocalPort(), "--send-file", file.toString(),
                "--half-close", "true");

        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(received.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(sent);
        JsonNode done = run.done();
        assertThat(done.get("ended").asText()).isEqualTo("eof");
        assertThat(done.get("bytes_sent").asLong()).isEqualTo(sent.length);
        assertThat(done.get("bytes_received").asLong()).isEqualTo(256);
        assertThat(Base64.getDecoder().decode(done.get("response_base64").asText())).isEqualTo(back);
        assertThat(run.text().getBytes(StandardCharsets.ISO_8859_1)).isEqualTo(back);
    }

    @Test
    void stopsAtMaxBytesAndAtTheTimeout() throws Exception {
        ServerSocket chatty = listener();
        Thread.ofVirtual().start(() -> {
            try (Socket s = chatty.accept()) {
                s.getOutputStream().write(new byte[10_000]);
                s.getInputStream().readAllBytes();
            } catch (IOException ignored) {
                // The client closes early on purpose.
            }
        });
        Run capped = raw("--connect", "127.0.0.1:" + chatty.getLocalPort(), "--send-base64", b64("x"),
                "--max-bytes", "1k");
        assertThat(capped.exit()).as(capped.stderr()).isZero();
        assertThat(capped.done().get("ended").asText()).isEqualTo("max_bytes");
        assertThat(capped.done().get("bytes_received").asLong()).isEqualTo(1024);

        ServerSocket silent = listener();
        Thread.ofVirtual().start(() -> {
            try (Socket s = silent.accept()) {
                s.getInputStream().readAllBytes();
            } catch (IOException ignored) {
                // Closed by the test's cleanup.
            }
        });
        Run timedOut = raw("--connect", "127.0.0.1:" + silent.getLocalPort(), "--send-base64", b64("x"),
                "--timeout-seconds", "1");
        assertThat(timedOut.exit()).isZero();
        JsonNode done = timedOut.done();
        assertThat(done.get("ended").asText()).isEqualTo("timeout");
        assertThat(done.get("bytes_sent").asLong()).isEqualTo(1);
        assertThat(done.get("duration_ms").asLong()).isBetween(900L, 10_000L);
    }

    @Test
    void aResetIsReportedAsSuch() throws Exception {
        ServerSocket listener = listener();
        Thread.ofVirtual().start(() -> {
            try (Socket s = listener.accept()) {
                s.getInputStream().read();
                s.setSoLinger(true, 0); // close with RST
            } catch (IOException ignored) {
                // The reset is the point.
            }
        });
        Run run = raw("--connect", "127.0.0.1:" + listener.getLocalPort(), "--send-base64", b64("GET"));
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.done().get("ended").asText()).isEqualTo("reset");
    }

    @Test
    void aRefusedConnectionExitsOneWithDone() throws Exception {
        ServerSocket closed = listener();
        int port = closed.getLocalPort();
        closed.close();
        Run run = raw("--connect", "127.0.0.1:" + port, "--send-base64", b64("x"));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.done().get("connected").asBoolean()).isFalse();
        assertThat(run.done().get("ended").asText()).isEqualTo("refused");
    }

    @Test
    void rejectsCommandLinesItCannotRun() {
        String connect = "127.0.0.1:9";
        for (List<String> bad : List.of(
                List.of("--connect", connect),
                List.of("--connect", connect, "--send-base64", "eA==", "--send-file", "/dev/null"),
                List.of("--connect", connect, "--send-base64", "not base64!"),
                List.of("--connect", connect, "--send-base64", "eA==", "--tls", "true", "--sni", NAME),
                List.of("--connect", connect, "--send-base64", "eA==", "--tls", "true", "--cafile", "/x"),
                List.of("--connect", connect, "--send-base64", "eA==", "--sni", NAME),
                List.of("--connect", connect, "--send-base64", "eA==", "--half-close"),
                List.of("--connect", connect, "--send-base64", "eA==", "--half-close", "yes"),
                List.of("--connect", connect, "--send-base64", "eA==", "--max-bytes", "0"),
                List.of("--connect", connect, "--send-base64", "eA==", "--tls", "true", "--sni", NAME,
                        "--cafile", "/x", "--cert", "/y"))) {
            Run run = raw(bad.toArray(String[]::new));
            assertThat(run.exit()).as(String.join(" ", bad) + "\n" + run.stderr()).isEqualTo(2);
            assertThat(run.events()).as(String.join(" ", bad)).isEmpty();
        }
    }

    private ServerSocket listener() throws IOException {
        ServerSocket s = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        servers.add(s);
        return s;
    }
}
