package io.clawgress.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One HTTP request decided behind the L7 gate (plaintext or intercepted HTTP/1.1), next to the one
 * {@link FlowRecord} of its connection (same {@code flowId}). Written once the exchange is over: a refused request
 * at once (the gateway's answer is the whole exchange), a forwarded one when its response ended, or when the
 * connection ended first (then {@code termination} says how, and the bytes are those exchanged until then).
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
 * @param upstreamStatus the final status the upstream answered a forwarded request with, or 0 (none: refused, or
 *                       the connection ended before a response head)
 * @param bytesUp        bytes of the request read from the agent: its head as received and its body payload (chunk
 *                       framing not counted), up to the end of the exchange
 * @param bytesDown      bytes of the answer written to the agent: response heads (interim ones too) and body payload,
 *                       or the gateway's own answer
 * @param duration       from the decision to the end of the exchange (zero for a refusal)
 * @param termination    how the exchange ended: {@code completed} (the response ended), the refusal's code
 *                       ({@code policy_denied}, {@code identity_invalid}, {@code rate_limited}, {@code http_malformed})
 *                       or the connection's ending when it came first
 */
public record RequestRecord(String flowId, int sequence, Instant time, Optional<Identity> identity, String method,
                            String host, String target, String verdict, String reason, String ruleId,
                            String policyRevision, int status, String code, String policyId, String mode,
                            boolean wouldDeny, boolean wouldLimit, int upstreamStatus, long bytesUp, long bytesDown,
                            Duration duration, Termination termination) {

    /** A decided request whose exchange has not happened yet: nothing exchanged, {@code completed}. */
    public RequestRecord(String flowId, int sequence, Instant time, Optional<Identity> identity, String method,
                         String host, String target, String verdict, String reason, String ruleId,
                         String policyRevision, int status, String code, String policyId, String mode,
                         boolean wouldDeny, boolean wouldLimit) {
        this(flowId, sequence, time, identity, method, host, target, verdict, reason, ruleId, policyRevision, status,
                code, policyId, mode, wouldDeny, wouldLimit, 0, 0, 0, Duration.ZERO, Termination.COMPLETED);
    }

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
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(termination, "termination");
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: >= 1)");
        }
        if (bytesUp < 0 || bytesDown < 0 || duration.isNegative()) {
            throw new IllegalArgumentException("bytes and duration must not be negative: " + bytesUp + ", "
                    + bytesDown + ", " + duration);
        }
    }

    /** This decided request, completed with how its exchange went. */
    public RequestRecord ended(int upstreamStatus, long bytesUp, long bytesDown, Duration duration,
                               Termination termination) {
        return new RequestRecord(flowId, sequence, time, identity, method, host, target, verdict, reason, ruleId,
                policyRevision, status, code, policyId, mode, wouldDeny, wouldLimit, upstreamStatus, bytesUp,
                bytesDown, duration, termination);
    }
}
