package io.clawgress.appliance.agents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.enforcement.agents.AgentDirectory;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentStatus;

import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON shapes of agents, one for both paths: {@code clawgressctl agent list|show --json} offline and the admin
 * API's {@code /v1/agents} answers (docs/schemas/agent-list.schema.json, agent-show.schema.json, docs/admin-api.md).
 * Every key is always present, null when unset. {@link #record} reads an agent back, so the CLI prints the same
 * human output from either.
 */
public final class AgentJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private AgentJson() {
    }

    /** One agent. */
    public static ObjectNode agent(AgentRecord a) {
        ObjectNode o = NODES.objectNode();
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

    /** {@code agent list --json}, {@code GET /v1/agents}: every agent of {@code directory}, by id. */
    public static ObjectNode list(Path registryDir, AgentDirectory directory) {
        ObjectNode o = NODES.objectNode();
        o.put("registry", registryDir.toString());
        o.put("generation", directory.generation());
        ArrayNode a = o.putArray("agents");
        directory.records().forEach(r -> a.add(agent(r)));
        return o;
    }

    /** {@code agent show --json}, {@code GET /v1/agents/{id}}, {@code POST /v1/agents}: one agent. */
    public static ObjectNode show(Path registryDir, long generation, AgentRecord agent) {
        ObjectNode o = NODES.objectNode();
        o.put("registry", registryDir.toString());
        o.put("generation", generation);
        o.set("agent", agent(agent));
        return o;
    }

    /** {@code POST /v1/agents/{id}/disable|enable}: the agent after the change, and whether anything changed. */
    public static ObjectNode statusChange(Path registryDir, AgentRegistry.StatusChange change) {
        ObjectNode o = NODES.objectNode();
        o.put("registry", registryDir.toString());
        o.put("generation", change.generation());
        o.put("changed", change.changed());
        o.set("agent", agent(change.after()));
        return o;
    }

    /**
     * Reads an agent back from {@link #agent}'s shape (the daemon's answer): the record validates itself.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static AgentRecord record(JsonNode o) {
        if (o == null || !o.isObject()) {
            throw new IllegalArgumentException("agent: " + (o == null ? "missing" : o.getNodeType())
                    + " (expected: an object)");
        }
        String status = text(o, "status", false);
        AgentStatus s = AgentStatus.ofCode(status).orElseThrow(() -> new IllegalArgumentException("status: '"
                + status + "' (expected: active or disabled)"));
        return new AgentRecord(text(o, "agent_id", false), text(o, "team_id", true), text(o, "project_id", true),
                text(o, "environment", true), text(o, "trust_tier", true), s, text(o, "status_reason", true),
                text(o, "note", true), instant(o, "created_at"), instant(o, "updated_at"));
    }

    /** Every agent of a {@link #list} answer, in its order. */
    public static List<AgentRecord> records(JsonNode list) {
        JsonNode agents = list == null ? null : list.get("agents");
        if (agents == null || !agents.isArray()) {
            throw new IllegalArgumentException("agents: missing (expected: an array)");
        }
        List<AgentRecord> out = new ArrayList<>(agents.size());
        agents.forEach(a -> out.add(record(a)));
        return out;
    }

    private static String text(JsonNode o, String key, boolean nullable) {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) {
            if (nullable) {
                return null;
            }
            throw new IllegalArgumentException(key + ": missing (expected: a string)");
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(key + ": " + v.getNodeType() + " (expected: a string)");
        }
        return v.textValue();
    }

    private static Instant instant(JsonNode o, String key) {
        String v = text(o, key, false);
        try {
            return Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(key + ": '" + v + "' (expected: an ISO 8601 instant)");
        }
    }
}
