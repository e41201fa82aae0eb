package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.RequestRecord;
import io.clawgress.enforcement.flowlog.FlowRecordJson;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

import static io.clawgress.enforcement.audit.AuditFields.*;
import static io.clawgress.enforcement.flowlog.FlowRecordFields.*;

/**
 * The bodies of audit records (everything but the chain fields) and their sealing into chained lines. Field for
 * field, flow and request bodies are the flow log's lines (docs/flow-records.md), so the two stay one format.
 * Writer thread only (one {@link MessageDigest}, one buffer).
 */
final class AuditRecords {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final byte[] HASH_MEMBER_NAME = "\"hash\":\"".getBytes(StandardCharsets.US_ASCII);

    private final MessageDigest sha256;
    private final CanonicalJson.ByteSink body = new CanonicalJson.ByteSink(1024);

    AuditRecords() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    static ObjectNode flow(FlowRecord r, Instant now) {
        return FlowRecordJson.flow(r, now);
    }

    static ObjectNode request(RequestRecord r) {
        return FlowRecordJson.request(r);
    }

    static ObjectNode admin(AdminRecord r) {
        ObjectNode o = NODES.objectNode();
        o.put(TYPE, TYPE_ADMIN);
        o.put(TIME, r.time().toString());
        o.put(UID, r.uidUnsigned());
        o.put(GID, r.gidUnsigned());
        o.put(PID, r.pid());
        o.put(METHOD, r.method());
        o.put(PATH, r.path());
        o.put(ACTION, r.action());
        optional(o, TARGET, r.target());
        o.put(OUTCOME, r.outcome().code());
        o.put(STATUS, r.status());
        optional(o, DETAIL, r.detail());
        return o;
    }

    static ObjectNode gap(long dropped, String reason, String detail, Instant now) {
        ObjectNode o = NODES.objectNode();
        o.put(TYPE, TYPE_GAP);
        o.put(TIME, now.toString());
        o.put(DROPPED, dropped);
        o.put(REASON, reason);
        optional(o, DETAIL, detail);
        return o;
    }

    /** A checkpoint signing the record ({@code coveredSeq}, {@code coveredHash}): always its predecessor. */
    static ObjectNode checkpoint(long coveredSeq, String coveredHash, AuditKey key, Instant now) {
        ObjectNode o = NODES.objectNode();
        o.put(TYPE, TYPE_CHECKPOINT);
        o.put(TIME, now.toString());
        ObjectNode of = o.putObject(CHECKPOINT_OF);
        of.put(SEQ, coveredSeq);
        of.put(HASH, coveredHash);
        o.put(KEY_ID, key.keyId());
        o.put(SIGNATURE, Base64.getUrlEncoder().withoutPadding()
                .encodeToString(key.sign(AuditKey.checkpointMessage(coveredSeq, coveredHash))));
        return o;
    }

    static ObjectNode retention(long retainedFromSeq, int deletedSegments, long deletedBytes, String reason,
                                Instant now) {
        ObjectNode o = NODES.objectNode();
        o.put(TYPE, TYPE_RETENTION);
        o.put(TIME, now.toString());
        o.put(RETAINED_FROM_SEQ, retainedFromSeq);
        o.put(DELETED_SEGMENTS, deletedSegments);
        o.put(DELETED_BYTES, deletedBytes);
        o.put(REASON, reason);
        return o;
    }

    /** One sealed record: its line (canonical JSON with {@code hash}, then '\n') and its hash. */
    record Sealed(byte[] line, String hash) {
    }

    /**
     * Adds {@code seq} and {@code prev_hash} to {@code body}, hashes its canonical form, and returns the canonical
     * form of the record with {@code hash} as its line. The line is canonical JSON itself: {@code hash} is spliced
     * in where member sorting puts it, rather than serialising twice.
     */
    Sealed seal(ObjectNode body, long seq, String prevHash) {
        body.put(SEQ, seq);
        body.put(PREV_HASH, prevHash);
        this.body.reset();
        this.body.write('{');
        int insertAt = -1;
        boolean first = true;
        for (String name : CanonicalJson.sortedNames(body)) {
            if (!first) {
                this.body.write(',');
            }
            first = false;
            if (insertAt < 0 && name.compareTo(HASH) > 0) {
                insertAt = this.body.size();
            }
            CanonicalJson.writeString(name, this.body);
            this.body.write(':');
            CanonicalJson.write(body.get(name), this.body);
        }
        this.body.write('}');
        sha256.update(this.body.array(), 0, this.body.size());
        String hash = HexFormat.of().formatHex(sha256.digest());

        byte[] hashBytes = hash.getBytes(StandardCharsets.US_ASCII);
        // Members always follow "hash" ("prev_hash", "seq", "time", "type"), so it goes before one of them.
        if (insertAt < 0) {
            throw new IllegalStateException("a record without seq/type: " + body);
        }
        int n = this.body.size();
        byte[] line = new byte[n + HASH_MEMBER_NAME.length + hashBytes.length + 3];
        byte[] src = this.body.array();
        System.arraycopy(src, 0, line, 0, insertAt);
        int p = insertAt;
        System.arraycopy(HASH_MEMBER_NAME, 0, line, p, HASH_MEMBER_NAME.length);
        p += HASH_MEMBER_NAME.length;
        System.arraycopy(hashBytes, 0, line, p, hashBytes.length);
        p += hashBytes.length;
        line[p++] = '"';
        line[p++] = ',';
        System.arraycopy(src, insertAt, line, p, n - insertAt);
        line[line.length - 1] = '\n';
        return new Sealed(line, hash);
    }

    private static void optional(ObjectNode o, String field, String value) {
        if (value != null) {
            o.put(field, value);
        }
    }
}
