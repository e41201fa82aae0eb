package io.clawgress.enforcement.policy;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which agents a policy applies to. Each non-empty set must contain the identity's field (an identity without that
 * field does not match); an empty set places no condition. The identity must also have been established at least
 * as strongly as {@code minAuth} ({@link AuthMethod} order: subnet &lt; api_key &lt; jwt &lt; mtls).
 */
public record Subjects(Set<String> agentIds, Set<String> teamIds, Set<String> projectIds, Set<String> environments,
                       AuthMethod minAuth) {

    /** Every agent, however identified. */
    public static final Subjects ANY = new Subjects(Set.of(), Set.of(), Set.of(), Set.of(), AuthMethod.SUBNET);

    public Subjects {
        agentIds = sorted("agent_id", agentIds);
        teamIds = sorted("team_id", teamIds);
        projectIds = sorted("project_id", projectIds);
        environments = sorted("environment", environments);
        Objects.requireNonNull(minAuth, "minAuth");
    }

    private static Set<String> sorted(String field, Set<String> values) {
        if (values == null) {
            throw new IllegalArgumentException(field + ": null (expected: a set, empty for any)");
        }
        for (String v : values) {
            if (v == null || v.isBlank()) {
                throw new IllegalArgumentException(field + ": '" + v + "' (expected: non-blank ids)");
            }
        }
        // Sorted, so equal selectors written in a different order compile to the same subject group.
        return java.util.Collections.unmodifiableSortedSet(new TreeSet<>(values));
    }

    /** Whether the policy applies to {@code identity}. */
    public boolean matches(Identity identity) {
        return identity.auth().compareTo(minAuth) >= 0
                && in(agentIds, identity.agentId())
                && in(teamIds, identity.teamId())
                && in(projectIds, identity.projectId())
                && in(environments, identity.environment());
    }

    private static boolean in(Set<String> set, String value) {
        return set.isEmpty() || (value != null && set.contains(value));
    }
}
