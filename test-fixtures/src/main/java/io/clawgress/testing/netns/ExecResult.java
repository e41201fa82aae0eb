package io.clawgress.testing.netns;

import java.time.Duration;
import java.util.Objects;

/**
 * What a finished command left behind: its exit code, everything it wrote and how long it ran.
 *
 * <p>A command killed because it outlived its timeout has {@link #TIMED_OUT} as exit code and a note saying so at
 * the end of {@link #stderr()}.
 *
 * @param exitCode the process exit code, or {@link #TIMED_OUT}
 * @param stdout   everything written to standard output (UTF-8)
 * @param stderr   everything written to standard error (UTF-8), plus the timeout note when killed
 * @param elapsed  wall-clock time from start to exit
 */
public record ExecResult(int exitCode, String stdout, String stderr, Duration elapsed) {

    /** Exit code reported for a command that was killed after its timeout. */
    public static final int TIMED_OUT = -1;

    public ExecResult {
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(elapsed, "elapsed");
    }

    /** Whether the command exited with status 0. */
    public boolean ok() {
        return exitCode == 0;
    }

    /** Whether the command was killed because it outlived its timeout. */
    public boolean timedOut() {
        return exitCode == TIMED_OUT;
    }

    /**
     * Returns this result when the command exited 0; otherwise throws an {@link AssertionError} naming
     * {@code what} (the command, or what it was for) and carrying the exit code, stdout and stderr.
     */
    public ExecResult assertOk(String what) {
        if (!ok()) {
            throw new AssertionError("command failed: " + what + "\n" + describe());
        }
        return this;
    }

    /** A multi-line description for failure messages: exit code, elapsed time, stdout and stderr (tails). */
    public String describe() {
        return "exit code: " + (timedOut() ? "killed after timeout" : Integer.toString(exitCode))
                + " (after " + elapsed.toMillis() + " ms)\n"
                + "--- stdout ---\n" + Text.tail(stdout, 8_000) + "\n"
                + "--- stderr ---\n" + Text.tail(stderr, 8_000);
    }
}
