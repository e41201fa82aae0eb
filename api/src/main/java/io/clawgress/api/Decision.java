package io.clawgress.api;

import java.util.Objects;
import java.util.Optional;

/**
 * A decision on one flow (or one request behind the L7 gate): who the agent is (if known), the verdict, and the
 * policy revision that decided.
 *
 * @param identity       the agent, or empty when the source is bound to no identity
 * @param verdict        relay, intercept or deny, with rule and reason
 * @param policyRevision the revision of the policy snapshot that was read (pinned for the whole decision)
 * @param policyId       the policy whose rule decided, or {@code null} for a built-in decision (default deny,
 *                       unbound source, loop, ...); an HTTP denial names it to the agent
 */
public record Decision(Optional<Identity> identity, Verdict verdict, String policyRevision, String policyId) {
    public Decision {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(policyRevision, "policyRevision");
    }

    /** A decision no named policy made (or whose policy is not reported). */
    public Decision(Optional<Identity> identity, Verdict verdict, String policyRevision) {
        this(identity, verdict, policyRevision, null);
    }
}
