package io.clawgress.enforcement.flowlog;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.RequestRecord;
import io.clawgress.enforcement.net.Addresses;

import java.time.Instant;
import java.util.Optional;

import static io.clawgress.enforcement.flowlog.FlowRecordFields.*;

/**
 * The one JSON form of flow and request records (docs/flow-records.md): the flow log writes these objects as they
 * are, and the audit log chains and canonicalises the same objects, so the two can never disagree on a field.
 * Stateless; any thread.
 */
public final class FlowRecordJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private FlowRecordJson() {
    }

    /** A flow record written at {@code now}. */
    public static ObjectNode flow(FlowRecord r, Instant now) {
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

    /** A request record (its time is when it was decided; bytes, duration and termination at the exchange's end). */
    public static ObjectNode request(RequestRecord r) {
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
        if (r.upstreamStatus() != 0) {
            o.put(UPSTREAM_STATUS, r.upstreamStatus());
        }
        o.put(BYTES_UP, r.bytesUp());
        o.put(BYTES_DOWN, r.bytesDown());
        o.put(DURATION_MS, r.duration().toNanos() / 1_000L / 1000.0);
        o.put(TERMINATION, r.termination().code());
        return o;
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
