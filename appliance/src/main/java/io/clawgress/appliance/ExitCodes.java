package io.clawgress.appliance;

/** Process exit codes of clawgressd and clawgressctl (documented in docs/config.md). */
public final class ExitCodes {
    public static final int OK = 0;
    /** Could not start or failed while running (bind failed, flow log not writable, ...). */
    public static final int FAILURE = 1;
    /** Bad command-line arguments (picocli's usage error code). */
    public static final int USAGE = 2;
    /** The configuration is invalid (sysexits.h EX_CONFIG). */
    public static final int CONFIG = 78;

    private ExitCodes() {
    }
}
