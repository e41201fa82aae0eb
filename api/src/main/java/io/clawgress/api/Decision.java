package io.clawgress.api;

import java.util.Objects;
import java.util.Optional;

/**
 * A decision on one flow (or one request behind the L7 gate): who the agent is (if known), the verdict, and the
 * policy revision that decided, with what the audit record says about it.
 *
 * @param identity          the agent, or empty when the source is bound to no identity
 * @param verdict           relay, intercept or deny, with rule and reason
 * @param policyRevision    the revision of the policy snapshot that was read (pinned for the whole decision)
 * @param policyId          the policy whose rule decided, or {@code null} for a built-in decision (default deny,
 *                          unbound source, loop, ...); an HTTP denial names it to the agent
 * @param mode              the deciding policy's mode, {@code enforce} or {@code report}; {@code enforce} for
 *                          built-in decisions
 * @param wouldDeny         a report-mode policy would have denied this (it was relayed)
 * @param wouldLimit        an {@code alert_only} rate limit was exceeded (it was admitted)
 * @param retryAfterSeconds for a {@link Termination#RATE_LIMITED} denial, when to retry (at least 1); else -1
 */
public record Decision(Optional<Identity> identity, Verdict verdict, String policyRevision, String policyId,
                       String mode, boolean wouldDeny, boolean wouldLimit, long retryAfterSeconds) {

    public static final String ENFORCE = "enforce";
    public static final String REPORT = "report";

    public Decision {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(policyRevision, "policyRevision");
        if (!ENFORCE.equals(mode) && !REPORT.equals(mode)) {
            throw new IllegalArgumentException("mode: " + mode + " (expected: enforce or report)");
        }
        boolean limited = verdict instanceof Verdict.Deny d && d.termination() == Termination.RATE_LIMITED;
        if (limited ? retryAfterSeconds < 1 : retryAfterSeconds != -1) {
            throw new IllegalArgumentException("retryAfterSeconds: " + retryAfterSeconds + " (expected: "
                    + (limited ? ">= 1 for a rate_limited denial" : "-1 unless rate limited") + ")");
        }
    }

    /** An enforced decision of {@code policyId} (or a built-in one when null), nothing flagged. */
    public Decision(Optional<Identity> identity, Verdict verdict, String policyRevision, String policyId) {
        this(identity, verdict, policyRevision, policyId, ENFORCE, false, false, -1);
    }

    /** A decision no named policy made (or whose policy is not reported). */
    public Decision(Optional<Identity> identity, Verdict verdict, String policyRevision) {
        this(identity, verdict, policyRevision, null);
    }

    /** The same decision denied by a {@code hard_stop} rate limit: retry after {@code seconds}. */
    public Decision rateLimited(String ruleId, String reason, long seconds) {
        return new Decision(identity, new Verdict.Deny(Termination.RATE_LIMITED, ruleId, reason), policyRevision,
                policyId, mode, wouldDeny, false, seconds);
    }

    /** The same decision, admitted although an {@code alert_only} rate limit was exceeded. */
    public Decision withWouldLimit() {
        return new Decision(identity, verdict, policyRevision, policyId, mode, wouldDeny, true, retryAfterSeconds);
    }
}
