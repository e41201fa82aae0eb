package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * {@code clawgressctl ca}: the gateway's CAs in {@code state_dir/intercept-ca}, from the daemon or offline with
 * {@code --state-dir} (docs/clawgressctl.md).
 */
@Command(name = "ca", mixinStandardHelpOptions = true,
        description = {"The gateway's certificate authorities (STATE_DIR/intercept-ca): the intercept root that"
                + " agents trust, and the agents' CA that agent client certificates chain to."},
        subcommands = {CaExportCommand.class})
final class CaCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }
}
