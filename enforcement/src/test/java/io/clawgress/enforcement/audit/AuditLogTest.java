package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.api.FlowRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import static io.clawgress.enforcement.audit.AuditFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

class AuditLogTest {

    private static final AuditKey KEY = AuditKey.generate();

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock();

    @Test
    void writesOneCanonicalChainedLinePerRecordWithTheFlowRecordFields() throws Exception {
        AuditLog log = open(settings(dir), KEY, clock);
        log.record(flow("f-1"));
        log.request(request("f-1", 1));
        log.record(flow("f-2", "agent-b", "deny", "default", new InetSocketAddress("198.18.2.9", 80)));
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();

        List<Line> lines = lines(dir);
        assertThat(lines).extracting(Line::type).containsExactly("flow", "request", "flow", "checkpoint");
        assertThat(lines).extracting(Line::seq).containsExactly(1L, 2L, 3L, 4L);
        assertThat(lines).extracting(l -> l.segment().getFileName().toString())
                .containsOnly("audit-00000000000000000001.jsonl");
        assertThat(lines.get(0).record().get("prev_hash").asText()).isEqualTo("0".repeat(64));
        for (int i = 0; i < lines.size(); i++) {
            Line l = lines.get(i);
            JsonNode r = l.record();
            // The line is the canonical form of the record, and its hash covers the record without "hash".
            assertThat(l.text()).isEqualTo(new String(CanonicalJson.bytes(r), StandardCharsets.UTF_8));
            var body = r.deepCopy();
            ((com.fasterxml.jackson.databind.node.ObjectNode) body).remove("hash");
            assertThat(r.get("hash").asText()).isEqualTo(AuditVerifier.sha256Hex(CanonicalJson.bytes(body)));
            if (i > 0) {
                assertThat(r.get("prev_hash").asText()).isEqualTo(lines.get(i - 1).record().get("hash").asText());
            }
        }
        JsonNode f = lines.get(0).record();
        assertThat(f.get("flow_id").asText()).isEqualTo("f-1");
        assertThat(f.get("time").asText()).isEqualTo("2026-11-21T12:00:00Z");
        assertThat(f.get("start").asText()).isEqualTo("2026-11-21T11:59:59Z");
        assertThat(f.get("source").asText()).isEqualTo("198.18.1.2:40000");
        assertThat(f.get("original_destination").asText()).isEqualTo("198.18.2.2:443");
        assertThat(f.get("identity").get("agent_id").asText()).isEqualTo("agent-a");
        assertThat(f.get("identity").get("auth").asText()).isEqualTo("subnet");
        assertThat(f.get("peek").asText()).isEqualTo("tls");
        assertThat(f.get("sni").asText()).isEqualTo("api.example.com");
        assertThat(f.get("verdict").asText()).isEqualTo("relay");
        assertThat(f.get("rule").asText()).isEqualTo("web");
        assertThat(f.get("policy_revision").asText()).isEqualTo("static:abc");
        assertThat(f.get("bytes_up").asLong()).isEqualTo(100);
        assertThat(f.get("bytes_down").asLong()).isEqualTo(2000);
        assertThat(f.get("duration_ms").asDouble()).isEqualTo(12.345);
        assertThat(f.get("termination").asText()).isEqualTo("completed");
        JsonNode q = lines.get(1).record();
        assertThat(q.get("sequence").asInt()).isEqualTo(1);
        assertThat(q.get("status").asInt()).isEqualTo(403);
        assertThat(q.get("code").asText()).isEqualTo("policy_denied");
        assertThat(log.written()).isEqualTo(3);
        assertThat(log.lastSeq()).isEqualTo(4);
        assertThat(verify(dir, KEY).outcome()).isEqualTo(AuditVerifier.Outcome.OK);
    }

    @Test
    void rotatesBySizeAndTheChainContinuesAcrossSegments() throws Exception {
        AuditLog log = open(settings(dir).withSegment(4096, Duration.ofHours(1)), KEY, clock);
        for (int i = 0; i < 60; i++) {
            log.record(flow("f-" + i));
        }
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();

        List<Segments.Segment> segments = Segments.list(dir);
        assertThat(segments).hasSizeGreaterThan(5);
        List<Line> lines = lines(dir);
        assertThat(ofType(lines, "flow")).hasSize(60);
        for (int i = 1; i < lines.size(); i++) {
            assertThat(lines.get(i).seq()).isEqualTo(lines.get(i - 1).seq() + 1);
            assertThat(lines.get(i).record().get("prev_hash").asText())
                    .isEqualTo(lines.get(i - 1).record().get("hash").asText());
        }
        for (int s = 0; s < segments.size(); s++) {
            Path seg = segments.get(s).path();
            List<Line> in = lines.stream().filter(l -> l.segment().equals(seg)).toList();
            assertThat(seg.getFileName().toString()).isEqualTo(String.format("audit-%020d.jsonl", in.getFirst().seq()));
            // Every segment ends with a signed checkpoint (the last one: the one close wrote).
            assertThat(in.getLast().type()).isEqualTo("checkpoint");
            // A record that would cross the limit starts the next segment; the closing checkpoint may cross it.
            long withoutCheckpoint = Files.size(seg) - in.getLast().text().length() - 1;
            assertThat(withoutCheckpoint).isLessThanOrEqualTo(4096);
        }
        assertThat(verify(dir, KEY).outcome()).isEqualTo(AuditVerifier.Outcome.OK);
    }

    @Test
    void rotatesByAgeAtTheFirstRecordAfterTheSegmentGrewOld() throws Exception {
        AuditLog log = open(settings(dir).withSegment(AuditSettings.DEFAULT_SEGMENT_MAX_BYTES, Duration.ofMinutes(10)),
                KEY, clock);
        log.record(flow("f-1"));
        log.record(flow("f-2"));
        await("two records", () -> log.written() == 2);
        clock.advance(Duration.ofMinutes(9));
        // The checkpoint interval (10 s) passed too: a checkpoint follows f-2 before anything else is written.
        await("a checkpoint", () -> log.checkpointsWritten() == 1);
        log.record(flow("f-3"));
        await("three records", () -> log.written() == 3);
        clock.advance(Duration.ofMinutes(1));
        log.record(flow("f-4"));
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();

        List<Segments.Segment> segments = Segments.list(dir);
        assertThat(segments).hasSize(2);
        List<Line> lines = lines(dir);
        List<String> first = lines.stream().filter(l -> l.segment().equals(segments.get(0).path()))
                .map(l -> l.type() + ":" + l.record().path("flow_id").asText()).toList();
        // The old segment is closed by a checkpoint of its own before the new one starts.
        assertThat(first).containsExactly("flow:f-1", "flow:f-2", "checkpoint:", "flow:f-3", "checkpoint:");
        assertThat(segments.get(1).firstSeq()).isEqualTo(6);
        assertThat(verify(dir, KEY).outcome()).isEqualTo(AuditVerifier.Outcome.OK);
    }

    @Test
    void checkpointsEveryNRecordsSignTheirPredecessor() throws Exception {
        AuditLog log = open(settings(dir).withCheckpoint(5, Duration.ofHours(1)), KEY, clock);
        for (int i = 0; i < 12; i++) {
            log.record(flow("f-" + i));
        }
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();

        List<Line> lines = lines(dir);
        List<Line> checkpoints = ofType(lines, "checkpoint");
        // After records 1-5 and 6-10 (seq 6 and 12), and the final one close writes after 11-12 (seq 15).
        assertThat(checkpoints).extracting(Line::seq).containsExactly(6L, 12L, 15L);
        for (Line c : checkpoints) {
            JsonNode r = c.record();
            Line covered = lines.get((int) c.seq() - 2);
            assertThat(r.get("checkpoint_of").get("seq").asLong()).isEqualTo(covered.seq());
            assertThat(r.get("checkpoint_of").get("hash").asText()).isEqualTo(covered.record().get("hash").asText());
            assertThat(r.get("key_id").asText()).isEqualTo(KEY.keyId());
            // Checked with the JDK directly, not with the code under test.
            Signature v = Signature.getInstance("Ed25519");
            v.initVerify(KEY.publicKey());
            v.update(("clawgress-audit-checkpoint:v1:" + covered.seq() + ":" + covered.record().get("hash").asText())
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(v.verify(Base64.getUrlDecoder().decode(r.get("signature").asText()))).isTrue();
            assertThat(r.get("signature").asText()).doesNotContain("=", "+", "/");
        }
        assertThat(log.checkpointsWritten()).isEqualTo(3);
        AuditVerifier.Result result = verify(dir, KEY);
        assertThat(result.outcome()).isEqualTo(AuditVerifier.Outcome.OK);
        assertThat(result.checkpoints()).isEqualTo(3);
        assertThat(result.unsignedRecords()).isZero();
    }

    @Test
    void checkpointsOnceTheIntervalPassedWhenThereIsSomethingToSign() throws Exception {
        AuditLog log = open(settings(dir).withCheckpoint(1000, Duration.ofSeconds(10)), KEY, clock);
        log.record(flow("f-1"));
        await("one record", () -> log.written() == 1);
        assertThat(log.checkpointsWritten()).isZero();
        clock.advance(Duration.ofSeconds(10));
        await("a checkpoint", () -> log.checkpointsWritten() == 1);
        log.record(flow("f-2"));
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        assertThat(lines(dir)).extracting(Line::type).containsExactly("flow", "checkpoint", "flow", "checkpoint");
    }

    @Test
    void closeDrainsEverythingQueuedAndEndsWithACheckpoint() throws Exception {
        AuditLog log = open(settings(dir).withQueueCapacity(50_000), KEY, clock);
        for (int i = 0; i < 10_000; i++) {
            log.record(flow("f-" + i));
        }
        assertThat(log.close(Duration.ofSeconds(30))).isTrue();
        assertThat(log.written()).isEqualTo(10_000);
        assertThat(log.dropped()).isZero();
        List<Line> lines = lines(dir);
        assertThat(ofType(lines, "flow")).hasSize(10_000);
        assertThat(lines.getLast().type()).isEqualTo("checkpoint");
        AuditVerifier.Result result = verify(dir, KEY);
        assertThat(result.outcome()).isEqualTo(AuditVerifier.Outcome.OK);
        assertThat(result.unsignedRecords()).isZero();
    }

    @Test
    void concurrentOffersFromManyThreadsAreEachWrittenExactlyOnceInSeqOrder() throws Exception {
        int threads = 16;
        int perThread = 1000;
        AuditLog log = open(settings(dir).withQueueCapacity(threads * perThread)
                .withSegment(256 * 1024, Duration.ofHours(1)), KEY, clock);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            done.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < perThread; i++) {
                    log.record(flow("t" + thread + "-" + i));
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        assertThat(log.close(Duration.ofSeconds(30))).isTrue();

        List<Line> lines = lines(dir);
        List<Line> flows = ofType(lines, "flow");
        assertThat(flows).hasSize(threads * perThread);
        Set<String> ids = new HashSet<>();
        flows.forEach(l -> assertThat(ids.add(l.record().get("flow_id").asText())).isTrue());
        assertThat(ids).hasSize(threads * perThread);
        for (int i = 0; i < lines.size(); i++) {
            assertThat(lines.get(i).seq()).isEqualTo(i + 1);
        }
        // Each thread's records keep their order (one queue, one writer).
        for (int t = 0; t < threads; t++) {
            String prefix = "t" + t + "-";
            List<Integer> order = flows.stream().map(l -> l.record().get("flow_id").asText())
                    .filter(id -> id.startsWith(prefix)).map(id -> Integer.parseInt(id.substring(prefix.length())))
                    .toList();
            assertThat(order).isSorted();
        }
        assertThat(verify(dir, KEY).outcome()).isEqualTo(AuditVerifier.Outcome.OK);
    }

    @Test
    void aFullQueueDropsAndCountsAndLeavesExactlyOneGapWithTheCount() throws Exception {
        FlakyStore store = new FlakyStore();
        store.stall = new CountDownLatch(1);
        AuditLog log = AuditLog.open(settings(dir).withQueueCapacity(16), KEY, clock, store, TICK_MILLIS);
        log.record(flow("f-0"));
        store.stalled.await(); // the writer holds f-0 and is stuck in write()
        for (int i = 1; i <= 16; i++) {
            log.record(flow("f-" + i));
        }
        assertThat(log.dropped()).isZero();
        assertThat(log.accepting()).as("drop_and_gap never refuses").isTrue();
        for (int i = 17; i <= 26; i++) {
            log.record(flow("f-" + i));
        }
        assertThat(log.dropped()).isEqualTo(10);
        store.stall.countDown();
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();

        List<Line> lines = lines(dir);
        List<Line> gaps = ofType(lines, "gap");
        assertThat(gaps).hasSize(1);
        assertThat(gaps.getFirst().record().get("dropped").asLong()).isEqualTo(10);
        assertThat(gaps.getFirst().record().get("reason").asText()).isEqualTo("queue_full");
        assertThat(ofType(lines, "flow")).extracting(l -> l.record().get("flow_id").asText())
                .containsExactlyElementsOf(IntStream.rangeClosed(0, 16).mapToObj(i -> "f-" + i)
                        .toList());
        assertThat(log.gapsWritten()).isEqualTo(1);
        assertThat(verify(dir, KEY).outcome()).isEqualTo(AuditVerifier.Outcome.OK);
    }

    @Test
    void refuseNewFlowsModeStopsAcceptingWhileTheQueueIsFull() throws Exception {
        FlakyStore store = new FlakyStore();
        store.stall = new CountDownLatch(1);
        AuditLog log = AuditLog.open(settings(dir).withQueueCapacity(4).withOnOverflow(OverflowMode.REFUSE_NEW_FLOWS),
                KEY, clock, store, TICK_MILLIS);
        assertThat(log.accepting()).isTrue();
        log.record(flow("f-0"));
        store.stalled.await();
        for (int i = 1; i <= 3; i++) {
            log.record(flow("f-" + i));
        }
        assertThat(log.accepting()).isTrue();
        log.record(flow("f-4"));
        assertThat(log.accepting()).as("queue full").isFalse();
        store.stall.countDown();
        await("the queue to drain", () -> log.queueDepth() == 0 && log.written() == 5);
        assertThat(log.accepting()).isTrue();
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        assertThat(log.accepting()).as("closed").isFalse();
        assertThat(log.dropped()).isZero();
    }

    /** A full disk (writes fail after taking a few bytes) and a read-only remount (segments cannot be opened). */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anUnwritableDirectoryIsRetriedAndTheLossRecordedOnceWritingWorksAgain(boolean readOnly) throws Exception {
        FlakyStore store = new FlakyStore();
        AuditLog log = AuditLog.open(settings(dir).withQueueCapacity(8).withOnOverflow(OverflowMode.REFUSE_NEW_FLOWS),
                KEY, clock, store, TICK_MILLIS);
        log.record(flow("f-1"));
        log.record(flow("f-2"));
        await("two records", () -> log.written() == 2);

        store.partialBytes = 10; // a full disk takes the first bytes of a write, then fails
        store.readOnly = readOnly;
        store.failing = true;
        for (int i = 3; i <= 10; i++) {
            log.record(flow("f-" + i));
        }
        await("the writer to hold 8 records", () -> log.failing() && log.pendingForTest() == 8);
        assertThat(log.accepting()).as("the disk fails").isFalse();
        for (int i = 11; i <= 18; i++) {
            log.record(flow("f-" + i)); // the queue takes 8 more
        }
        assertThat(log.dropped()).isZero();
        for (int i = 19; i <= 23; i++) {
            log.record(flow("f-" + i)); // memory and queue are full: these are lost
        }
        assertThat(log.dropped()).isEqualTo(5);
        await("a few retries", () -> log.writeErrors() >= 3);
        assertThat(log.written()).isEqualTo(2);

        store.failing = false;
        await("recovery", () -> log.written() == 18 && log.gapsWritten() == 1);
        assertThat(log.failing()).isFalse();
        assertThat(log.accepting()).isTrue();
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();

        List<Line> lines = lines(dir);
        List<Line> gaps = ofType(lines, "gap");
        assertThat(gaps).hasSize(1);
        JsonNode gap = gaps.getFirst().record();
        assertThat(gap.get("dropped").asLong()).isEqualTo(5);
        assertThat(gap.get("reason").asText()).isEqualTo("write_failed");
        assertThat(gap.get("detail").asText()).contains(readOnly ? "Read-only file system" : "No space left on device");
        List<String> order = lines.stream().filter(l -> !l.type().equals("checkpoint"))
                .map(l -> l.type().equals("gap") ? "gap" : l.record().get("flow_id").asText()).toList();
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            expected.add("f-" + i);
        }
        expected.add("gap"); // noticed while the writer held f-3..f-10; the queue's f-11..f-18 follow
        for (int i = 11; i <= 18; i++) {
            expected.add("f-" + i);
        }
        assertThat(order).containsExactlyElementsOf(expected);
        // The bytes the failed writes left were cut off: the chain verifies.
        assertThat(verify(dir, KEY).outcome()).isEqualTo(AuditVerifier.Outcome.OK);
    }

    @Test
    void closeGivesUpAtItsTimeoutWhenTheDiskStaysUnwritable() throws Exception {
        FlakyStore store = new FlakyStore();
        AuditLog log = AuditLog.open(settings(dir), KEY, clock, store, TICK_MILLIS);
        store.readOnly = true;
        store.failing = true;
        log.record(flow("f-1"));
        await("a failed write", () -> log.writeErrors() > 0);
        assertThat(log.close(Duration.ofMillis(200))).isFalse();
        assertThat(log.written()).isZero();
    }

    @Test
    void recordsOfferedAfterCloseAreCountedAsDropped() throws Exception {
        AuditLog log = open(settings(dir), KEY, clock);
        log.record(flow("f-1"));
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        FlowRecord late = flow("late");
        log.record(late);
        log.request(request("late", 1));
        assertThat(log.dropped()).isEqualTo(2);
        assertThat(log.written()).isEqualTo(1);
        assertThat(ofType(lines(dir), "flow")).hasSize(1);
    }
}
