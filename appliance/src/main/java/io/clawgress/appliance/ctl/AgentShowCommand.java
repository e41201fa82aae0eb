package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.agents.AgentJson;
import io.clawgress.enforcement.agents.AgentDirectory;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentRegistryException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code clawgressctl agent show}: one agent, every field. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = {"Show one agent: status and why, team, project, environment, trust tier, note, times."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:shown", "1:no such agent, or the registry cannot be used", "2:bad arguments",
                "69:the daemon cannot be reached", "77:not allowed (the socket's group reads agents)",
                "78:an invalid agent id"})
final class AgentShowCommand extends AgentVerb {

    @Parameters(index = "0", paramLabel = "AGENT_ID", description = "The agent's id.")
    String agentId;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    protected boolean jsonOutput() {
        return json;
    }

    @Override
    protected int run() throws Failure {
        boolean offline = offline();
        requireId("agent id", agentId);
        JsonNode answer;
        if (offline) {
            AgentDirectory directory;
            try (AgentRegistry registry = open(false)) {
                directory = registry == null ? AgentDirectory.EMPTY : registry.snapshot();
            } catch (AgentRegistryException e) {
                throw failure(e);
            }
            AgentRecord a = directory.lookup(agentId);
            if (a == null) {
                throw new Failure(ExitCodes.FAILURE, registryDir() + ": not_found: agent '" + agentId + "' ("
                        + directory.size() + " registered)");
            }
            answer = AgentJson.show(registryDir(), directory.generation(), a);
        } else {
            answer = get(agentPath(agentId, ""));
        }
        if (json) {
            out().println(Json.write(object(answer)));
            return ExitCodes.OK;
        }
        AgentRecord a = agentOf(answer);
        out().println("agent " + a.agentId());
        out().println("  status:        " + a.status().code());
        out().println("  status_reason: " + orDash(a.statusReason()));
        out().println("  team_id:       " + orDash(a.teamId()));
        out().println("  project_id:    " + orDash(a.projectId()));
        out().println("  environment:   " + orDash(a.environment()));
        out().println("  trust_tier:    " + orDash(a.trustTier()));
        out().println("  note:          " + orDash(a.note()));
        out().println("  created_at:    " + a.createdAt());
        out().println("  updated_at:    " + a.updatedAt());
        out().println("  registry:      " + text(answer, "registry") + ", generation " + number(answer, "generation"));
        return ExitCodes.OK;
    }
}
