package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentRegistryException;
import io.clawgress.enforcement.agents.AgentStatus;

/**
 * {@code agent disable} and {@code agent enable}: one status change, idempotent (a repeat changes nothing); online
 * {@code POST /v1/agents/{id}/disable|enable}.
 */
abstract class AgentStatusVerb extends AgentVerb {

    /** Sets the status and prints what happened; {@code reason} may be null. */
    protected int setStatus(String agentId, AgentStatus status, String reason) throws Failure {
        boolean offline = offline();
        requireId("agent id", agentId);
        requireText("--reason", reason);
        AgentRecord a;
        boolean changed;
        long generation;
        if (offline) {
            AgentRegistry.StatusChange change;
            try (AgentRegistry registry = open(false)) {
                if (registry == null) {
                    throw new Failure(ExitCodes.FAILURE, registryDir() + ": not_found: agent '" + agentId
                            + "' (0 registered)");
                }
                change = registry.setStatus(agentId, status, reason);
            } catch (AgentRegistryException e) {
                throw failure(e);
            }
            a = change.after();
            changed = change.changed();
            generation = change.generation();
        } else {
            ObjectNode body = null;
            if (reason != null) {
                body = Json.object();
                body.put("reason", reason);
            }
            JsonNode answer = send("POST", agentPath(agentId, status == AgentStatus.ACTIVE ? "/enable" : "/disable"),
                    body);
            a = agentOf(answer);
            JsonNode c = answer.get("changed");
            if (c == null || !c.isBoolean()) {
                throw unexpected(new IllegalArgumentException("changed: " + c + " (expected: true or false)"));
            }
            changed = c.booleanValue();
            generation = number(answer, "generation");
        }
        String verb = status == AgentStatus.ACTIVE ? "enabled" : "disabled";
        if (changed) {
            out().println(verb + " agent " + agentId + (a.statusReason() == null ? "" : " (reason: "
                    + a.statusReason() + ")") + ", registry generation " + generation);
        } else {
            out().println("agent " + agentId + " was already " + status.code() + " (since " + a.updatedAt()
                    + (a.statusReason() == null ? "" : ", reason: " + a.statusReason()) + "); nothing changed");
        }
        return ExitCodes.OK;
    }
}
