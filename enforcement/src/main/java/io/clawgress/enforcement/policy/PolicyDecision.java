package io.clawgress.enforcement.policy;

import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.net.Addresses;

import java.util.Objects;

/**
 * What the policy decided for one flow, with everything the audit record needs.
 *
 * @param verdict   relay, intercept (a TLS flow to terminate; each request is then decided on its own) or deny; its
 *                  rule id and reason are those below
 * @param reason    why, in words an operator can act on
 * @param policyId  the deciding policy (for an intercept, the intercept rule's), or {@code null} for built-in
 *                  decisions (default deny, unbound source ...)
 * @param ruleId    the deciding rule, or a built-in id ({@link PolicySnapshot#DEFAULT_RULE} ...)
 * @param revision  the revision of the snapshot that decided
 * @param mode      the deciding policy's mode ({@link Mode#ENFORCE} for built-in decisions)
 * @param wouldDeny a report-mode rule denied the flow, and it was relayed anyway
 * @param rateLimit the deciding rule's rate limit when the flow (or request) is relayed by an allow rule that has
 *                  one, else {@code null}: the caller checks it with the rate limiter before the upstream dial
 *                  (see {@code io.clawgress.enforcement.ratelimit.RateLimiter}). An intercept decision carries none:
 *                  each request inside is decided, and limited, on its own.
 */
public record PolicyDecision(Verdict verdict, String reason, String policyId, String ruleId, String revision,
                             Mode mode, boolean wouldDeny, RateLimit rateLimit) {

    public PolicyDecision {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(ruleId, "ruleId");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(mode, "mode");
        if (!ruleId.equals(verdict.ruleId()) || !reason.equals(verdict.reason())) {
            throw new IllegalArgumentException("ruleId/reason: " + ruleId + " (expected: the verdict's, "
                    + verdict.ruleId() + ")");
        }
        if (wouldDeny && !(verdict instanceof Verdict.Relay && mode == Mode.REPORT)) {
            throw new IllegalArgumentException("wouldDeny: true with " + verdict.name() + " in " + mode.code()
                    + " mode (expected: only on a relay in report mode)");
        }
        if (rateLimit != null && (!(verdict instanceof Verdict.Relay) || policyId == null || wouldDeny)) {
            throw new IllegalArgumentException("rateLimit: set on " + verdict.name() + " by rule " + ruleId
                    + " (expected: only on a relay by a policy's allow rule)");
        }
    }

    /** A decision without a rate limit to check. */
    public PolicyDecision(Verdict verdict, String reason, String policyId, String ruleId, String revision, Mode mode,
                          boolean wouldDeny) {
        this(verdict, reason, policyId, ruleId, revision, mode, wouldDeny, null);
    }

    static PolicyDecision denied(String reason, Policy policy, Rule rule, String revision) {
        return new PolicyDecision(new Verdict.Deny(Termination.POLICY_DENIED, rule.id(), reason), reason,
                policy.id(), rule.id(), revision, policy.mode(), false);
    }

    /** A decision no policy rule made: default deny, unbound source, disabled agent, TLS without SNI. */
    static PolicyDecision builtIn(Termination termination, String ruleId, String reason, String revision) {
        return new PolicyDecision(new Verdict.Deny(termination, ruleId, reason), reason, null, ruleId, revision,
                Mode.ENFORCE, false);
    }

    public boolean relayed() {
        return verdict instanceof Verdict.Relay;
    }

    public boolean intercepted() {
        return verdict instanceof Verdict.Intercept;
    }

    /**
     * The destination name a {@code per: destination} limit counts under: the claimed host name when a host
     * destination decided, else the original destination address ({@code 203.0.113.7}, {@code 2001:db8::1}).
     * Null when there is no rate limit.
     */
    public String rateLimitDestination() {
        if (rateLimit == null) {
            return null;
        }
        Verdict.Relay relay = (Verdict.Relay) verdict; // the constructor allows a rate limit only on a relay
        return relay.host() != null ? relay.host() : Addresses.text(relay.upstream().getAddress());
    }
}
