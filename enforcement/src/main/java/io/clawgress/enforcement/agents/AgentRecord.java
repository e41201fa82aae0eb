package io.clawgress.enforcement.agents;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import java.time.Instant;
import java.util.Objects;

/**
 * One registered agent (DESIGN.md §4). Immutable; validates itself, so a record read back from the store that does
 * not satisfy these rules is reported as corrupt instead of reaching the data path.
 *
 * @param agentId      the key: {@link AgentIds#EXPECTED}
 * @param teamId       owning team, or null; an id
 * @param projectId    project, or null; an id
 * @param environment  e.g. {@code dev}, {@code prod}, or null; an id
 * @param trustTier    trust tier label, or null; an id
 * @param status       whether the agent may send traffic
 * @param statusReason why the status was last set (e.g. why it was disabled), or null; one line, <= 1024 chars
 * @param note         for operators, or null; one line, <= 1024 chars
 * @param createdAt    when the agent was added
 * @param updatedAt    when it last changed; not before {@code createdAt}
 */
public record AgentRecord(String agentId, String teamId, String projectId, String environment, String trustTier,
                          AgentStatus status, String statusReason, String note, Instant createdAt,
                          Instant updatedAt) {

    public AgentRecord {
        AgentIds.require("agentId", agentId, false);
        AgentIds.require("teamId", teamId, true);
        AgentIds.require("projectId", projectId, true);
        AgentIds.require("environment", environment, true);
        AgentIds.require("trustTier", trustTier, true);
        Objects.requireNonNull(status, "status");
        Text.require("statusReason", statusReason, true);
        Text.require("note", note, true);
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (updatedAt.isBefore(createdAt)) {
            throw new IllegalArgumentException("updatedAt: " + updatedAt + " (expected: not before createdAt "
                    + createdAt + ")");
        }
    }

    /** A new, active agent created and updated at {@code now}. */
    public static AgentRecord newAgent(String agentId, String teamId, String projectId, String environment,
                                       String trustTier, String note, Instant now) {
        return new AgentRecord(agentId, teamId, projectId, environment, trustTier, AgentStatus.ACTIVE, null, note, now,
                now);
    }

    /**
     * Checks free text as {@link #note()} and {@link #statusReason()} are checked: non-blank, one line, no control
     * characters, at most 1024 chars; null is allowed.
     *
     * @throws IllegalArgumentException naming {@code field} and what is allowed
     */
    public static void requireText(String field, String value) {
        Text.require(field, value, true);
    }

    public boolean active() {
        return status == AgentStatus.ACTIVE;
    }

    /**
     * This agent with another status and reason, updated at {@code at} — or at {@link #updatedAt()} if the clock
     * stepped back, so updates never go back in time.
     */
    public AgentRecord withStatus(AgentStatus newStatus, String reason, Instant at) {
        Objects.requireNonNull(at, "at");
        Instant updated = at.isBefore(updatedAt) ? updatedAt : at;
        return new AgentRecord(agentId, teamId, projectId, environment, trustTier, newStatus, reason, note, createdAt,
                updated);
    }

    /** The canonical identity of this agent established by {@code auth}; {@code active} follows {@link #status}. */
    public Identity identity(AuthMethod auth) {
        return new Identity(agentId, teamId, projectId, environment, trustTier, auth, active());
    }
}
