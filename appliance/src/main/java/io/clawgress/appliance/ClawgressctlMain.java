package io.clawgress.appliance;

import io.clawgress.appliance.ctl.ClawgressctlCommand;
import picocli.CommandLine;

/** Thin main of clawgressctl. */
public final class ClawgressctlMain {

    private ClawgressctlMain() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ClawgressctlCommand()).execute(args));
    }
}
