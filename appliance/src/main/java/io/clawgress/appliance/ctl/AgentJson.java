package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.enforcement.agents.AgentRecord;

/** The {@code --json} shape of an agent (docs/clawgressctl.md#agent): every key always present, null when unset. */
final class AgentJson {

    private AgentJson() {
    }

    static ObjectNode agent(AgentRecord a) {
        ObjectNode o = Json.object();
        o.put("agent_id", a.agentId());
        o.put("status", a.status().code());
        o.put("status_reason", a.statusReason());
        o.put("team_id", a.teamId());
        o.put("project_id", a.projectId());
        o.put("environment", a.environment());
        o.put("trust_tier", a.trustTier());
        o.put("note", a.note());
        o.put("created_at", a.createdAt().toString());
        o.put("updated_at", a.updatedAt().toString());
        return o;
    }
}
