package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static io.clawgress.enforcement.audit.AuditFixture.*;
import static io.clawgress.enforcement.audit.AuditVerifier.Code.*;
import static io.clawgress.enforcement.audit.AuditVerifier.Outcome.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Each way of tampering with the log is named at the record where it happened. */
class AuditVerifierTest {

    private static final AuditKey KEY = AuditKey.generate();
    private static final int FLOWS = 40;

    @TempDir
    Path dir;

    private List<Segments.Segment> segments;

    /** 40 flows in segments of at most 4 KiB (6-7 records each), a checkpoint every 5 records. */
    @BeforeEach
    void writeLog() throws Exception {
        MutableClock clock = new MutableClock();
        AuditLog log = open(settings(dir).withSegment(4096, Duration.ofHours(1)).withCheckpoint(5, Duration.ofHours(1)),
                KEY, clock);
        for (int i = 0; i < FLOWS; i++) {
            log.record(flow("f-" + i));
        }
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        segments = Segments.list(dir);
        assertThat(segments).hasSizeGreaterThanOrEqualTo(5);
    }

    private Path segment(int i) {
        return segments.get(i).path();
    }

    private static ObjectNode parse(String line) throws Exception {
        return (ObjectNode) JSON.readTree(line);
    }

    private static void assertFinding(AuditVerifier.Result r, AuditVerifier.Code code, Path segment, int line,
                                      long seq) {
        assertThat(r.outcome()).as(String.valueOf(r.finding())).isEqualTo(BROKEN);
        assertThat(r.ok()).isFalse();
        AuditVerifier.Finding f = r.finding();
        assertThat(f.code()).as(f.toString()).isEqualTo(code);
        assertThat(f.segment()).as(f.toString()).isEqualTo(segment);
        assertThat(f.line()).as(f.toString()).isEqualTo(line);
        assertThat(f.seq()).as(f.toString()).isEqualTo(seq);
    }

    @Test
    void anIntactLogVerifies() throws Exception {
        AuditVerifier.Result r = verify(dir, KEY);
        List<Line> lines = lines(dir);
        assertThat(r.outcome()).isEqualTo(OK);
        assertThat(r.finding()).isNull();
        assertThat(r.records()).isEqualTo(lines.size());
        assertThat(r.firstSeq()).isEqualTo(1);
        assertThat(r.lastSeq()).isEqualTo(lines.getLast().seq());
        assertThat(r.lastHash()).isEqualTo(lines.getLast().record().get("hash").asText());
        assertThat(r.checkpoints()).isEqualTo(ofType(lines, "checkpoint").size());
        assertThat(r.segments()).isEqualTo(segments.size());
        assertThat(r.unsignedRecords()).isZero();
        assertThat(r.signaturesChecked()).isTrue();
    }

    @Test
    void oneByteEditedIsAHashMismatchAtThatRecord() throws Exception {
        Path seg = segment(2);
        List<String> lines = readLines(seg);
        int lineNo = firstLineOfType(lines, "flow");
        long seq = parse(lines.get(lineNo - 1)).get("seq").asLong();
        byte[] bytes = Files.readAllBytes(seg);
        int at = offsetOfLine(bytes, lineNo) + lines.get(lineNo - 1).indexOf("\"agent-a\"") + 7;
        assertThat(bytes[at]).isEqualTo((byte) 'a');
        bytes[at] = 'b'; // agent-a -> agent-b
        Files.write(seg, bytes);

        AuditVerifier.Result r = verify(dir, KEY);
        assertFinding(r, HASH_MISMATCH, seg, lineNo, seq);
        assertThat(r.lastSeq()).isEqualTo(seq - 1);
    }

    @Test
    void aRecordReformattedWithoutChangingItsValueIsStillCaught() throws Exception {
        Path seg = segment(1);
        List<String> lines = readLines(seg);
        long seq = parse(lines.get(1)).get("seq").asLong();
        lines.set(1, lines.get(1).replaceFirst(",", ", "));
        writeLines(seg, lines);
        AuditVerifier.Result r = verify(dir, KEY);
        assertFinding(r, HASH_MISMATCH, seg, 2, seq);
        assertThat(r.finding().detail()).contains("not in canonical form");
    }

    @Test
    void aDeletedRecordBreaksTheChainAtTheRecordThatFollowedIt() throws Exception {
        Path seg = segment(2);
        List<String> lines = readLines(seg);
        long nextSeq = parse(lines.get(2)).get("seq").asLong();
        lines.remove(1);
        writeLines(seg, lines);
        assertFinding(verify(dir, KEY), CHAIN_BROKEN, seg, 2, nextSeq);
    }

    @Test
    void twoSwappedRecordsBreakTheChainAtTheFirstOfThem() throws Exception {
        Path seg = segment(3);
        List<String> lines = readLines(seg);
        String second = lines.get(1);
        lines.set(1, lines.get(2));
        lines.set(2, second);
        writeLines(seg, lines);
        assertFinding(verify(dir, KEY), CHAIN_BROKEN, seg, 2, parse(lines.get(1)).get("seq").asLong());
    }

    @Test
    void aDeletedSegmentInTheMiddleIsNamedAtTheStartOfTheNextOne() throws Exception {
        Files.delete(segment(2));
        AuditVerifier.Result r = verify(dir, KEY);
        assertFinding(r, SEGMENT_MISSING, segment(3), 1, segments.get(3).firstSeq());
        assertThat(r.finding().detail()).contains("seq " + segments.get(2).firstSeq() + ".."
                + (segments.get(3).firstSeq() - 1) + " are missing");
    }

    @Test
    void theDeletedLastRecordOfASegmentIsABrokenChainNotAMissingSegment() throws Exception {
        Path seg = segment(1);
        List<String> lines = readLines(seg);
        lines.removeLast();
        writeLines(seg, lines);
        assertFinding(verify(dir, KEY), CHAIN_BROKEN, segment(2), 1, segments.get(2).firstSeq());
    }

    @Test
    void theDeletedFirstRecordOfASegmentIsABrokenChain() throws Exception {
        Path seg = segment(2);
        List<String> lines = readLines(seg);
        lines.removeFirst();
        writeLines(seg, lines);
        AuditVerifier.Result r = verify(dir, KEY);
        assertFinding(r, CHAIN_BROKEN, seg, 1, segments.get(2).firstSeq() + 1);
        assertThat(r.finding().detail()).contains("named for seq " + segments.get(2).firstSeq());
    }

    @Test
    void aCheckpointSignedByAnotherKeyIsInvalid() throws Exception {
        AuditKey attacker = AuditKey.generate();
        Path seg = segment(2);
        List<String> lines = readLines(seg);
        int lineNo = firstLineOfType(lines, "checkpoint");
        ObjectNode cp = parse(lines.get(lineNo - 1));
        byte[] message = AuditKey.checkpointMessage(cp.get("checkpoint_of").get("seq").asLong(),
                cp.get("checkpoint_of").get("hash").asText());
        cp.put("signature", Base64.getUrlEncoder().withoutPadding().encodeToString(attacker.sign(message)));
        lines.set(lineNo - 1, reseal(cp)); // re-hashed: only the signature can tell
        writeLines(seg, lines);

        AuditVerifier.Result r = verify(dir, KEY);
        assertFinding(r, CHECKPOINT_INVALID, seg, lineNo, cp.get("seq").asLong());
        assertThat(r.finding().detail()).contains("does not verify with key " + KEY.keyId());
    }

    @Test
    void aCheckpointNamingAnUntrustedKeyIsInvalid() throws Exception {
        AuditKey attacker = AuditKey.generate();
        Path seg = segment(1);
        List<String> lines = readLines(seg);
        int lineNo = firstLineOfType(lines, "checkpoint");
        ObjectNode cp = parse(lines.get(lineNo - 1));
        byte[] message = AuditKey.checkpointMessage(cp.get("checkpoint_of").get("seq").asLong(),
                cp.get("checkpoint_of").get("hash").asText());
        cp.put("key_id", attacker.keyId());
        cp.put("signature", Base64.getUrlEncoder().withoutPadding().encodeToString(attacker.sign(message)));
        lines.set(lineNo - 1, reseal(cp));
        writeLines(seg, lines);

        AuditVerifier.Result r = verify(dir, KEY);
        assertFinding(r, CHECKPOINT_INVALID, seg, lineNo, cp.get("seq").asLong());
        assertThat(r.finding().detail()).contains(attacker.keyId()).contains("not one of the trusted keys");
    }

    /**
     * An attacker who edits a record and re-hashes every record after it keeps the chain consistent, but cannot
     * re-sign: the next checkpoint no longer verifies.
     */
    @Test
    void aRecordEditedAndTheChainRehashedIsCaughtByTheNextCheckpoint() throws Exception {
        List<Line> all = lines(dir);
        Line victim = all.stream().filter(l -> l.type().equals("flow") && l.seq() > 10).findFirst().orElseThrow();
        Line nextCheckpoint = all.stream().filter(l -> l.type().equals("checkpoint") && l.seq() > victim.seq())
                .findFirst().orElseThrow();
        String prevHash = null;
        for (Segments.Segment s : segments) {
            List<String> lines = readLines(s.path());
            for (int i = 0; i < lines.size(); i++) {
                ObjectNode r = parse(lines.get(i));
                long seq = r.get("seq").asLong();
                if (seq < victim.seq()) {
                    continue;
                }
                if (seq == victim.seq()) {
                    r.put("verdict", "deny");
                } else {
                    r.put("prev_hash", prevHash);
                    if (r.get("type").asText().equals("checkpoint")) {
                        ((ObjectNode) r.get("checkpoint_of")).put("hash", prevHash);
                    }
                }
                lines.set(i, reseal(r));
                prevHash = parse(lines.get(i)).get("hash").asText();
            }
            writeLines(s.path(), lines);
        }
        AuditVerifier.Result r = verify(dir, KEY);
        assertFinding(r, CHECKPOINT_INVALID, nextCheckpoint.segment(), nextCheckpoint.lineNo(), nextCheckpoint.seq());
        // Without the key, nothing is left to notice: which is why the public key must come from elsewhere.
        assertThat(new AuditVerifier(List.of()).verify(dir).outcome()).isEqualTo(OK);
    }

    @Test
    void aSeqThatSkipsWhileTheHashesLinkIsASeqGap() throws Exception {
        Path seg = segment(segments.size() - 1);
        List<String> lines = readLines(seg);
        ObjectNode last = parse(lines.getLast());
        long seq = last.get("seq").asLong();
        last.put("seq", seq + 5);
        lines.set(lines.size() - 1, reseal(last));
        writeLines(seg, lines);
        assertFinding(verify(dir, KEY), SEQ_GAP, seg, lines.size(), seq + 5);
    }

    @Test
    void aLineThatIsNotARecordIsMalformed() throws Exception {
        Path seg = segment(1);
        List<String> lines = readLines(seg);
        long seq = parse(lines.get(2)).get("seq").asLong();
        lines.set(2, "{\"type\":\"flow\",\"note\":\"no chain fields\"}");
        writeLines(seg, lines);
        assertFinding(verify(dir, KEY), MALFORMED_LINE, seg, 3, seq);

        lines.set(2, "not json at all");
        writeLines(seg, lines);
        assertFinding(verify(dir, KEY), MALFORMED_LINE, seg, 3, seq);
    }

    @Test
    void aDuplicatedMemberIsMalformedNotSilentlyResolved() throws Exception {
        Path seg = segment(1);
        List<String> lines = readLines(seg);
        long seq = parse(lines.get(2)).get("seq").asLong();
        lines.set(2, lines.get(2).replace("\"verdict\":\"relay\"", "\"verdict\":\"deny\",\"verdict\":\"relay\""));
        writeLines(seg, lines);
        assertFinding(verify(dir, KEY), MALFORMED_LINE, seg, 3, seq);
    }

    @Test
    void aTornLastLineIsACrashBoundaryNotTampering() throws Exception {
        Path seg = segment(segments.size() - 1);
        List<String> lines = readLines(seg);
        long lastSeq = parse(lines.getLast()).get("seq").asLong();
        String torn = lines.removeLast();
        Files.writeString(seg, String.join("\n", lines) + "\n" + torn.substring(0, torn.length() / 2),
                StandardCharsets.UTF_8);

        AuditVerifier.Result r = verify(dir, KEY);
        assertThat(r.outcome()).isEqualTo(OK_TRUNCATED);
        assertThat(r.ok()).isTrue();
        assertThat(r.finding().code()).isEqualTo(TRUNCATED_TAIL);
        assertThat(r.finding().segment()).isEqualTo(seg);
        assertThat(r.finding().line()).isEqualTo(lines.size() + 1);
        assertThat(r.finding().seq()).isEqualTo(lastSeq);
        assertThat(r.lastSeq()).isEqualTo(lastSeq - 1);
    }

    @Test
    void aTornLineInAnOlderSegmentIsMalformed() throws Exception {
        Path seg = segment(1);
        List<String> lines = readLines(seg);
        Files.writeString(seg, String.join("\n", lines), StandardCharsets.UTF_8); // no final newline
        assertFinding(verify(dir, KEY), MALFORMED_LINE, seg, lines.size(),
                parse(lines.getLast()).get("seq").asLong());
    }

    @Test
    void theOldestSegmentDeletedByHandIsMissingBecauseNoRetentionRecordAnnouncedIt() throws Exception {
        Files.delete(segment(0));
        AuditVerifier.Result r = verify(dir, KEY);
        assertFinding(r, SEGMENT_MISSING, segment(1), 1, segments.get(1).firstSeq());
        assertThat(r.finding().detail()).contains("no retention record");
    }

    @Test
    void theLastRecordsDeletedLeaveAnUnsignedTailThatVerifySays() throws Exception {
        Path seg = segment(segments.size() - 1);
        List<String> lines = readLines(seg);
        assertThat(parse(lines.getLast()).get("type").asText()).isEqualTo("checkpoint");
        lines.removeLast(); // the final checkpoint: what is left still chains, but nothing signs it
        writeLines(seg, lines);
        AuditVerifier.Result r = verify(dir, KEY);
        assertThat(r.outcome()).isEqualTo(OK);
        assertThat(r.unsignedRecords()).isGreaterThan(0);
    }

    @Test
    void withoutAKeyEverythingButSignaturesIsChecked() throws Exception {
        AuditVerifier.Result r = new AuditVerifier(List.of()).verify(dir);
        assertThat(r.outcome()).isEqualTo(OK);
        assertThat(r.signaturesChecked()).isFalse();
    }

    @Test
    void anEmptyDirectoryIsAnEmptyLog() throws Exception {
        AuditVerifier.Result r = verify(dir.resolve("nothing-here"), KEY);
        assertThat(r.outcome()).isEqualTo(OK);
        assertThat(r.records()).isZero();
    }

    private static int firstLineOfType(List<String> lines, String type) throws Exception {
        for (int i = 0; i < lines.size(); i++) {
            if (parse(lines.get(i)).get("type").asText().equals(type)) {
                return i + 1;
            }
        }
        throw new AssertionError("no " + type + " line");
    }

    private static int offsetOfLine(byte[] bytes, int lineNo) {
        int line = 1;
        for (int i = 0; i < bytes.length; i++) {
            if (line == lineNo) {
                return i;
            }
            if (bytes[i] == '\n') {
                line++;
            }
        }
        throw new AssertionError("no line " + lineNo);
    }
}
