package io.clawgress.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The agent a flow is attributed to (DESIGN.md §4).
 *
 * @param agentId     unique agent id
 * @param teamId      owning team, or {@code null}
 * @param projectId   project, or {@code null}
 * @param environment environment such as {@code dev} or {@code prod}, or {@code null}
 * @param trustTier   free-form trust tier label, or {@code null}
 * @param auth        how the identity was established
 * @param active      {@code false} when the agent is disabled: it is denied everywhere
 */
public record Identity(String agentId, String teamId, String projectId, String environment, String trustTier,
                       AuthMethod auth, boolean active) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    public Identity {
        Objects.requireNonNull(auth, "auth");
        requireId("agentId", agentId, false);
        requireId("teamId", teamId, true);
        requireId("projectId", projectId, true);
        requireId("environment", environment, true);
        requireId("trustTier", trustTier, true);
    }

    private static void requireId(String field, String value, boolean nullable) {
        if (value == null) {
            if (nullable) {
                return;
            }
            throw new IllegalArgumentException(field + ": null (expected: an id)");
        }
        if (!ID.matcher(value).matches()) {
            throw new IllegalArgumentException(field + ": '" + value
                    + "' (expected: 1-128 characters of A-Z a-z 0-9 . _ : -, starting with a letter or digit)");
        }
    }
}
