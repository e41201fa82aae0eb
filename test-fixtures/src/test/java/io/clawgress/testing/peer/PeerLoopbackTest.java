package io.clawgress.testing.peer;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.testing.netns.ManagedProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The peers as separate JVMs talking over 127.0.0.1 only (no privileges needed). */
class PeerLoopbackTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String LOOPBACK = "127.0.0.1";

    @TempDir
    Path logs;

    private final List<ManagedProcess> started = new ArrayList<>();

    @AfterEach
    void stopAll() {
        started.forEach(p -> p.stop(Duration.ofSeconds(2)));
    }

    private ManagedProcess peer(String name, String... args) {
        ManagedProcess p = Peer.spawnOnLoopback(name, logs, args);
        started.add(p);
        return p;
    }

    private int readyPort(ManagedProcess server) {
        return server.awaitEvent("ready", WAIT).get("port").asInt();
    }

    @Test
    void bulkTransferBothWaysWithHalfClose() {
        long size = 8L << 20;
        long afterEof = 1L << 20;
        ManagedProcess server = peer("bulk-server", "bulk-server", "--bind", LOOPBACK, "--port", "0",
                "--bytes", "8M", "--seed", "11", "--after-eof-bytes", "1M");
        int port = readyPort(server);
        ManagedProcess client = peer("bulk-client", "bulk-client", "--connect", LOOPBACK + ":" + port,
                "--bytes", "8MiB", "--seed", "22", "--timeout-seconds", "30");

        assertThat(client.waitForExit(WAIT)).as(client.describe()).isZero();
        JsonNode c = client.awaitEvent("done", WAIT);
        JsonNode s = server.awaitEvent("done", WAIT);

        assertThat(c.get("ended").asText()).isEqualTo("eof");
        assertThat(s.get("ended").asText()).isEqualTo("eof");
        assertThat(c.get("sent_bytes").asLong()).isEqualTo(size);
        assertThat(s.get("received_bytes").asLong()).isEqualTo(size);
        assertThat(s.get("received_sha256").asText()).isEqualTo(c.get("sent_sha256").asText())
                .isEqualTo(Peer.patternSha256(22, size));
        assertThat(c.get("received_bytes").asLong()).isEqualTo(size);
        assertThat(c.get("received_sha256").asText()).isEqualTo(s.get("sent_sha256").asText())
                .isEqualTo(Peer.patternSha256(11, size));
        // Half-close: the server held back the last MiB until it saw our EOF, and we still received it.
        assertThat(s.get("sent_after_eof_bytes").asLong()).isEqualTo(afterEof);
        assertThat(c.get("received_after_shutdown_bytes").asLong()).isGreaterThanOrEqualTo(afterEof);
        assertThat(server.events("accept")).hasSize(1);
    }

    @Test
    void httpServerAnswersAndLogsEveryConnection() throws Exception {
        ManagedProcess server = peer("http-server", "http-server", "--bind", LOOPBACK, "--port", "0");
        int port = readyPort(server);

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/a/b?c=1"))
                .header("X-Probe", "one").timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("hello from upstream 127.0.0.1:" + port + "\n");
        assertThat(get.headers().firstValue("connection")).hasValue("close");

        // A raw POST with a body: the server must read it so that its close is a FIN, not a reset.
        String body = "x".repeat(100_000);
        String response = rawExchange(port, "POST /upload HTTP/1.1\r\nHost: example.test:8080\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body);
        assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").endsWith("hello from upstream 127.0.0.1:" + port + "\n");

        List<JsonNode> requests = server.awaitEvents("request", 2, WAIT);
        assertThat(requests.get(0).get("method").asText()).isEqualTo("GET");
        assertThat(requests.get(0).get("path").asText()).isEqualTo("/a/b?c=1");
        assertThat(requests.get(0).get("host").asText()).isEqualTo("127.0.0.1:" + port);
        assertThat(requests.get(0).get("headers").get("x-probe").asText()).isEqualTo("one");
        assertThat(requests.get(1).get("method").asText()).isEqualTo("POST");
        assertThat(requests.get(1).get("host").asText()).isEqualTo("example.test:8080");
        assertThat(requests.get(1).get("body_bytes").asLong()).isEqualTo(body.length());
        List<JsonNode> accepts = server.events("accept");
        assertThat(accepts).hasSize(2);
        assertThat(accepts.get(0).get("local").asText()).isEqualTo("127.0.0.1:" + port);
        assertThat(accepts.get(0).get("remote").asText()).startsWith("127.0.0.1:");
    }

    private static String rawExchange(int port, String request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            in.transferTo(got);
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void holdClientSeesResetWhenServerAbortsAndEofWhenItCloses() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout((int) WAIT.toMillis());
            String target = LOOPBACK + ":" + server.getLocalPort();

            ManagedProcess aborted = peer("hold-reset", "hold-client", "--connect", target, "--timeout-seconds", "30");
            try (Socket s = server.accept()) {
                aborted.awaitEvent("connected", WAIT);
                s.setSoLinger(true, 0); // close() now sends RST
            }
            assertThat(aborted.waitForExit(WAIT)).isEqualTo(1);
            assertThat(aborted.awaitEvent("done", WAIT).get("ended").asText()).isEqualTo("reset");

            ManagedProcess closed = peer("hold-eof", "hold-client", "--connect", target, "--timeout-seconds", "30");
            try (Socket s = server.accept()) {
                assertThat(s.isConnected()).isTrue();
                closed.awaitEvent("connected", WAIT);
            }
            assertThat(closed.waitForExit(WAIT)).isZero();
            JsonNode done = closed.awaitEvent("done", WAIT);
            assertThat(done.get("ended").asText()).isEqualTo("eof");
            assertThat(done.get("received_bytes").asLong()).isZero();

            ManagedProcess idle = peer("hold-timeout", "hold-client", "--connect", target, "--timeout-seconds", "1");
            try (Socket s = server.accept()) {
                assertThat(s.isConnected()).isTrue();
                assertThat(idle.waitForExit(WAIT)).isEqualTo(1);
                JsonNode timedOut = idle.awaitEvent("done", WAIT);
                assertThat(timedOut.get("ended").asText()).isEqualTo("timeout");
                assertThat(timedOut.get("elapsed_ms").asLong()).isGreaterThanOrEqualTo(1000);
            }
        }
    }

    @Test
    void silentServerNeverSendsAndReportsHowConnectionsEnded() throws IOException {
        ManagedProcess server = peer("silent", "silent-server", "--bind", LOOPBACK, "--port", "0");
        int port = readyPort(server);
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);

        try (Socket s = new Socket()) {
            s.connect(target, (int) WAIT.toMillis());
            s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            s.setSoTimeout((int) WAIT.toMillis());
            // Nothing comes back; the server keeps its side open until we close.
            server.awaitEvent("accept", WAIT);
        }
        JsonNode first = server.awaitEvent("done", WAIT);
        assertThat(first.get("ended").asText()).isEqualTo("eof");
        assertThat(first.get("received_bytes").asLong()).isEqualTo(4);
        assertThat(first.get("duration_ms").asLong()).isGreaterThanOrEqualTo(0);

        try (Socket s = new Socket()) {
            s.connect(target, (int) WAIT.toMillis());
            server.awaitEvents("accept", 2, WAIT);
            s.setSoLinger(true, 0);
        }
        List<JsonNode> done = server.awaitEvents("done", 2, WAIT);
        assertThat(done.get(1).get("ended").asText()).isEqualTo("reset");
    }

    @Test
    void clientReportsRefusedConnection() throws IOException {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        ManagedProcess client = peer("refused", "bulk-client", "--connect", LOOPBACK + ":" + closedPort,
                "--bytes", "1", "--timeout-seconds", "5");
        assertThat(client.waitForExit(WAIT)).isEqualTo(1);
        assertThat(client.awaitEvent("done", WAIT).get("ended").asText()).isEqualTo("refused");
    }

    @Test
    void badCommandLineExitsWithUsage() {
        ManagedProcess p = peer("bad", "bulk-client", "--connect", LOOPBACK + ":1", "--bytez", "1");
        assertThat(p.waitForExit(WAIT)).isEqualTo(2);
        assertThat(p.stderrText()).contains("unknown option(s) [bytez]");
    }
}
