package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentRegistryException;
import io.clawgress.enforcement.agents.AgentStatus;

/** {@code agent disable} and {@code agent enable}: one status change, idempotent (a repeat changes nothing). */
abstract class AgentStatusVerb extends AgentVerb {

    /** Sets the status and prints what happened; {@code reason} may be null. */
    protected int setStatus(String agentId, AgentStatus status, String reason) throws Failure {
        requireId("agent id", agentId);
        requireText("--reason", reason);
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
        AgentRecord a = change.after();
        String verb = status == AgentStatus.ACTIVE ? "enabled" : "disabled";
        if (change.changed()) {
            out().println(verb + " agent " + agentId + (a.statusReason() == null ? "" : " (reason: "
                    + a.statusReason() + ")") + ", registry generation " + change.generation());
        } else {
            out().println("agent " + agentId + " was already " + status.code() + " (since " + a.updatedAt()
                    + (a.statusReason() == null ? "" : ", reason: " + a.statusReason()) + "); nothing changed");
        }
        return ExitCodes.OK;
    }
}
