package io.clawgress.enforcement.identity.jwt;

import java.util.Set;

/**
 * Which token claims become the canonical identity fields (DESIGN.md §4). Each component is a claim name; the claim's
 * value must be a string that is a valid {@link io.clawgress.api.Identity} id. Only the agent id is required in a
 * token. Defaults: {@code sub} (RFC 7519 §4.1.2), {@code team_id}, {@code project_id}, {@code environment},
 * {@code trust_tier}. Immutable; any thread.
 */
public record ClaimMapping(String agentId, String teamId, String projectId, String environment, String trustTier) {

    /** Registered claims with a fixed meaning (RFC 7519 §4.1): they cannot name an identity field. */
    static final Set<String> RESERVED = Set.of("iss", "aud", "exp", "nbf", "iat", "jti");

    public static final ClaimMapping DEFAULT =
            new ClaimMapping("sub", "team_id", "project_id", "environment", "trust_tier");

    public ClaimMapping {
        require("agentId", agentId);
        require("teamId", teamId);
        require("projectId", projectId);
        require("environment", environment);
        require("trustTier", trustTier);
    }

    private static void require(String field, String claim) {
        if (claim == null || claim.isEmpty() || claim.length() > 128 || !JwtKey.printableAscii(claim)
                || RESERVED.contains(claim)) {
            throw new IllegalArgumentException(field + ": " + JwtText.quote(claim) + " (expected: a claim name of "
                    + "1..128 printable ASCII characters, not one of " + RESERVED + ")");
        }
    }
}
