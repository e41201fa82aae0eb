package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code clawgressctl policy}: check, test, explain and compare policies offline (docs/policy.md). */
@Command(name = "policy", mixinStandardHelpOptions = true,
        description = "Validate, test, explain and compare policies (a directory or a signed bundle).",
        subcommands = {PolicyValidateCommand.class, PolicyTestCommand.class, PolicyExplainCommand.class,
                PolicyDiffCommand.class})
final class PolicyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }
}
