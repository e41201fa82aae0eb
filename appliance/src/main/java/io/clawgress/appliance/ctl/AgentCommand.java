package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * {@code clawgressctl agent}: the agent registry in {@code state_dir/agents.lmdb}, through the daemon's admin API or
 * offline with {@code --state-dir} (docs/clawgressctl.md).
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Register agents, enable or disable them, and issue their credentials, in the gateway's agent"
                + " registry (STATE_DIR/agents.lmdb). Asks the running clawgressd through its admin socket (every"
                + " change is audited with your uid); with --state-dir DIR works on the store directly instead, for"
                + " maintenance while the daemon is stopped (not audited)."},
        subcommands = {AgentAddCommand.class, AgentListCommand.class, AgentShowCommand.class,
                AgentDisableCommand.class, AgentEnableCommand.class, AgentCertCommand.class, AgentTokenCommand.class})
final class AgentCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }
}
