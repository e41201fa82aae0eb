package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * {@code clawgressctl}: the operator's CLI. The offline verbs ({@code bundle keygen|build|verify},
 * {@code policy validate|test|explain|diff}) need no daemon; see docs/clawgressctl.md.
 */
@Command(name = "clawgressctl", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Operate a Clawgress gateway.",
        subcommands = {BundleCommand.class, PolicyCommand.class, AgentCommand.class, CaCommand.class,
                AuditCommand.class, StatusCommand.class, MetricsCommand.class, FlowsCommand.class,
                QuotaCommand.class})
public final class ClawgressctlCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    private final Clock clock;

    public ClawgressctlCommand() {
        this(Clock.systemUTC());
    }

    /** @param clock what "now" is for bundle validity windows and build times (fixed in tests) */
    public ClawgressctlCommand(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    Clock clock() {
        return clock;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }
}
