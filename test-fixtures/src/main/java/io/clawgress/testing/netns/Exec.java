package io.clawgress.testing.netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command to completion with a timeout. Output goes to temporary files rather than pipes, so a chatty command
 * never blocks and a grandchild that keeps a descriptor open never makes us wait.
 */
final class Exec {

    private static final Path DEV_NULL = Path.of("/dev/null");

    private Exec() {
    }

    /** Runs {@code command} with stdin from /dev/null (or the given bytes), killing it and its children on timeout. */
    static ExecResult run(List<String> command, Duration timeout, byte[] stdin) {
        Path out = null;
        Path err = null;
        Path in = null;
        try {
            out = Files.createTempFile("clawgress-exec", ".out");
            err = Files.createTempFile("clawgress-exec", ".err");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            if (stdin == null) {
                pb.redirectInput(DEV_NULL.toFile());
            } else {
                in = Files.createTempFile("clawgress-exec", ".in");
                Files.write(in, stdin);
                pb.redirectInput(in.toFile());
            }
            long start = System.nanoTime();
            Process p = pb.start();
            boolean finished = p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (!finished) {
                Processes.killTree(p.toHandle(), Duration.ZERO);
                p.waitFor(10, TimeUnit.SECONDS);
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            if (!finished) {
                return new ExecResult(ExecResult.TIMED_OUT, stdout,
                        stderr + "\n[clawgress-test: killed " + String.join(" ", command) + " after its timeout of "
                                + timeout.toMillis() + " ms]",
                        elapsed);
            }
            return new ExecResult(p.exitValue(), stdout, stderr, elapsed);
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
            deleteQuietly(in);
        }
    }

    /** Runs {@code command} and throws an {@link AssertionError} with its output unless it exits 0. */
    static ExecResult runOk(List<String> command, Duration timeout) {
        return run(command, timeout, null).assertOk(String.join(" ", command));
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // A leftover temp file is harmless; the result matters more.
            }
        }
    }
}
