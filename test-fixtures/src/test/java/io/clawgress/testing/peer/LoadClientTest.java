package io.clawgress.testing.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.testing.netns.ManagedProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code load-client} in process against loopback servers: the schedule, the per-connection records, the summary. */
class LoadClientTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<ManagedProcess> started = new ArrayList<>();
    private final List<ServerSocket> servers = new ArrayList<>();

    @AfterEach
    void stopAll() {
        started.forEach(p -> p.stop(Duration.ofSeconds(2)));
        servers.forEach(ServerLoop::closeQuietly);
    }

    /** A run through {@link Peer#run}, the same dispatch as the peer's main. */
    private record Run(int exit, List<JsonNode> events, String stderr) {
        List<JsonNode> conns() {
            return events.stream().filter(e -> "conn".equals(e.get("event").asText())).toList();
        }

        JsonNode summary() {
            JsonNode last = events.get(events.size() - 1);
            assertThat(last.get("event").asText()).as("summary comes last\n" + stderr).isEqualTo("summary");
            return last;
        }

        /** The conn events by their index, checking that there is exactly one per connection. */
        Map<Integer, JsonNode> byIndex(int connections) {
            Map<Integer, JsonNode> m = new HashMap<>();
            conns().forEach(c -> assertThat(m.put(c.get("i").asInt(), c)).as("one conn per index").isNull());
            assertThat(m.keySet()).hasSize(connections).allMatch(i -> i >= 0 && i < connections);
            return m;
        }
    }

    private static Run load(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> argv = new ArrayList<>(List.of("load-client"));
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

    /** The exact request connection {@code i} writes to 127.0.0.1 with {@code --body-bytes MIN-MAX}. */
    private static long requestBytes(String path, int i, int min, int max) {
        long body = min + (long) i * 7919 % (max - min + 1);
        String head = "POST " + path + "?n=" + i + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + body
                + "\r\nConnection: close\r\n\r\n";
        return head.length() + body;
    }

    private static long bodyBytes(int i, int min, int max) {
        return min + (long) i * 7919 % (max - min + 1);
    }

    @Test
    void everyConnectionFromTwoSourcesIsAnsweredAndRecordedExactly() {
        ManagedProcess origin = Peer.spawnOnLoopback("origin", dir, "origin-server", "--bind", "127.0.0.1",
                "--port", "0");
        started.add(origin);
        int port = origin.awaitEvent("ready", WAIT).get("port").asInt();
        int n = 200;

        Run run = load("--target", "127.0.0.1:" + port, "--source", "127.0.0.1", "--source", "127.0.0.2",
                "--rate", "200", "--connections", String.valueOf(n), "--body-bytes", "0-300",
                "--timeout-seconds", "20");

        assertThat(run.exit()).as(run.stderr()).isZero();
        Map<Integer, JsonNode> conns = run.byIndex(n);
        Map<String, Set<Integer>> portsBySource = new HashMap<>();
        Set<Long> bodies = new HashSet<>();
        long sent = 0;
        long received = 0;
        for (int i = 0; i < n; i++) {
            JsonNode c = conns.get(i);
            String source = i % 2 == 0 ? "127.0.0.1" : "127.0.0.2";
            assertThat(c.get("status").asInt()).as("%s", c).isEqualTo(200);
            assertThat(c.get("ended").asText()).as("%s", c).isEqualTo("eof");
            assertThat(c.get("retry_after").isNull()).as("%s", c).isTrue();
            assertThat(c.get("source").asText()).isEqualTo(source);
            assertThat(c.get("target").asText()).isEqualTo("127.0.0.1:" + port);
            assertThat(c.get("sent").asLong()).as("%s", c).isEqualTo(requestBytes("/load", i, 0, 300));
            assertThat(c.get("received").asLong()).as("%s", c).isPositive();
            String local = c.get("local").asText();
            assertThat(local).startsWith(source + ":");
            portsBySource.computeIfAbsent(source, s -> new HashSet<>())
                    .add(Integer.parseInt(local.substring(local.lastIndexOf(':') + 1)));
            long intended = c.get("intended_ms").asLong();
            assertThat(c.get("start_ms").asLong()).isGreaterThanOrEqualTo(intended)
                    .isLessThanOrEqualTo(c.get("end_ms").asLong());
            bodies.add(bodyBytes(i, 0, 300));
            sent += c.get("sent").asLong();
            received += c.get("received").asLong();
        }
        // The kernel picks each port (bind to port 0) and may pick a port again once its last user is gone:
        // local addresses are unique among connections in flight together, not over a whole run.
        assertThat(portsBySource.get("127.0.0.1")).as("local ports").hasSizeGreaterThan(n / 2 - 10);
        assertThat(portsBySource.get("127.0.0.2")).as("local ports").hasSizeGreaterThan(n / 2 - 10);
        Map<String, List<JsonNode>> byLocal = conns.values().stream()
                .collect(Collectors.groupingBy(c -> c.get("local").asText()));
        byLocal.values().stream().filter(same -> same.size() > 1).forEach(same -> {
            List<JsonNode> sorted = same.stream().sorted(Comparator.comparingLong(c -> c.get("start_ms").asLong()))
                    .toList();
            for (int j = 1; j < sorted.size(); j++) {
                assertThat(sorted.get(j).get("start_ms").asLong()).as("reused only after the end: %s", sorted)
                        .isGreaterThanOrEqualTo(sorted.get(j - 1).get("end_ms").asLong());
            }
        });
        assertThat(bodies).as("body lengths vary").hasSizeGreaterThan(50);
        // Each source opens its k-th connection k / rate seconds after the start: 5 ms apart, both in step.
        long t0 = conns.get(0).get("intended_ms").asLong();
        assertThat(conns.get(1).get("intended_ms").asLong()).isEqualTo(t0);
        assertThat(conns.get(n - 1).get("intended_ms").asLong() - t0).isBetween(493L, 496L);

        JsonNode summary = run.summary();
        assertThat(summary.get("connections").asInt()).isEqualTo(n);
        assertThat(summary.get("ok").asInt()).isEqualTo(n);
        assertThat(summary.get("by_status").toString()).isEqualTo("{\"200\":" + n + "}");
        assertThat(summary.get("by_ended").toString()).isEqualTo("{\"eof\":" + n + "}");
        assertThat(summary.get("sent").asLong()).isEqualTo(sent);
        assertThat(summary.get("received").asLong()).isEqualTo(received);
        assertThat(summary.get("max_in_flight").asInt()).isBetween(1, n);
        assertThat(summary.get("elapsed_ms").asLong()).isGreaterThanOrEqualTo(495);

        // The server saw every request, whole, once, from the recorded local addresses.
        List<JsonNode> requests = origin.awaitEvents("request", n, WAIT);
        assertThat(requests).hasSize(n);
        Map<String, Long> bodyByTarget = requests.stream().collect(Collectors.toMap(
                r -> r.get("target").asText(), r -> r.get("body_bytes").asLong()));
        for (int i = 0; i < n; i++) {
            assertThat(bodyByTarget.get("/load?n=" + i)).as("request %d", i).isEqualTo(bodyBytes(i, 0, 300));
        }
        assertThat(requests).allSatisfy(r -> assertThat(r.get("method").asText()).isEqualTo("POST"));
        Set<String> remotes = origin.awaitEvents("accept", n, WAIT).stream().map(a -> a.get("remote").asText())
                .collect(Collectors.toSet());
        assertThat(remotes).isEqualTo(conns.values().stream().map(c -> c.get("local").asText())
                .collect(Collectors.toSet()));
    }

    @Test
    void closedPortIsRefusedWithoutStatus() throws IOException {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        Run run = load("--target", "127.0.0.1:" + closedPort, "--source", "127.0.0.1", "--rate", "100",
                "--connections", "4", "--timeout-seconds", "5");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.byIndex(4).values()).allSatisfy(c -> {
            assertThat(c.get("ended").asText()).isEqualTo("refused");
            assertThat(c.get("status").isNull()).isTrue();
            assertThat(c.get("sent").asLong()).isZero();
            assertThat(c.get("received").asLong()).isZero();
            assertThat(c.get("local").asText()).startsWith("127.0.0.1:");
        });
        JsonNode summary = run.summary();
        assertThat(summary.get("ok").asInt()).isZero();
        assertThat(summary.get("by_status").toString()).isEqualTo("{\"none\":4}");
        assertThat(summary.get("by_ended").toString()).isEqualTo("{\"refused\":4}");
    }

    @Test
    void concurrencyCapDelaysStartsAndTargetsAlternate() throws IOException {
        String answer = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 0\r\n"
                + "Connection: close\r\n\r\n";
        int a = server(answer, 200);
        int b = server(answer, 200);
        Run run = load("--target", "127.0.0.1:" + a, "--target", "127.0.0.1:" + b, "--source", "127.0.0.1",
                "--rate", "100", "--connections", "4", "--concurrency", "1", "--body-bytes", "10-10",
                "--path", "/limited", "--timeout-seconds", "10");

        assertThat(run.exit()).as("a status and an EOF each, whatever the status").isZero();
        Map<Integer, JsonNode> conns = run.byIndex(4);
        for (int i = 0; i < 4; i++) {
            JsonNode c = conns.get(i);
            assertThat(c.get("target").asText()).isEqualTo("127.0.0.1:" + (i % 2 == 0 ? a : b));
            assertThat(c.get("status").asInt()).isEqualTo(429);
            assertThat(c.get("retry_after").asText()).isEqualTo("7");
            assertThat(c.get("ended").asText()).isEqualTo("eof");
            assertThat(c.get("sent").asLong()).isEqualTo(requestBytes("/limited", i, 10, 10));
            assertThat(c.get("received").asLong()).isEqualTo(answer.length());
            if (i > 0) {
                // Due 10 ms after the previous one, but it waited for the previous one's 200 ms exchange.
                assertThat(c.get("start_ms").asLong()).isGreaterThanOrEqualTo(
                        conns.get(i - 1).get("end_ms").asLong());
                assertThat(c.get("start_ms").asLong() - c.get("intended_ms").asLong()).isGreaterThan(50);
            }
        }
        JsonNode summary = run.summary();
        assertThat(summary.get("max_in_flight").asInt()).isEqualTo(1);
        assertThat(summary.get("late_starts").asInt()).isBetween(3, 4);
        assertThat(summary.get("by_status").toString()).isEqualTo("{\"429\":4}");
    }

    @Test
    void silentServerTimesOutAfterTheWholeRequestWasSent() throws IOException {
        int port = server(null, 0);
        Run run = load("--target", "127.0.0.1:" + port, "--source", "127.0.0.1", "--rate", "10",
                "--connections", "2", "--body-bytes", "100-200", "--timeout-seconds", "1");

        assertThat(run.exit()).isEqualTo(1);
        Map<Integer, JsonNode> conns = run.byIndex(2);
        for (int i = 0; i < 2; i++) {
            JsonNode c = conns.get(i);
            assertThat(c.get("ended").asText()).isEqualTo("timeout");
            assertThat(c.get("status").isNull()).isTrue();
            assertThat(c.get("sent").asLong()).isEqualTo(requestBytes("/load", i, 100, 200));
            assertThat(c.get("received").asLong()).isZero();
            assertThat(c.get("end_ms").asLong() - c.get("start_ms").asLong()).isGreaterThanOrEqualTo(1000);
        }
        assertThat(run.summary().get("by_ended").toString()).isEqualTo("{\"timeout\":2}");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no rate          | --target 127.0.0.1:1 --source 127.0.0.1 --connections 1            | missing --rate",
        "zero rate        | --target 127.0.0.1:1 --source 127.0.0.1 --rate 0 --connections 1   | --rate 0",
        "no source        | --target 127.0.0.1:1 --rate 1 --connections 1                      | one --source",
        "bad target       | --target 127.0.0.1 --source 127.0.0.1 --rate 1 --connections 1     | --target 127.0.0.1",
        "inverted bodies  | --target 127.0.0.1:1 --source 127.0.0.1 --rate 1 --connections 1 --body-bytes 5-2"
                + " | --body-bytes 5-2",
        "no connections   | --target 127.0.0.1:1 --source 127.0.0.1 --rate 1 --connections 0  | --connections 0",
        "unknown option   | --target 127.0.0.1:1 --source 127.0.0.1 --rate 1 --connections 1 --warmup 1"
                + " | unknown option(s) [warmup]",
    })
    void badCommandLineExitsTwo(String name, String args, String message) {
        Run run = load(args.split(" "));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.events()).isEmpty();
        assertThat(run.stderr()).contains(message);
    }

    @Test
    void badCommandLineExitsTwoAsAProcess() {
        ManagedProcess p = Peer.spawnOnLoopback("bad", dir, "load-client", "--target", "127.0.0.1:1",
                "--source", "127.0.0.1", "--rate", "-1", "--connections", "1");
        started.add(p);
        assertThat(p.waitForExit(WAIT)).isEqualTo(2);
        assertThat(p.stderrText()).contains("--rate -1");
    }

    /**
     * A loopback server that reads each request whole (head, then Content-Length bytes), waits {@code delayMs}, and
     * answers {@code response} and closes; with a null response it reads and then holds the connection, silent.
     */
    private int server(String response, int delayMs) throws IOException {
        ServerSocket server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        servers.add(server);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> answer(s, response, delayMs));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server.getLocalPort();
    }

    private static void answer(Socket s, String response, int delayMs) {
        try (s) {
            s.setSoTimeout((int) WAIT.toMillis());
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    return;
                }
                head.write(c);
            }
            String length = head.toString(StandardCharsets.ISO_8859_1).lines()
                    .filter(l -> l.regionMatches(true, 0, "Content-Length:", 0, 15)).findFirst()
                    .map(l -> l.substring(15).strip()).orElse("0");
            in.readNBytes(Integer.parseInt(length));
            if (response == null) {
                in.read(); // until the client gives up
                return;
            }
            Thread.sleep(delayMs);
            s.getOutputStream().write(response.getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            // the client went away; its record tells
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
