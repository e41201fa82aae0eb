package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code clawgressctl agent}: the agent registry in {@code state_dir/agents.lmdb} (docs/clawgressctl.md). */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Register agents and enable or disable them, in the gateway's agent registry"
                + " (STATE_DIR/agents.lmdb). Works on the store directly: run it on the gateway, as root or the"
                + " gateway's user; a running clawgressd picks up changes without a restart."},
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
