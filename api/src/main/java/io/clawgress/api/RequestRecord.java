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
 * @param policyId       the policy of the deciding rule, or {@code null}
 * @param mode           the deciding policy's mode: {@code enforce} or {@code report}
 * @param wouldDeny      a report-mode policy would have denied it (it was forwarded)
 * @param wouldLimit     an {@code alert_only} (or report-mode) rate limit was exceeded (it was forwarded)
 */
public record RequestRecord(String flowId, int sequence, Instant time, Optional<Identity> identity, String method,
                            String host, String target, String verdict, String reason, String ruleId,
                            String policyRevision, int status, String code, String policyId, String mode,
                            boolean wouldDeny, boolean wouldLimit) {

    /** A record of an enforced decision (or a refusal before any) with nothing flagged. */
    public RequestRecord(String flowId, int sequence, Instant time, Optional<Identity> identity, String method,
                         String host, String target, String verdict, String reason, String ruleId,
                         String policyRevision, int status, String code) {
        this(flowId, sequence, time, identity, method, host, target, verdict, reason, ruleId, policyRevision, status,
                code, null, Decision.ENFORCE, false, false);
    }
    public RequestRecord {
        Objects.requireNonNull(flowId, "flowId");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(ruleId, "ruleId");
        Objects.requireNonNull(policyRevision, "policyRevision");
        Objects.requireNonNull(mode, "mode");
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: >= 1)");
        }
    }
}
