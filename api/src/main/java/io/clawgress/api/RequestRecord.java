package io.clawgress.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One HTTP request decided behind the L7 gate (plaintext or intercepted HTTP/1.1): written when the gate has
 * decided it, next to the one {@link FlowRecord} of its connection (same {@code flowId}).
 *
 * @param flowId         the connection's flow id
 * @param sequence       1 for the connection's first request, then 2, 3, ...
 * @param time           when the request head was decided
 * @param identity       the agent the request was attributed to, or empty
 * @param method         the request method
 * @param host           the Host the request named (lower case)
 * @param target         the request-target as sent
 * @param verdict        {@code relay} (forwarded) or {@code deny}
 * @param reason         why
 * @param ruleId         which rule (or built-in check) decided
 * @param policyRevision the policy revision that decided, or {@code none}
 * @param status         the status the gateway answered itself (400, 403, 407, ...), or 0 when forwarded
 * @param code           the stable snake_case code of a denial ({@code policy_denied}, {@code jwt_expired}, ...), or
 *                       {@code null} when forwarded
 */
public record RequestRecord(String flowId, int sequence, Instant time, Optional<Identity> identity, String method,
                            String host, String target, String verdict, String reason, String ruleId,
                            String policyRevision, int status, String code) {
    public RequestRecord {
        Objects.requireNonNull(flowId, "flowId");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(ruleId, "ruleId");
        Objects.requireNonNull(policyRevision, "policyRevision");
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: >= 1)");
        }
    }
}
