package io.clawgress.appliance.ctl;

import io.clawgress.enforcement.agents.AgentStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code clawgressctl agent enable}: a disabled agent may connect again (its disable reason is cleared). */
@Command(name = "enable", mixinStandardHelpOptions = true,
        description = {"Enable a disabled agent. Enabling an active agent changes nothing."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the agent is active", "1:no such agent, or the registry cannot be used",
                "2:bad arguments", "69:the daemon cannot be reached", "77:not allowed (root or the admin group"
                + " change agents)", "78:an invalid agent id"})
final class AgentEnableCommand extends AgentStatusVerb {

    @Parameters(index = "0", paramLabel = "AGENT_ID", description = "The agent's id.")
    String agentId;

    @Override
    protected int run() throws Failure {
        return setStatus(agentId, AgentStatus.ACTIVE, null);
    }
}
