package io.clawgress.enforcement.flowlog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.Termination;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonLinesFlowLogTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-21T12:00:00Z"), ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void writesOneLinePerRecordWithEveryField() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonLinesFlowLog log = JsonLinesFlowLog.to(out, 64, CLOCK);
        log.record(record("f-1", Optional.of(new Identity("research-bot", "research", "p1", "dev", "standard",
                AuthMethod.SUBNET, true))));
        log.record(record("f-2", Optional.empty()));
        log.close(5_000);

        List<JsonNode> lines = lines(out);
        assertThat(lines).hasSize(2);
        JsonNode r = lines.get(0);
        assertThat(r.get("type").asText()).isEqualTo("flow");
        assertThat(r.get("flow_id").asText()).isEqualTo("f-1");
        assertThat(r.get("source").asText()).isEqualTo("198.18.1.2:40000");
        assertThat(r.get("original_destination").asText()).isEqualTo("[2001:db8::1]:443");
        assertThat(r.get("identity").get("agent_id").asText()).isEqualTo("research-bot");
        assertThat(r.get("identity").get("auth").asText()).isEqualTo("subnet");
        assertThat(r.get("verdict").asText()).isEqualTo("relay");
        assertThat(r.get("reason").asText()).isEqualTo("allowed by rule web");
        assertThat(r.get("rule").asText()).isEqualTo("web");
        assertThat(r.get("policy_revision").asText()).isEqualTo("static:abc");
        assertThat(r.get("bytes_up").asLong()).isEqualTo(100);
        assertThat(r.get("bytes_down").asLong()).isEqualTo(2000);
        assertThat(r.get("duration_ms").asDouble()).isEqualTo(12.345);
        assertThat(r.get("termination").asText()).isEqualTo("completed");
        assertThat(r.get("start").asText()).isEqualTo("2026-11-21T11:59:59Z");
        assertThat(lines.get(1).get("identity").isNull()).isTrue();
    }

    @Test
    void aFullQueueDropsWithoutBlockingAndLeavesAGapRecord() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream stalled = new OutputStream() {
            @Override
            public void write(int b) {
                sink.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                sink.write(b, off, len);
            }
        };
        JsonLinesFlowLog log = JsonLinesFlowLog.to(stalled, 16, CLOCK);
        for (int i = 0; i < 200; i++) {
            log.record(record("f-" + i, Optional.empty())); // must return at once even though the writer is stuck
        }
        assertThat(log.dropped()).isGreaterThan(0);
        long dropped = log.dropped();
        release.countDown();
        log.close(5_000);

        List<JsonNode> lines = lines(sink);
        long flows = lines.stream().filter(l -> l.get("type").asText().equals("flow")).count();
        long gaps = lines.stream().filter(l -> l.get("type").asText().equals("gap"))
                .mapToLong(l -> l.get("dropped").asLong()).sum();
        assertThat(flows + gaps).as("every record is either written or counted in a gap").isEqualTo(200);
        assertThat(gaps).isEqualTo(dropped);
    }

    @Test
    void aMissingDirectoryIsAClearError(@TempDir Path dir) {
        Path file = dir.resolve("nope/flows.jsonl");
        assertThatThrownBy(() -> JsonLinesFlowLog.open(new FlowLogSettings(file.toString(), 16), CLOCK))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("flow_log.path " + file).hasMessageContaining("does not exist");
    }

    @Test
    void appendsToAFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("flows.jsonl");
        Files.writeString(file, "{\"type\":\"flow\",\"flow_id\":\"old\"}\n");
        try (JsonLinesFlowLog log = JsonLinesFlowLog.open(new FlowLogSettings(file.toString(), 16), CLOCK)) {
            log.record(record("new", Optional.empty()));
        }
        assertThat(Files.readAllLines(file)).hasSize(2).last().asString().contains("\"flow_id\":\"new\"");
    }

    @Test
    void reopenAfterLogrotateMovedTheFileWritesLaterLinesToTheNewFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("flows.jsonl");
        Path rotated = dir.resolve("flows.jsonl.1");
        try (JsonLinesFlowLog log = JsonLinesFlowLog.open(new FlowLogSettings(file.toString(), 16), CLOCK)) {
            log.record(record("before", Optional.empty()));
            awaitWritten(log, 1);
            Files.move(file, rotated);
            log.reopen(file.toString());
            log.record(record("after", Optional.empty()));
        }
        assertThat(Files.readAllLines(rotated)).singleElement().asString().contains("\"flow_id\":\"before\"");
        assertThat(Files.readAllLines(file)).singleElement().asString().contains("\"flow_id\":\"after\"");
    }

    @Test
    void reopenIntoAMissingDirectoryKeepsTheCurrentFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("flows.jsonl");
        try (JsonLinesFlowLog log = JsonLinesFlowLog.open(new FlowLogSettings(file.toString(), 16), CLOCK)) {
            assertThatThrownBy(() -> log.reopen(dir.resolve("gone/flows.jsonl").toString()))
                    .isInstanceOf(IOException.class).hasMessageContaining("does not exist");
            log.record(record("kept", Optional.empty()));
        }
        assertThat(Files.readAllLines(file)).singleElement().asString().contains("\"flow_id\":\"kept\"");
    }

    @Test
    void standardOutputHasNothingToReopen() throws Exception {
        try (JsonLinesFlowLog log = JsonLinesFlowLog.open(new FlowLogSettings(FlowLogSettings.STDOUT, 16), CLOCK)) {
            assertThatThrownBy(() -> log.reopen("/tmp/x.jsonl")).isInstanceOf(IOException.class)
                    .hasMessageContaining("standard output");
        }
    }

    private static void awaitWritten(JsonLinesFlowLog log, long n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (log.written() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the writer did not write " + n + " record(s) in 10 s");
            }
            Thread.sleep(5);
        }
    }

    private static FlowRecord record(String id, Optional<Identity> identity) {
        return new FlowRecord(id, Instant.parse("2026-11-21T11:59:59Z"), new InetSocketAddress("198.18.1.2", 40000),
                new InetSocketAddress("2001:db8::1", 443), identity, "relay", "allowed by rule web", "web",
                "static:abc", 100, 2000, Duration.ofNanos(12_345_678), Termination.COMPLETED, null);
    }

    private static List<JsonNode> lines(ByteArrayOutputStream out) throws IOException {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                nodes.add(JSON.readTree(line));
            }
        }
        return nodes;
    }
}
