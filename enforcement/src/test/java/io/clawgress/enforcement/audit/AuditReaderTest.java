package io.clawgress.enforcement.audit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.clawgress.enforcement.audit.AuditFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

class AuditReaderTest {

    private static final AuditKey KEY = AuditKey.generate();

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock();
    private AuditReader reader;

    /**
     * f-0..f-9: agent-a, relay, rule web, to 198.18.2.2:443, one per minute from T0; f-10: agent-b denied by
     * default, to [2001:db8::7]:80; a request record; segments of 4 KiB so the reader crosses several.
     */
    @BeforeEach
    void writeLog() throws Exception {
        AuditLog log = open(settings(dir).withSegment(4096, Duration.ofDays(1)), KEY, clock);
        for (int i = 0; i < 10; i++) {
            long before = log.written();
            log.record(flow("f-" + i));
            await("f-" + i, () -> log.written() == before + 1);
            clock.advance(Duration.ofMinutes(1));
        }
        log.record(flow("f-10", "agent-b", "deny", "default", new InetSocketAddress("2001:db8::7", 80)));
        log.request(request("f-10", 1));
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        assertThat(Segments.list(dir)).hasSizeGreaterThan(1);
        reader = new AuditReader(dir);
    }

    private List<String> ids(AuditQuery q) throws Exception {
        try (Stream<AuditEntry> s = reader.read(q)) {
            return s.map(e -> e.type() + ":" + e.record().path("flow_id").asText()).toList();
        }
    }

    @Test
    void readsEveryRecordInSeqOrderAcrossSegments() throws Exception {
        try (Stream<AuditEntry> s = reader.read(AuditQuery.ALL)) {
            List<AuditEntry> all = s.toList();
            assertThat(all).extracting(AuditEntry::seq).isSorted().doesNotHaveDuplicates();
            assertThat(all.getFirst().seq()).isEqualTo(1);
            assertThat(all).extracting(AuditEntry::type).contains("flow", "request", "checkpoint");
            AuditEntry first = all.getFirst();
            assertThat(first.segment().getFileName().toString()).isEqualTo("audit-00000000000000000001.jsonl");
            assertThat(first.line()).isEqualTo(1);
            assertThat(first.time()).isEqualTo(T0);
        }
    }

    @Test
    void filtersByTypeAgentVerdictRuleAndDestination() throws Exception {
        assertThat(ids(AuditQuery.DECISIONS)).hasSize(12)
                .allMatch(s -> s.startsWith("flow:") || s.startsWith("request:"));
        assertThat(ids(AuditQuery.DECISIONS.withAgent("agent-b"))).containsExactly("flow:f-10");
        assertThat(ids(AuditQuery.DECISIONS.withVerdict("deny"))).containsExactly("flow:f-10", "request:f-10");
        assertThat(ids(AuditQuery.DECISIONS.withRule("web"))).hasSize(10);
        assertThat(ids(AuditQuery.DECISIONS.withRule("default"))).containsExactly("flow:f-10", "request:f-10");
        assertThat(ids(AuditQuery.DECISIONS.withDestination("2001:db8::7"))).containsExactly("flow:f-10");
        assertThat(ids(AuditQuery.DECISIONS.withDestination("[2001:DB8::7]:80"))).containsExactly("flow:f-10");
        assertThat(ids(AuditQuery.DECISIONS.withDestination("198.18.2.2"))).hasSize(10);
        assertThat(ids(AuditQuery.DECISIONS.withDestination("API.example.com"))).hasSize(11);
        assertThat(ids(AuditQuery.DECISIONS.withDestination("api.test"))).containsExactly("request:f-10");
        assertThat(ids(AuditQuery.ALL.withTypes(Set.of("checkpoint")))).isNotEmpty()
                .allMatch(s -> s.startsWith("checkpoint:"));
        assertThat(ids(AuditQuery.DECISIONS.withAgent("agent-a").withVerdict("deny"))).isEmpty();
    }

    @Test
    void filtersByTimeRangeFromInclusiveToExclusive() throws Exception {
        assertThat(ids(AuditQuery.DECISIONS.withAgent("agent-a")
                .withTimeRange(T0.plus(Duration.ofMinutes(2)), T0.plus(Duration.ofMinutes(5)))))
                .containsExactly("flow:f-2", "flow:f-3", "flow:f-4");
    }

    @Test
    void tailReturnsTheLastMatchingRecordsOldestFirst() throws Exception {
        assertThat(reader.tail(3, AuditQuery.DECISIONS)).extracting(e -> e.record().path("flow_id").asText() + "/"
                + e.type()).containsExactly("f-9/flow", "f-10/flow", "f-10/request");
        assertThat(reader.tail(100, AuditQuery.DECISIONS.withAgent("agent-a"))).hasSize(10);
        assertThat(reader.tail(0, AuditQuery.ALL)).isEmpty();
    }

    @Test
    void followReturnsNewRecordsAcrossRotationAndWaitsForTornLinesToComplete() throws Exception {
        AuditReader.Follower follower = reader.follow(AuditQuery.DECISIONS, true);
        assertThat(follower.poll()).isEmpty();

        AuditLog log = open(settings(dir).withSegment(4096, Duration.ofDays(1)), KEY, clock);
        for (int i = 100; i < 120; i++) {
            log.record(flow("f-" + i));
        }
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        List<AuditEntry> polled = follower.poll();
        assertThat(polled).extracting(e -> e.record().get("flow_id").asText())
                .containsExactlyElementsOf(IntStream.range(100, 120).mapToObj(i -> "f-" + i).toList());
        assertThat(polled.stream().map(AuditEntry::segment).distinct().count()).isGreaterThan(1);
        assertThat(follower.poll()).isEmpty();

        Path newest = Segments.list(dir).getLast().path();
        String line = new String(CanonicalJson.bytes(JSON.createObjectNode().put("type", "flow")
                .put("flow_id", "late")), StandardCharsets.UTF_8);
        Files.writeString(newest, line.substring(0, 10), StandardOpenOption.APPEND);
        assertThat(follower.poll()).isEmpty();
        Files.writeString(newest, line.substring(10) + "\n", StandardOpenOption.APPEND);
        assertThat(follower.poll()).extracting(e -> e.record().get("flow_id").asText()).containsExactly("late");
    }

    @Test
    void linesThatAreNotJsonObjectsAreSkippedAndCounted() throws Exception {
        Path seg = Segments.list(dir).getFirst().path();
        List<String> lines = readLines(seg);
        lines.set(0, "garbage");
        writeLines(seg, lines);
        assertThat(ids(AuditQuery.DECISIONS)).hasSize(11);
        assertThat(reader.skippedLines()).isEqualTo(1);
    }
}
