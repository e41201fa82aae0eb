package io.clawgress.appliance;

import io.clawgress.appliance.ctl.ClawgressctlCommand;

/** Thin main of clawgressctl. */
public final class ClawgressctlMain {

    private ClawgressctlMain() {
    }

    public static void main(String[] args) {
        System.exit(ClawgressctlCommand.commandLine(new ClawgressctlCommand(), args).execute(args));
    }
}
