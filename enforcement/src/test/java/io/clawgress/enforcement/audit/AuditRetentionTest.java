package io.clawgress.enforcement.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.clawgress.enforcement.audit.AuditFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

class AuditRetentionTest {

    private static final AuditKey KEY = AuditKey.generate();

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock();

    @Test
    void totalSizeDeletesWholeOldestSegmentsAnnouncedInTheChainAndVerifyStillPasses() throws Exception {
        long limit = 5 * 4096;
        AuditLog log = open(settings(dir).withSegment(4096, Duration.ofHours(1)).withRetention(limit, Duration.ZERO),
                KEY, clock);
        for (int i = 0; i < 200; i++) {
            log.record(flow("f-" + i));
        }
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();

        List<Segments.Segment> left = Segments.list(dir);
        long total = 0;
        for (Segments.Segment s : left) {
            total += Files.size(s.path());
        }
        // Checked at each rotation: what is left fits, but for the segment being written since (and its checkpoint).
        assertThat(total).isLessThanOrEqualTo(limit + 4096 + 1024);
        assertThat(log.segmentsDeleted()).isGreaterThan(10);
        List<Line> lines = lines(dir);
        assertThat(lines.getFirst().seq()).isGreaterThan(1);
        // Whole segments only: every file still starts with the record its name says.
        for (Segments.Segment s : left) {
            assertThat(lines.stream().filter(l -> l.segment().equals(s.path())).findFirst().orElseThrow().seq())
                    .isEqualTo(s.firstSeq());
        }
        List<Line> retention = ofType(lines, "retention");
        assertThat(retention).isNotEmpty();
        Line latest = retention.getLast();
        assertThat(latest.record().get("reason").asText()).isEqualTo("max_total_bytes");
        assertThat(latest.record().get("deleted_segments").asInt()).isPositive();
        assertThat(latest.record().get("retained_from_seq").asLong()).isEqualTo(left.getFirst().firstSeq());

        AuditVerifier.Result r = verify(dir, KEY);
        assertThat(r.outcome()).as(String.valueOf(r.finding())).isEqualTo(AuditVerifier.Outcome.OK);
        assertThat(r.firstSeq()).isEqualTo(left.getFirst().firstSeq());
        assertThat(r.records()).isEqualTo(lines.size());
    }

    @Test
    void ageDeletesSegmentsWhoseNewestRecordIsOlderThanTheLimitButNeverTheCurrentOne() throws Exception {
        AuditLog log = open(settings(dir).withSegment(AuditSettings.DEFAULT_SEGMENT_MAX_BYTES, Duration.ofMinutes(10))
                .withRetention(0, Duration.ofHours(1)), KEY, clock);
        // One record every 10 minutes for two hours: one segment each.
        for (int i = 0; i < 12; i++) {
            long before = log.written();
            log.record(flow("f-" + i));
            await("record " + i, () -> log.written() == before + 1);
            clock.advance(Duration.ofMinutes(10));
        }
        // Retention runs at rotation and every minute: let a check pass at the final time.
        clock.advance(Duration.ofMinutes(1));
        await("retention", () -> log.segmentsDeleted() >= 6);
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();

        // Segment k (0-based) ends with the checkpoint written when record k+1 arrived, at 10(k+1) minutes: at
        // 121 minutes, segments 0-5 are older than an hour.
        assertThat(log.segmentsDeleted()).isEqualTo(6);
        assertThat(Segments.list(dir)).hasSize(6);
        Instant now = clock.instant();
        List<Line> lines = lines(dir);
        for (Segments.Segment s : Segments.list(dir)) {
            Line last = lines.stream().filter(l -> l.segment().equals(s.path())).reduce((a, b) -> b).orElseThrow();
            // Kept: its newest record is within the hour (a segment goes only once all of it is older).
            assertThat(Instant.parse(last.record().get("time").asText()).plus(Duration.ofHours(1)))
                    .isAfterOrEqualTo(now);
        }
        assertThat(ofType(lines, "retention").getLast().record().get("reason").asText()).isEqualTo("max_age");
        AuditVerifier.Result r = verify(dir, KEY);
        assertThat(r.outcome()).as(String.valueOf(r.finding())).isEqualTo(AuditVerifier.Outcome.OK);
        assertThat(r.firstSeq()).isGreaterThan(1);
    }

    @Test
    void theSegmentBeingWrittenIsNeverDeletedEvenWhenItAloneExceedsTheLimit() throws Exception {
        AuditLog log = open(settings(dir).withRetention(1, Duration.ZERO), KEY, clock);
        for (int i = 0; i < 50; i++) {
            log.record(flow("f-" + i));
        }
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        assertThat(Segments.list(dir)).hasSize(1);
        assertThat(log.segmentsDeleted()).isZero();
        assertThat(ofType(lines(dir), "flow")).hasSize(50);
    }

    @Test
    void deletingMoreThanTheRetentionRecordAnnouncedIsCaught() throws Exception {
        AuditLog log = open(settings(dir).withSegment(4096, Duration.ofHours(1)).withRetention(5 * 4096, Duration.ZERO),
                KEY, clock);
        for (int i = 0; i < 100; i++) {
            log.record(flow("f-" + i));
        }
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        List<Segments.Segment> left = Segments.list(dir);
        Files.delete(left.getFirst().path());

        AuditVerifier.Result r = verify(dir, KEY);
        assertThat(r.outcome()).isEqualTo(AuditVerifier.Outcome.BROKEN);
        assertThat(r.finding().code()).isEqualTo(AuditVerifier.Code.SEGMENT_MISSING);
        assertThat(r.finding().segment()).isEqualTo(left.get(1).path());
        assertThat(r.finding().line()).isEqualTo(1);
    }
}
