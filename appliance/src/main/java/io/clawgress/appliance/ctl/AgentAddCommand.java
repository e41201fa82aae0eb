package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.agents.AgentIds;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentRegistryException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code clawgressctl agent add}: registers a new, active agent ({@code POST /v1/agents}, or offline). */
@Command(name = "add", mixinStandardHelpOptions = true,
        description = {"Register a new agent, active. Its fields are what policies match (subjects) and what audit"
                + " records carry."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the agent was added", "1:it is already registered, or the registry cannot be used",
                "2:bad arguments", "69:the daemon cannot be reached", "77:not allowed (root or the admin group"
                + " change agents)", "78:an invalid id or note"})
final class AgentAddCommand extends AgentVerb {

    @Parameters(index = "0", paramLabel = "AGENT_ID", description = "The agent's id: " + AgentIds.EXPECTED + ".")
    String agentId;

    @Option(names = "--team", paramLabel = "TEAM_ID", description = "Owning team (an id).")
    String team;

    @Option(names = "--project", paramLabel = "PROJECT_ID", description = "Project (an id).")
    String project;

    @Option(names = "--environment", paramLabel = "ENV", description = "Environment, e.g. dev or prod (an id).")
    String environment;

    @Option(names = "--trust-tier", paramLabel = "TIER", description = "Trust tier label (an id).")
    String trustTier;

    @Option(names = "--note", paramLabel = "TEXT", description = "A note for operators: one line, <= 1024 chars.")
    String note;

    @Override
    protected int run() throws Failure {
        boolean offline = offline();
        requireId("agent id", agentId);
        optionalId("--team", team);
        optionalId("--project", project);
        optionalId("--environment", environment);
        optionalId("--trust-tier", trustTier);
        requireText("--note", note);
        if (!offline) {
            ObjectNode body = Json.object();
            body.put("agent_id", agentId);
            body.put("team_id", team);
            body.put("project_id", project);
            body.put("environment", environment);
            body.put("trust_tier", trustTier);
            body.put("note", note);
            JsonNode added = send("POST", "/v1/agents", body);
            return added(agentOf(added).agentId(), number(added, "generation"));
        }
        AgentRecord agent = AgentRecord.newAgent(agentId, team, project, environment, trustTier, note,
                clock().instant());
        long generation;
        try (AgentRegistry registry = open(true)) {
            generation = registry.add(agent);
        } catch (AgentRegistryException e) {
            throw failure(e);
        }
        return added(agentId, generation);
    }

    private int added(String id, long generation) {
        out().println("added agent " + id + " (active), registry generation " + generation);
        return ExitCodes.OK;
    }

    private static void optionalId(String option, String value) throws Failure {
        if (value != null) {
            requireId(option, value);
        }
    }
}
