package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.audit.AuditSettings;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An {@code audit} verb that reads the audit directory directly: offline (no daemon needed), and safe while clawgressd
 * writes, since only complete lines are read. Exit codes: 0 done, 1 the answer is no ({@code verify}: the log is
 * broken) or an output cannot be written, 2 bad arguments, 78 an input cannot be used (the directory, a key file).
 */
abstract class AuditVerb extends CtlCommand {

    @Option(names = "--dir", paramLabel = "DIR",
            description = "The audit directory, audit.dir (default: ${DEFAULT-VALUE}).")
    Path dir = AuditSettings.DEFAULT_DIR;

    /** Checks that {@code --dir} is a directory: a missing one is trouble (78), not an empty log. */
    protected void requireDir() throws Failure {
        if (!Files.exists(dir)) {
            throw new Failure(ExitCodes.CONFIG, dir + ": no such directory (expected: the audit directory, audit.dir;"
                    + " --dir DIR names another)");
        }
        if (!Files.isDirectory(dir)) {
            throw new Failure(ExitCodes.CONFIG, dir + ": not a directory (expected: the audit directory, audit.dir)");
        }
        if (!Files.isReadable(dir) || !Files.isExecutable(dir)) {
            throw new Failure(ExitCodes.CONFIG, dir + ": permission denied (run as root or as a member of the"
                    + " gateway's group: the directory is mode 0750, segments 0640)");
        }
    }

    /** The directory or a segment in it could not be read. */
    protected Failure unreadable(IOException e) {
        return new Failure(ExitCodes.CONFIG, dir + ": cannot read: " + OutputFiles.why(e));
    }

    protected Failure unreadable(UncheckedIOException e) {
        return unreadable(e.getCause());
    }

    /** Says on stderr that lines were skipped: the reader does not verify, so this is the hint to run verify. */
    protected void warnSkipped(long skipped) {
        if (skipped > 0) {
            err().println("warning: " + skipped + " line" + (skipped == 1 ? "" : "s") + " in " + dir
                    + (skipped == 1 ? " is" : " are") + " not a JSON record and skipped; run 'clawgressctl audit"
                    + " verify'");
        }
    }
}
