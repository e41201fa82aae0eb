package io.clawgress.appliance.ctl;

import io.clawgress.enforcement.agents.AgentStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code clawgressctl agent disable}: the agent is denied everywhere, live connections included. */
@Command(name = "disable", mixinStandardHelpOptions = true,
        description = {"Disable an agent: a running gateway denies its new connections and closes its open ones."
                + " Disabling a disabled agent changes nothing."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the agent is disabled", "1:no such agent, or the registry cannot be used",
                "2:bad arguments", "69:the daemon cannot be reached", "77:not allowed (root or the admin group"
                + " change agents)", "78:an invalid agent id or reason"})
final class AgentDisableCommand extends AgentStatusVerb {

    @Parameters(index = "0", paramLabel = "AGENT_ID", description = "The agent's id.")
    String agentId;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the record: one line, <= 1024 chars.")
    String reason;

    @Override
    protected int run() throws Failure {
        return setStatus(agentId, AgentStatus.DISABLED, reason);
    }
}
