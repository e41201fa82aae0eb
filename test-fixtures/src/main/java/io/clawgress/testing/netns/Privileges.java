package io.clawgress.testing.netns;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Guards privileged tests (network namespaces, iptables): they need root and a few tools on {@code PATH}.
 *
 * <p>On a developer machine a missing privilege or tool skips the test, loudly (JUnit abort plus a banner on
 * stderr). With {@code CI=true} it is a failure: CI never silently skips.
 */
public final class Privileges {

    private Privileges() {
    }

    /**
     * Checks that this JVM runs as root (uid 0) and that each of {@code tools} is an executable on {@code PATH}.
     *
     * @throws AssertionError when something is missing and the environment variable {@code CI} is {@code true}
     * @throws org.opentest4j.TestAbortedException when something is missing elsewhere (the test is skipped)
     */
    public static void requireOrSkip(String... tools) {
        check(System.getenv("CI"), effectiveUid(), System.getenv("PATH"), System.err, tools);
    }

    static void check(String ci, long uid, String path, PrintStream banner, String... tools) {
        List<String> missing = new ArrayList<>();
        if (uid != 0) {
            missing.add("root (running as uid " + uid + ")");
        }
        for (String tool : tools) {
            if (findOnPath(path, tool) == null) {
                missing.add("'" + tool + "' on PATH");
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String message = "privileged end-to-end test needs " + String.join(", ", missing) + " (PATH=" + path + ")";
        if ("true".equalsIgnoreCase(ci)) {
            throw new AssertionError("CI=true, so this is a failure, not a skip: " + message);
        }
        banner.println("""

                ************************************************************************
                * SKIPPING PRIVILEGED TEST: %s
                * Run as root with the tools installed (iproute2, iptables, curl, ...), or set
                * CI=true to turn this skip into a failure.
                ************************************************************************
                """.formatted(message));
        Assumptions.abort("SKIPPED (not CI): " + message);
    }

    /** The absolute path of {@code tool} on {@code PATH}, or null. */
    static Path findOnPath(String path, String tool) {
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** The effective uid from {@code /proc/self/status}, falling back to {@code id -u}. */
    static long effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    // Uid: real effective saved filesystem
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux-like /proc; ask id(1).
        }
        ExecResult r = Exec.run(List.of("id", "-u"), Duration.ofSeconds(10), null);
        return r.ok() ? Long.parseLong(r.stdout().trim()) : -1;
    }
}
