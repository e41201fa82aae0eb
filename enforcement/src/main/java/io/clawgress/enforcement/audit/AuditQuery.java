package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

import static io.clawgress.enforcement.flowlog.FlowRecordFields.*;

/**
 * A filter over audit records ({@code clawgressctl audit query}); every criterion left null matches everything.
 *
 * @param types       record types to keep ({@code flow}, {@code request}, {@code admin}, {@code gap},
 *                    {@code checkpoint}, {@code retention}); empty keeps every type
 * @param agentId     {@code identity.agent_id} equals this; an admin record matches when it acted on this agent (an
 *                    {@code agent.*} action whose {@code target} is this)
 * @param from        {@code time} at or after this
 * @param to          {@code time} before this
 * @param verdict     {@code verdict} equals this ({@code relay}, {@code intercept}, {@code deny}); records without a
 *                    verdict (admin, gap, ...) never match
 * @param rule        {@code rule} equals this (likewise)
 * @param destination matches, ignoring case, the {@code original_destination} or {@code dialled} address (as
 *                    {@code host:port} or just the host), the {@code sni} or the {@code http_host}
 */
public record AuditQuery(Set<String> types, String agentId, Instant from, Instant to, String verdict, String rule,
                         String destination) {

    /** The prefix of the admin actions on one agent ({@code agent.disable}, ...), whose target is the agent id. */
    private static final String AGENT_ACTIONS = "agent.";

    /** Every record. */
    public static final AuditQuery ALL = new AuditQuery(Set.of(), null, null, null, null, null, null);
    /** Decision records: flows and requests. */
    public static final AuditQuery DECISIONS =
            new AuditQuery(Set.of(TYPE_FLOW, TYPE_REQUEST), null, null, null, null, null, null);

    public AuditQuery {
        types = Set.copyOf(Objects.requireNonNull(types, "types"));
        if (from != null && to != null && !from.isBefore(to)) {
            throw new IllegalArgumentException("time range: from " + from + " is not before to " + to);
        }
    }

    public AuditQuery withTypes(Set<String> v) {
        return new AuditQuery(v, agentId, from, to, verdict, rule, destination);
    }

    public AuditQuery withAgent(String v) {
        return new AuditQuery(types, v, from, to, verdict, rule, destination);
    }

    public AuditQuery withTimeRange(Instant fromInclusive, Instant toExclusive) {
        return new AuditQuery(types, agentId, fromInclusive, toExclusive, verdict, rule, destination);
    }

    public AuditQuery withVerdict(String v) {
        return new AuditQuery(types, agentId, from, to, v, rule, destination);
    }

    public AuditQuery withRule(String v) {
        return new AuditQuery(types, agentId, from, to, verdict, v, destination);
    }

    public AuditQuery withDestination(String v) {
        return new AuditQuery(types, agentId, from, to, verdict, rule, v);
    }

    /** Whether {@code record} passes every criterion. */
    public boolean matches(JsonNode record) {
        if (!types.isEmpty() && !types.contains(record.path(TYPE).asText())) {
            return false;
        }
        if (agentId != null && !agentMatches(record)) {
            return false;
        }
        if (from != null || to != null) {
            Instant t;
            try {
                t = Instant.parse(record.path(TIME).asText());
            } catch (RuntimeException e) {
                return false;
            }
            if (from != null && t.isBefore(from) || to != null && !t.isBefore(to)) {
                return false;
            }
        }
        if (verdict != null && !verdict.equals(record.path(VERDICT).textValue())) {
            return false;
        }
        if (rule != null && !rule.equals(record.path(RULE).textValue())) {
            return false;
        }
        return destination == null || destinationMatches(record);
    }

    private boolean agentMatches(JsonNode r) {
        if (AuditFields.TYPE_ADMIN.equals(r.path(TYPE).textValue())) {
            String action = r.path(AuditFields.ACTION).textValue();
            return action != null && action.startsWith(AGENT_ACTIONS)
                    && agentId.equals(r.path(AuditFields.TARGET).textValue());
        }
        return agentId.equals(r.path(IDENTITY).path(AGENT_ID).textValue());
    }

    private boolean destinationMatches(JsonNode r) {
        String want = destination.toLowerCase(Locale.ROOT);
        return address(r.path(ORIGINAL_DESTINATION).textValue(), want)
                || address(r.path(DIALLED).textValue(), want)
                || want.equals(lower(r.path(SNI).textValue()))
                || want.equals(lower(r.path(HTTP_HOST).textValue()));
    }

    /** {@code host:port} (RFC 5952 {@code [v6]:port} for IPv6) equals {@code want}, or its host does. */
    private static boolean address(String hostPort, String want) {
        if (hostPort == null) {
            return false;
        }
        String hp = hostPort.toLowerCase(Locale.ROOT);
        if (hp.equals(want)) {
            return true;
        }
        int colon = hp.lastIndexOf(':');
        if (colon < 0) {
            return false;
        }
        String host = hp.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.equals(want) || ("[" + host + "]").equals(want);
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }
}
