package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.RequestRecord;
import io.clawgress.enforcement.net.Addresses;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

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
        ObjectNode o = NODES.objectNode();
        o.put(TYPE, TYPE_FLOW);
        o.put(TIME, now.toString());
        o.put(FLOW_ID, r.flowId());
        o.put(START, r.start().toString());
        o.put(SOURCE, Addresses.hostPort(r.source()));
        o.put(ORIGINAL_DESTINATION, Addresses.hostPort(r.originalDestination()));
        identity(o, r.identity());
        peek(o, r.peek());
        o.put(VERDICT, r.verdict());
        o.put(REASON, r.reason());
        o.put(RULE, r.ruleId());
        o.put(POLICY_REVISION, r.policyRevision());
        optional(o, POLICY, r.policyId());
        o.put(MODE, r.mode());
        o.put(WOULD_DENY, r.wouldDeny());
        o.put(WOULD_LIMIT, r.wouldLimit());
        o.put(BYTES_UP, r.bytesUp());
        o.put(BYTES_DOWN, r.bytesDown());
        // Microseconds as a decimal number of milliseconds: JCS writes it back digit for digit (docs/audit.md).
        o.put(DURATION_MS, r.duration().toNanos() / 1_000L / 1000.0);
        o.put(TERMINATION, r.termination().code());
        optional(o, DETAIL, r.detail());
        if (r.dialled() != null) {
            o.put(DIALLED, Addresses.hostPort(r.dialled()));
        }
        return o;
    }

    static ObjectNode request(RequestRecord r) {
        ObjectNode o = NODES.objectNode();
        o.put(TYPE, TYPE_REQUEST);
        o.put(TIME, r.time().toString());
        o.put(FLOW_ID, r.flowId());
        o.put(SEQUENCE, r.sequence());
        identity(o, r.identity());
        optional(o, HTTP_METHOD, r.method());
        optional(o, HTTP_HOST, r.host());
        optional(o, HTTP_TARGET, r.target());
        o.put(VERDICT, r.verdict());
        o.put(REASON, r.reason());
        o.put(RULE, r.ruleId());
        o.put(POLICY_REVISION, r.policyRevision());
        optional(o, POLICY, r.policyId());
        o.put(MODE, r.mode());
        o.put(WOULD_DENY, r.wouldDeny());
        o.put(WOULD_LIMIT, r.wouldLimit());
        if (r.status() != 0) {
            o.put(STATUS, r.status());
        }
        optional(o, CODE, r.code());
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

    private static void identity(ObjectNode o, Optional<Identity> identity) {
        if (identity.isEmpty()) {
            o.putNull(IDENTITY);
            return;
        }
        Identity id = identity.get();
        ObjectNode i = o.putObject(IDENTITY);
        i.put(AGENT_ID, id.agentId());
        optional(i, TEAM_ID, id.teamId());
        optional(i, PROJECT_ID, id.projectId());
        optional(i, ENVIRONMENT, id.environment());
        optional(i, TRUST_TIER, id.trustTier());
        i.put(AUTH, id.auth().code());
    }

    private static void peek(ObjectNode o, PeekFacts p) {
        o.put(PEEK, p.kind().code());
        switch (p.kind()) {
            case TLS -> {
                optional(o, SNI, p.name());
                ArrayNode alpn = o.putArray(ALPN);
                p.alpn().forEach(alpn::add);
                o.put(ECH_OFFERED, p.echOffered());
            }
            case HTTP -> {
                optional(o, HTTP_HOST, p.name());
                optional(o, HTTP_METHOD, p.httpMethod());
                optional(o, HTTP_TARGET, p.httpTarget());
            }
            case OPAQUE, NONE -> { }
        }
    }

    private static void optional(ObjectNode o, String field, String value) {
        if (value != null) {
            o.put(field, value);
        }
    }
}
