package io.clawgress.enforcement.policy;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One {@code kind: Policy} document (docs/policy.md).
 *
 * @param id       unique in the policy set; reported in every decision it makes
 * @param priority higher is considered first, 0..{@value #MAX_PRIORITY}; at equal priority deny wins
 * @param mode     enforce, or report (denials become {@code would_deny} and the flow passes)
 * @param subjects which agents it applies to
 * @param rules    its rules; ids unique within the policy
 */
public record Policy(String id, int priority, Mode mode, Subjects subjects, List<Rule> rules) {

    public static final int MAX_PRIORITY = 1_000_000;

    public Policy {
        Ids.require("id", id);
        if (priority < 0 || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("priority: " + priority + " (expected: 0.." + MAX_PRIORITY + ")");
        }
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(subjects, "subjects");
        rules = Ids.copy("rules", rules);
        Set<String> ids = new HashSet<>();
        for (Rule r : rules) {
            if (!ids.add(r.id())) {
                throw new IllegalArgumentException("rules: duplicate id '" + r.id() + "' (expected: unique rule ids)");
            }
        }
    }
}
