package io.clawgress.enforcement.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static io.clawgress.enforcement.audit.AuditFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reopening after a graceful stop, after a crash that tore the last line, and after a crash right after rotation. */
class AuditRecoveryTest {

    private static final AuditKey KEY = AuditKey.generate();

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock();

    private void writeFlows(int from, int to) throws IOException {
        AuditLog log = open(settings(dir), KEY, clock);
        for (int i = from; i < to; i++) {
            log.record(flow("f-" + i));
        }
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void reopeningAfterAGracefulStopContinuesTheChain() throws Exception {
        writeFlows(0, 3);
        writeFlows(3, 6);
        List<Line> lines = lines(dir);
        assertThat(lines).extracting(Line::type)
                .containsExactly("flow", "flow", "flow", "checkpoint", "flow", "flow", "flow", "checkpoint");
        assertThat(lines.get(4).record().get("prev_hash").asText())
                .isEqualTo(lines.get(3).record().get("hash").asText());
        assertThat(verify(dir, KEY).outcome()).isEqualTo(AuditVerifier.Outcome.OK);
    }

    @Test
    void aTornLastLineIsSetAsideCutOffAndTheChainContinuesAfterTheLastCompleteRecord() throws Exception {
        writeFlows(0, 5);
        Path seg = Segments.list(dir).getFirst().path();
        long sizeBefore = Files.size(seg);
        String torn = "{\"alpn\":[\"h2\"],\"bytes_down\":20";
        Files.writeString(seg, torn, StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        AuditVerifier.Result before = verify(dir, KEY);
        assertThat(before.outcome()).isEqualTo(AuditVerifier.Outcome.OK_TRUNCATED);
        assertThat(before.finding().code()).isEqualTo(AuditVerifier.Code.TRUNCATED_TAIL);
        assertThat(before.finding().line()).isEqualTo(7);
        assertThat(before.finding().seq()).isEqualTo(7);

        clock.advance(Duration.ofSeconds(1));
        writeFlows(5, 8);

        try (Stream<Path> files = Files.list(dir)) {
            List<Path> aside = files.filter(p -> p.getFileName().toString().contains(".partial-")).toList();
            assertThat(aside).extracting(p -> p.getFileName().toString())
                    .containsExactly("audit-00000000000000000001.jsonl.partial-20261121T120001.000Z");
            assertThat(Files.readString(aside.getFirst())).isEqualTo(torn);
        }
        List<Line> lines = lines(dir);
        assertThat(lines).hasSize(6 + 4);
        assertThat(lines.get(6).seq()).isEqualTo(7);
        assertThat(lines.get(6).record().get("flow_id").asText()).isEqualTo("f-5");
        assertThat(lines.get(6).record().get("prev_hash").asText())
                .isEqualTo(lines.get(5).record().get("hash").asText());
        assertThat(Files.size(seg)).isGreaterThan(sizeBefore);
        AuditVerifier.Result after = verify(dir, KEY);
        assertThat(after.outcome()).isEqualTo(AuditVerifier.Outcome.OK);
        assertThat(after.lastSeq()).isEqualTo(10);
    }

    @Test
    void aNewestSegmentHoldingOnlyATornLineIsReused() throws Exception {
        writeFlows(0, 2); // seq 1-3
        Path next = dir.resolve(Segments.name(4));
        Files.writeString(next, "{\"alpn\":", StandardCharsets.UTF_8);
        assertThat(verify(dir, KEY).outcome()).isEqualTo(AuditVerifier.Outcome.OK_TRUNCATED);

        writeFlows(2, 3);
        assertThat(Segments.list(dir)).extracting(Segments.Segment::firstSeq).containsExactly(1L, 4L);
        assertThat(readLines(next)).hasSize(2);
        assertThat(verify(dir, KEY).outcome()).isEqualTo(AuditVerifier.Outcome.OK);
    }

    @Test
    void anEmptyNewestSegmentLeftByACrashRightAfterRotationIsReused() throws Exception {
        writeFlows(0, 2);
        Path next = dir.resolve(Segments.name(4));
        Files.createFile(next);
        writeFlows(2, 4);
        assertThat(readLines(next)).extracting(l -> JSON.readTree(l).get("seq").asLong())
                .containsExactly(4L, 5L, 6L);
        assertThat(verify(dir, KEY).outcome()).isEqualTo(AuditVerifier.Outcome.OK);
    }

    @Test
    void anEmptyNewestSegmentNamedForTheWrongSeqRefusesToOpen() throws Exception {
        writeFlows(0, 2);
        Files.createFile(dir.resolve(Segments.name(9)));
        assertThatThrownBy(() -> open(settings(dir), KEY, clock)).isInstanceOf(IOException.class)
                .hasMessageContaining("named for seq 9 (expected: 4");
    }

    @Test
    void aLastCompleteLineThatIsNotARecordRefusesToOpenRatherThanGuessTheChain() throws Exception {
        writeFlows(0, 2);
        Path seg = Segments.list(dir).getFirst().path();
        Files.writeString(seg, "garbage\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        assertThatThrownBy(() -> open(settings(dir), KEY, clock)).isInstanceOf(IOException.class)
                .hasMessageContaining("the chain cannot be continued");
    }

    @Test
    void afterAnUncleanStopTheNextCheckpointSignsTheUnsignedTail() throws Exception {
        writeFlows(0, 2);
        Path seg = Segments.list(dir).getFirst().path();
        List<String> lines = readLines(seg);
        lines.removeLast(); // as if killed before the final checkpoint
        writeLines(seg, lines);
        assertThat(verify(dir, KEY).unsignedRecords()).isEqualTo(2);

        AuditLog log = open(settings(dir), KEY, clock);
        clock.advance(AuditSettings.DEFAULT_CHECKPOINT_INTERVAL);
        await("a checkpoint", () -> log.checkpointsWritten() == 1);
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        AuditVerifier.Result r = verify(dir, KEY);
        assertThat(r.outcome()).isEqualTo(AuditVerifier.Outcome.OK);
        assertThat(r.unsignedRecords()).isZero();
        assertThat(r.lastSeq()).isEqualTo(3);
    }
}
