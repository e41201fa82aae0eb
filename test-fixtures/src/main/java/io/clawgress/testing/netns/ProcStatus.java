package io.clawgress.testing.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads memory figures from {@code /proc/<pid>/status}. */
final class ProcStatus {

    private ProcStatus() {
    }

    /**
     * The value of a {@code kB} field such as {@code VmRSS} or {@code VmHWM}.
     *
     * @throws IllegalStateException when the process is gone or has no such field (a zombie has no Vm* lines)
     */
    static long kib(long pid, String field) {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(field + ":")) {
                    String value = line.substring(field.length() + 1).trim();
                    if (!value.endsWith(" kB")) {
                        throw new IllegalStateException("unexpected " + field + " line in " + status + ": " + line);
                    }
                    return Long.parseLong(value.substring(0, value.length() - 3).trim());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("pid " + pid + " has exited (no " + status + ")", e);
        }
        throw new IllegalStateException("pid " + pid + " has no " + field + " in " + status + " (exited?)");
    }
}
