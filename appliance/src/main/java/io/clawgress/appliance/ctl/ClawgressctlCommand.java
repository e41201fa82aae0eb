package io.clawgress.appliance.ctl;

import io.clawgress.appliance.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code clawgressctl}: the operator's CLI. Only {@code --version} and help exist yet; the verbs come later. */
@Command(name = "clawgressctl", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Operate a Clawgress gateway.")
public final class ClawgressctlCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }
}
