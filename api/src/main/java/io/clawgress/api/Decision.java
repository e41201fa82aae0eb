package io.clawgress.api;

import java.util.Objects;
import java.util.Optional;

/**
 * A decision on one flow: who the agent is (if known), the verdict, and the policy revision that decided.
 *
 * @param identity       the agent, or empty when the source is bound to no identity
 * @param verdict        relay or deny, with rule and reason
 * @param policyRevision the revision of the policy snapshot that was read (pinned for the whole decision)
 */
public record Decision(Optional<Identity> identity, Verdict verdict, String policyRevision) {
    public Decision {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(policyRevision, "policyRevision");
    }
}
