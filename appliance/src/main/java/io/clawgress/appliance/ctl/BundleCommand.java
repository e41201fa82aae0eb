package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code clawgressctl bundle}: signing keys and signed policy bundles, offline and on the daemon (docs/bundles.md). */
@Command(name = "bundle", mixinStandardHelpOptions = true,
        description = "Make signing keys, build signed policy bundles and verify them (offline); push, list and roll"
                + " back the running daemon's bundles.",
        subcommands = {BundleKeygenCommand.class, BundleBuildCommand.class, BundleVerifyCommand.class,
                BundlePushCommand.class, BundleHistoryCommand.class, BundleRollbackCommand.class})
final class BundleCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }
}
