package io.clawgress.enforcement.policy;

import java.util.List;
import java.util.Objects;

/**
 * One rule of a policy: if the flow goes to one of {@code destinations} (and, with {@code http}, the request
 * matches), {@code action} applies.
 *
 * @param id           unique within its policy; reported in every decision it makes
 * @param action       allow or deny
 * @param destinations where the rule applies; at least one
 * @param http         HTTP conditions, or {@code null}; see {@link HttpMatch} for flows without HTTP facts
 * @param intercept    terminate TLS to the rule's host destinations to decide each request (allow rules only;
 *                     docs/policy.md, "intercept")
 * @param rateLimit    the rule's rate limit, or {@code null} (allow rules only; enforced by the rate-limit issue)
 */
public record Rule(String id, Action action, List<Destination> destinations, HttpMatch http, boolean intercept,
                   RateLimit rateLimit) {

    /** Rule ids the evaluator uses for decisions no rule made. */
    public static final List<String> RESERVED_IDS = List.of(PolicySnapshot.DEFAULT_RULE,
            PolicySnapshot.UNBOUND_RULE, PolicySnapshot.DISABLED_RULE, PolicySnapshot.SNI_MISSING_RULE);

    public Rule {
        Ids.require("id", id);
        if (RESERVED_IDS.contains(id)) {
            throw new IllegalArgumentException("id: '" + id + "' is reserved (expected: none of "
                    + String.join(", ", RESERVED_IDS) + ")");
        }
        Objects.requireNonNull(action, "action");
        destinations = Ids.copy("destinations", destinations);
        if (destinations.isEmpty()) {
            throw new IllegalArgumentException("destinations: [] (expected: at least one destination)");
        }
        if (action == Action.DENY && intercept) {
            throw new IllegalArgumentException("intercept: true on a deny rule (expected: intercept only on allow"
                    + " rules)");
        }
        if (action == Action.DENY && rateLimit != null) {
            throw new IllegalArgumentException("rate_limit on a deny rule (expected: rate_limit only on allow rules)");
        }
    }

    /** An L4 rule: no HTTP conditions, no intercept, no rate limit. */
    public Rule(String id, Action action, List<Destination> destinations) {
        this(id, action, destinations, null, false, null);
    }
}
