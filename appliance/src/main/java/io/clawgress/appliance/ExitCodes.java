package io.clawgress.appliance;

/** Process exit codes of clawgressd and clawgressctl (documented in docs/clawgressctl.md and the man pages). */
public final class ExitCodes {
    public static final int OK = 0;
    /** Could not start or failed while running (bind failed, flow log not writable, ...). */
    public static final int FAILURE = 1;
    /** Bad command-line arguments (picocli's usage error code). */
    public static final int USAGE = 2;
    /**
     * The daemon cannot be reached (sysexits.h EX_UNAVAILABLE): it is not running, its admin socket does not exist,
     * or the socket refused the connection.
     */
    public static final int UNAVAILABLE = 69;
    /**
     * Not allowed (sysexits.h EX_NOPERM): permission denied on the admin socket, or the admin API refused the call
     * (403: the caller is not root or in the admin group).
     */
    public static final int NOPERM = 77;
    /** The configuration is invalid (sysexits.h EX_CONFIG). */
    public static final int CONFIG = 78;

    /**
     * What {@code code} means for every command (the man pages' EXIT STATUS); each verb's own {@code exitCodeList}
     * says it more precisely. Null for a code not defined here.
     */
    public static String describe(int code) {
        return switch (code) {
            case OK -> "success";
            case FAILURE -> "the answer is no (a refused bundle, a failed scenario, a difference, a broken log, no"
                    + " such agent), or the command could not do its work (an output exists or cannot be written,"
                    + " a store cannot be used, the daemon refused the call, an internal error); the message says"
                    + " which";
            case USAGE -> "bad command-line arguments: the problem and the usage are printed";
            case UNAVAILABLE -> "the daemon cannot be reached: it is not running, or its admin socket is missing or"
                    + " refused the connection";
            case NOPERM -> "not allowed: permission denied on the admin socket, or the daemon refused the change"
                    + " (403: not root and not in the admin group)";
            case CONFIG -> "an input cannot be used (sysexits.h EX_CONFIG): an invalid configuration, policy,"
                    + " scenarios file or id, or an unusable directory, bundle or key file";
            default -> null;
        };
    }

    private ExitCodes() {
    }
}
