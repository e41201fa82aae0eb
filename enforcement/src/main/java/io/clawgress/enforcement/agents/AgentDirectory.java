package io.clawgress.enforcement.agents;

import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable view of the registry at one {@link AgentRegistry#generation() generation}: agent id to record. Built
 * off the data path ({@link AgentRegistry#snapshot()}), published through a volatile reference
 * ({@link AgentDirectoryWatcher#current()}) and read from any thread, event loops included, without locks or I/O.
 *
 * @param generation the registry generation this view was read at; 0 for a registry never written
 * @param agents     agent id to record, copied; each key is its record's {@link AgentRecord#agentId()}
 */
public record AgentDirectory(long generation, Map<String, AgentRecord> agents) {

    /** No agents, generation 0: every agent is unknown. */
    public static final AgentDirectory EMPTY = new AgentDirectory(0, Map.of());

    public AgentDirectory {
        if (generation < 0) {
            throw new IllegalArgumentException("generation: " + generation + " (expected: >= 0)");
        }
        agents = Map.copyOf(agents);
        for (Map.Entry<String, AgentRecord> e : agents.entrySet()) {
            if (!e.getKey().equals(e.getValue().agentId())) {
                throw new IllegalArgumentException("agents: key '" + e.getKey() + "' maps to agent '"
                        + e.getValue().agentId() + "' (expected: the agent's own id)");
            }
        }
    }

    /** A directory of {@code records}, whose ids must be distinct. */
    public static AgentDirectory of(long generation, List<AgentRecord> records) {
        Map<String, AgentRecord> map = new HashMap<>(records.size() * 2);
        for (AgentRecord r : records) {
            if (map.putIfAbsent(r.agentId(), r) != null) {
                throw new IllegalArgumentException("records: agent '" + r.agentId() + "' twice (expected: one record"
                        + " per agent id)");
            }
        }
        return new AgentDirectory(generation, map);
    }

    /**
     * The agent with this id, or null when unknown. Safe for untrusted input (a certificate's SAN, a JWT claim): any
     * string, null included, is answered without an exception or allocation.
     */
    public AgentRecord lookup(String agentId) {
        return agentId == null ? null : agents.get(agentId);
    }

    public Optional<AgentRecord> find(String agentId) {
        return Optional.ofNullable(lookup(agentId));
    }

    /** Whether the agent is registered and active: false for unknown and disabled agents (fail closed). */
    public boolean isActive(String agentId) {
        AgentRecord r = lookup(agentId);
        return r != null && r.active();
    }

    public int size() {
        return agents.size();
    }

    /** Every record, by agent id. */
    public List<AgentRecord> records() {
        return agents.values().stream().sorted(Comparator.comparing(AgentRecord::agentId)).toList();
    }

    /**
     * The agents active in {@code previous} that are not active here (disabled, or gone), by id: whose live
     * connections must be closed when this directory replaces {@code previous}.
     */
    public Set<String> deactivatedSince(AgentDirectory previous) {
        Objects.requireNonNull(previous, "previous");
        Set<String> out = new LinkedHashSet<>();
        for (AgentRecord before : previous.records()) {
            if (before.active() && !isActive(before.agentId())) {
                out.add(before.agentId());
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "AgentDirectory[generation=" + generation + ", agents=" + agents.size() + "]";
    }
}
