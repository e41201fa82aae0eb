package io.clawgress.api;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The one record written when a flow closes (the audit issue turns it into the audit record).
 *
 * @param flowId              flow id
 * @param start               when the connection was accepted
 * @param source              agent address and port
 * @param originalDestination where the agent connected to
 * @param identity            the agent, if the source is bound to one
 * @param verdict             {@code relay} or {@code deny}
 * @param reason              why
 * @param ruleId              which rule decided
 * @param policyRevision      policy revision that decided
 * @param bytesUp             bytes read from the agent (and handed to the upstream)
 * @param bytesDown           bytes read from the upstream (and handed to the agent)
 * @param duration            accept to close of both sides
 * @param termination         how the flow ended
 * @param detail              extra words on the termination (an error message), or {@code null}
 * @param peek                what the first bytes claimed (SNI, ALPN, Host, method, target)
 * @param dialled             the address the gateway connected to, or {@code null} when it did not dial
 * @param policyId            the policy of the deciding rule, or {@code null} for a built-in decision
 * @param mode                the deciding policy's mode: {@code enforce} or {@code report}
 * @param wouldDeny           a report-mode policy would have denied it (it was relayed)
 * @param wouldLimit          an {@code alert_only} (or report-mode) rate limit was exceeded (it was admitted)
 */
public record FlowRecord(String flowId, Instant start, InetSocketAddress source, InetSocketAddress originalDestination,
                         Optional<Identity> identity, String verdict, String reason, String ruleId,
                         String policyRevision, long bytesUp, long bytesDown, Duration duration,
                         Termination termination, String detail, PeekFacts peek, InetSocketAddress dialled,
                         String policyId, String mode, boolean wouldDeny, boolean wouldLimit) {

    /** A record of an enforced decision with nothing flagged. */
    public FlowRecord(String flowId, Instant start, InetSocketAddress source, InetSocketAddress originalDestination,
                      Optional<Identity> identity, String verdict, String reason, String ruleId,
                      String policyRevision, long bytesUp, long bytesDown, Duration duration,
                      Termination termination, String detail, PeekFacts peek, InetSocketAddress dialled) {
        this(flowId, start, source, originalDestination, identity, verdict, reason, ruleId, policyRevision, bytesUp,
                bytesDown, duration, termination, detail, peek, dialled, null, Decision.ENFORCE, false, false);
    }

    /** A record of a flow that was not peeked and not dialled. */
    public FlowRecord(String flowId, Instant start, InetSocketAddress source, InetSocketAddress originalDestination,
                      Optional<Identity> identity, String verdict, String reason, String ruleId,
                      String policyRevision, long bytesUp, long bytesDown, Duration duration,
                      Termination termination, String detail) {
        this(flowId, start, source, originalDestination, identity, verdict, reason, ruleId, policyRevision, bytesUp,
                bytesDown, duration, termination, detail, PeekFacts.none(), null);
    }

    public FlowRecord {
        Objects.requireNonNull(peek, "peek");
        Objects.requireNonNull(flowId, "flowId");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(originalDestination, "originalDestination");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(ruleId, "ruleId");
        Objects.requireNonNull(policyRevision, "policyRevision");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(termination, "termination");
        Objects.requireNonNull(mode, "mode");
        if (bytesUp < 0 || bytesDown < 0) {
            throw new IllegalArgumentException("bytes: " + bytesUp + "/" + bytesDown + " (expected: >= 0)");
        }
    }
}
