package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
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
        requireId("agent id", agentId);
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
        if (json) {
            ObjectNode o = Json.object();
            o.put("registry", registryDir().toString());
            o.put("generation", directory.generation());
            o.set("agent", AgentJson.agent(a));
            out().println(Json.write(o));
            return ExitCodes.OK;
        }
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
        out().println("  registry:      " + registryDir() + ", generation " + directory.generation());
        return ExitCodes.OK;
    }
}
