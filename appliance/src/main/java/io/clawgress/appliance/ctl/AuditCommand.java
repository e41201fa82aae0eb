package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code clawgressctl audit}: the tamper-evident audit log in {@code audit.dir} (docs/audit.md). */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"Verify, read and export the tamper-evident audit log (audit.dir), offline: the verbs read the"
                + " directory directly and are safe while clawgressd writes to it."},
        subcommands = {AuditVerifyCommand.class, AuditTailCommand.class, AuditQueryCommand.class,
                AuditExportCommand.class, AuditKeyCommand.class})
final class AuditCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }
}
