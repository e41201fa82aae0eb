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

import java.util.ArrayList;
import java.util.List;

/** {@code clawgressctl agent list}: every registered agent, by id, read in one transaction. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = {"List the registered agents, by id."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:listed (possibly none)", "1:the registry cannot be used", "2:bad arguments",
                "69:the daemon cannot be reached", "77:not allowed (the socket's group reads agents)"})
final class AgentListCommand extends AgentVerb {

    private static final List<String> HEADER = List.of("AGENT_ID", "STATUS", "TEAM_ID", "PROJECT_ID", "ENVIRONMENT",
            "TRUST_TIER", "UPDATED_AT");

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    protected boolean jsonOutput() {
        return json;
    }

    @Override
    protected int run() throws Failure {
        JsonNode answer;
        if (offline()) {
            AgentDirectory directory;
            try (AgentRegistry registry = open(false)) {
                directory = registry == null ? AgentDirectory.EMPTY : registry.snapshot();
            } catch (AgentRegistryException e) {
                throw failure(e);
            }
            answer = AgentJson.list(registryDir(), directory);
        } else {
            answer = get("/v1/agents");
        }
        if (json) {
            out().println(Json.write(object(answer)));
            return ExitCodes.OK;
        }
        List<AgentRecord> agents;
        try {
            agents = AgentJson.records(answer);
        } catch (IllegalArgumentException e) {
            throw unexpected(e);
        }
        long generation = number(answer, "generation");
        if (!agents.isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            rows.add(HEADER);
            for (AgentRecord r : agents) {
                rows.add(List.of(r.agentId(), r.status().code(), orDash(r.teamId()), orDash(r.projectId()),
                        orDash(r.environment()), orDash(r.trustTier()), r.updatedAt().toString()));
            }
            TextOutput.printTable(out(), rows);
        }
        long active = agents.stream().filter(AgentRecord::active).count();
        out().println(agents.size() + (agents.size() == 1 ? " agent" : " agents") + " (" + active + " active, "
                + (agents.size() - active) + " disabled), registry generation " + generation);
        return ExitCodes.OK;
    }
}
