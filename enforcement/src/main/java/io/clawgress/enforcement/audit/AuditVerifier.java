package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import static io.clawgress.enforcement.audit.AuditFields.*;
import static io.clawgress.enforcement.flowlog.FlowRecordFields.TYPE;

/**
 * Verifies an audit directory offline ({@code clawgressctl audit verify}): walks every segment in seq order,
 * recomputes every record's hash over its canonical JSON, checks that each record names its predecessor's hash and
 * seq + 1, checks every checkpoint's Ed25519 signature, and stops at the first bad record, naming its segment, line
 * and seq with a stable {@link Code}. A torn last line of the newest segment is a crash boundary, not tampering: the
 * result is {@link Outcome#OK_TRUNCATED}. docs/audit.md describes each code.
 */
public final class AuditVerifier {

    /** Why verification stopped. The codes are stable: the CLI prints them and scripts match them. */
    public enum Code {
        /** A record's bytes do not hash to its {@code hash}, or are not canonical JSON: it was edited. */
        HASH_MISMATCH("hash_mismatch"),
        /** A record does not name its predecessor's hash: a record was deleted, inserted or moved. */
        CHAIN_BROKEN("chain_broken"),
        /** A record links to its predecessor but its seq is not the predecessor's + 1. */
        SEQ_GAP("seq_gap"),
        /** Whole segments are gone: in the middle, or at the start without a retention record announcing it. */
        SEGMENT_MISSING("segment_missing"),
        /** A checkpoint's signature does not verify, its key is unknown, or it does not cover its predecessor. */
        CHECKPOINT_INVALID("checkpoint_invalid"),
        /** The newest segment ends in a line without its newline: a crash while writing. Not tampering. */
        TRUNCATED_TAIL("truncated_tail"),
        /** A line is not a JSON object with seq, prev_hash, hash and type. */
        MALFORMED_LINE("malformed_line");

        private final String code;

        Code(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** The verdict on the whole directory. */
    public enum Outcome {
        /** Every record verified. */
        OK,
        /** Every complete record verified; the newest segment ends in a torn line (see {@link Result#finding()}). */
        OK_TRUNCATED,
        /** {@link Result#finding()} names the first bad record. */
        BROKEN
    }

    /**
     * Where verification stopped.
     *
     * @param code    why
     * @param segment the segment file
     * @param line    1-based line number in it
     * @param seq     the record's seq, or the seq expected there when the line has none; -1 when unknown
     * @param detail  what was found and what was expected
     */
    public record Finding(Code code, Path segment, long line, long seq, String detail) {
        @Override
        public String toString() {
            return code.code() + " at " + segment.getFileName() + ":" + line + (seq >= 0 ? " (seq " + seq + ")" : "")
                    + ": " + detail;
        }
    }

    /**
     * @param outcome           the verdict
     * @param finding           the first bad record ({@code BROKEN}), the torn line ({@code OK_TRUNCATED}), or null
     * @param segments          segment files seen
     * @param records           records verified
     * @param firstSeq          seq of the first record (1, or later when retention removed older segments); 0 if none
     * @param lastSeq           seq of the last verified record; 0 if none
     * @param lastHash          its hash
     * @param checkpoints       checkpoints verified
     * @param unsignedRecords   verified records after the last checkpoint: chained, but no signature covers them yet
     * @param signaturesChecked false when no public key was given: checkpoints were checked for form only
     * @param types             records verified by type ({@code flow}, {@code admin}, ...), in type order
     */
    public record Result(Outcome outcome, Finding finding, int segments, long records, long firstSeq, long lastSeq,
                         String lastHash, long checkpoints, long unsignedRecords, boolean signaturesChecked,
                         SortedMap<String, Long> types) {
        public Result {
            types = Collections.unmodifiableSortedMap(new TreeMap<>(types));
        }

        public boolean ok() {
            return outcome != Outcome.BROKEN;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Map<String, PublicKey> keys = new LinkedHashMap<>();

    /**
     * @param publicKeys the node audit keys whose checkpoints are trusted (usually one: {@code audit-key.pub.pem});
     *                   empty to check everything but signatures
     */
    public AuditVerifier(Collection<PublicKey> publicKeys) {
        for (PublicKey k : publicKeys) {
            keys.put(AuditKey.keyId(k), k);
        }
    }

    /** Walks {@code auditDir}. I/O errors (an unreadable segment) throw; everything about the content is a result. */
    public Result verify(Path auditDir) throws IOException {
        return new Walk(Segments.list(auditDir)).run();
    }

    private final class Walk {
        private final List<Segments.Segment> segments;
        private long records;
        private final SortedMap<String, Long> types = new TreeMap<>();
        private long firstSeq;
        private long prevSeq;
        private String prevHash;
        private String prevType;
        private long checkpoints;
        private long unsigned;
        private long maxRetainedFrom;
        private Path firstSegment;

        Walk(List<Segments.Segment> segments) {
            this.segments = segments;
        }

        Result run() throws IOException {
            Finding truncation = null;
            for (int si = 0; si < segments.size(); si++) {
                Segments.Segment seg = segments.get(si);
                boolean newest = si == segments.size() - 1;
                long lineNo = 0;
                try (InputStream in = new BufferedInputStream(Files.newInputStream(seg.path()), 1 << 16)) {
                    Segments.LineReader reader = new Segments.LineReader(in);
                    for (Segments.LineReader.Line line; (line = reader.next()) != null; ) {
                        lineNo++;
                        if (!line.complete()) {
                            long expected = records == 0 ? seg.firstSeq() : prevSeq + 1;
                            Finding f = new Finding(newest ? Code.TRUNCATED_TAIL : Code.MALFORMED_LINE, seg.path(),
                                    lineNo, expected, newest
                                    ? line.bytes().length + " bytes without a newline at the end of the newest "
                                    + "segment: a crash while writing; the next start of clawgressd moves them aside"
                                    : "a line without a newline in a segment that is not the newest");
                            if (!newest) {
                                return broken(f);
                            }
                            truncation = f;
                            break;
                        }
                        Finding f = check(seg, lineNo, line.bytes(), lineNo == 1);
                        if (f != null) {
                            return broken(f);
                        }
                    }
                }
                if (lineNo == 0 && !newest) {
                    return broken(new Finding(Code.MALFORMED_LINE, seg.path(), 1, seg.firstSeq(),
                            "an empty segment that is not the newest"));
                }
            }
            if (records > 0 && firstSeq > 1 && maxRetainedFrom < firstSeq) {
                return broken(new Finding(Code.SEGMENT_MISSING, firstSegment, 1, firstSeq, "the log starts at seq "
                        + firstSeq + ", but no retention record announces the deletion of seq 1.." + (firstSeq - 1)
                        + (maxRetainedFrom > 0 ? " (the latest announces a log starting at seq " + maxRetainedFrom + ")"
                        : "")));
            }
            return result(truncation == null ? Outcome.OK : Outcome.OK_TRUNCATED, truncation);
        }

        /** Checks one complete line; null when it is good (and it becomes the predecessor of the next). */
        private Finding check(Segments.Segment seg, long lineNo, byte[] bytes, boolean firstInSegment) {
            Path path = seg.path();
            long expectedSeq = records == 0 ? seg.firstSeq() : prevSeq + 1;
            JsonNode node;
            try {
                node = JSON.readTree(bytes);
            } catch (JsonProcessingException e) {
                return new Finding(Code.MALFORMED_LINE, path, lineNo, expectedSeq, "not JSON: "
                        + e.getOriginalMessage());
            } catch (IOException e) {
                return new Finding(Code.MALFORMED_LINE, path, lineNo, expectedSeq, "not JSON: " + e.getMessage());
            }
            if (node == null || !node.isObject()) {
                return new Finding(Code.MALFORMED_LINE, path, lineNo, expectedSeq, "not a JSON object");
            }
            JsonNode seqNode = node.get(SEQ);
            if (seqNode == null || !seqNode.isIntegralNumber() || !seqNode.canConvertToLong() || seqNode.asLong() < 1
                    || !node.path(TYPE).isTextual() || !isHash(node.path(PREV_HASH).textValue())
                    || !isHash(node.path(HASH).textValue())) {
                return new Finding(Code.MALFORMED_LINE, path, lineNo, expectedSeq,
                        "expected an object with seq (integer >= 1), type, prev_hash and hash (64 lower-case hex)");
            }
            long seq = seqNode.asLong();
            String hash = node.get(HASH).textValue();
            String prev = node.get(PREV_HASH).textValue();
            String type = node.get(TYPE).textValue();

            ObjectNode object = (ObjectNode) node;
            byte[] canonical;
            byte[] canonicalLine;
            try {
                canonicalLine = CanonicalJson.bytes(object);
                JsonNode h = object.remove(HASH);
                canonical = CanonicalJson.bytes(object);
                object.set(HASH, h);
            } catch (IllegalArgumentException e) {
                return new Finding(Code.MALFORMED_LINE, path, lineNo, seq, e.getMessage());
            }
            String actual = sha256Hex(canonical);
            if (!actual.equals(hash)) {
                return new Finding(Code.HASH_MISMATCH, path, lineNo, seq, "the record hashes to " + actual
                        + ", it says " + hash + ": its content was changed");
            }
            if (!Arrays.equals(canonicalLine, bytes)) {
                return new Finding(Code.HASH_MISMATCH, path, lineNo, seq, "the line is not in canonical form "
                        + "(RFC 8785), as every line the writer writes is: its bytes were changed");
            }

            if (firstInSegment && seq != seg.firstSeq()) {
                return new Finding(Code.CHAIN_BROKEN, path, lineNo, seq, "the segment is named for seq "
                        + seg.firstSeq() + " but starts with seq " + seq + ": records were removed or moved");
            }
            if (records == 0) {
                if (seq == 1 && !ZERO_HASH.equals(prev)) {
                    return new Finding(Code.CHAIN_BROKEN, path, lineNo, seq,
                            "seq 1 must have prev_hash " + ZERO_HASH + ", it has " + prev);
                }
                firstSeq = seq;
                firstSegment = path;
            } else {
                if (!prev.equals(prevHash)) {
                    if (firstInSegment && seq > prevSeq + 1 && TYPE_CHECKPOINT.equals(prevType)) {
                        return new Finding(Code.SEGMENT_MISSING, path, lineNo, seq, "the previous segment ends at "
                                + "seq " + prevSeq + " and this one starts at seq " + seq + ": the segment(s) holding "
                                + "seq " + (prevSeq + 1) + ".." + (seq - 1) + " are missing");
                    }
                    return new Finding(Code.CHAIN_BROKEN, path, lineNo, seq, "prev_hash " + prev
                            + " is not the hash of the record before it (seq " + prevSeq + ", " + prevHash
                            + "): a record was deleted, inserted or moved here");
                }
                if (seq != prevSeq + 1) {
                    return new Finding(Code.SEQ_GAP, path, lineNo, seq, "seq " + seq + " follows seq " + prevSeq
                            + " (expected: " + (prevSeq + 1) + ")");
                }
            }
            if (TYPE_CHECKPOINT.equals(type)) {
                String why = checkpointProblem(node, seq, prev);
                if (why != null) {
                    return new Finding(Code.CHECKPOINT_INVALID, path, lineNo, seq, why);
                }
                checkpoints++;
                unsigned = 0;
            } else {
                unsigned++;
            }
            if (TYPE_RETENTION.equals(type) && node.path(RETAINED_FROM_SEQ).canConvertToExactIntegral()) {
                maxRetainedFrom = Math.max(maxRetainedFrom, node.get(RETAINED_FROM_SEQ).asLong());
            }
            records++;
            types.merge(type, 1L, Long::sum);
            prevSeq = seq;
            prevHash = hash;
            prevType = type;
            return null;
        }

        /** Why a checkpoint is invalid, or null. It must sign (seq - 1, prev_hash): its own predecessor. */
        private String checkpointProblem(JsonNode node, long seq, String prev) {
            JsonNode of = node.path(CHECKPOINT_OF);
            if (!of.path(SEQ).canConvertToExactIntegral() || !isHash(of.path(HASH).textValue())) {
                return "checkpoint_of must be {\"seq\":..,\"hash\":..}";
            }
            long coveredSeq = of.get(SEQ).asLong();
            String coveredHash = of.get(HASH).textValue();
            if (coveredSeq != seq - 1 || !coveredHash.equals(prev)) {
                return "checkpoint_of (seq " + coveredSeq + ", " + coveredHash + ") is not the record before it (seq "
                        + (seq - 1) + ", " + prev + ")";
            }
            String keyId = node.path(KEY_ID).textValue();
            String signature = node.path(SIGNATURE).textValue();
            if (keyId == null || signature == null) {
                return "key_id and signature are required";
            }
            if (keys.isEmpty()) {
                return null;
            }
            PublicKey key = keys.get(keyId);
            if (key == null) {
                return "signed with key " + keyId + ", which is not one of the trusted keys " + keys.keySet();
            }
            byte[] sig;
            try {
                sig = Base64.getUrlDecoder().decode(signature);
            } catch (IllegalArgumentException e) {
                return "signature is not base64url: " + e.getMessage();
            }
            if (!AuditKey.verify(key, AuditKey.checkpointMessage(coveredSeq, coveredHash), sig)) {
                return "the signature does not verify with key " + keyId + ": forged or altered";
            }
            return null;
        }

        private Result broken(Finding f) {
            return result(Outcome.BROKEN, f);
        }

        private Result result(Outcome outcome, Finding f) {
            return new Result(outcome, f, segments.size(), records, firstSeq, records == 0 ? 0 : prevSeq,
                    records == 0 ? null : prevHash, checkpoints, unsigned, !keys.isEmpty(), types);
        }
    }

    /** Whether {@code s} is 64 lower-case hex digits. */
    static boolean isHash(String s) {
        if (s == null || s.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
