package io.clawgress.benchmarks.load;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code /proc} says about a process: CPU time (user + system, every thread, exited ones included), resident
 * set size and open file descriptors. Linux only; a process that is gone reads as 0.
 */
public final class Proc {

    /** {@code sysconf(_SC_CLK_TCK)}: 100 on every Linux this runs on (the kernel's USER_HZ). */
    private static final long TICK_NANOS = 10_000_000L;

    private Proc() {
    }

    /** User + system CPU time of {@code pid} (all its threads), in nanoseconds, at the kernel's 10 ms tick. */
    public static long cpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) is in parentheses and may contain spaces: fields count from after it.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long utime = Long.parseLong(f[11]);
            long stime = Long.parseLong(f[12]);
            return (utime + stime) * TICK_NANOS;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * CPU time the hypervisor took from this machine (the {@code steal} column of {@code /proc/stat}, all CPUs), in
     * nanoseconds; 0 where it is not reported.
     */
    public static long stealNanos() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    return f.length > 8 ? Long.parseLong(f[8]) * TICK_NANOS : 0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    /** VmRSS of {@code pid} in KiB. */
    public static long rssKib(long pid) {
        return statusKib(pid, "VmRSS:");
    }

    /** VmHWM (peak RSS) of {@code pid} in KiB. */
    public static long peakRssKib(long pid) {
        return statusKib(pid, "VmHWM:");
    }

    private static long statusKib(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    /** How many file descriptors {@code pid} has open. */
    public static int fdCount(long pid) {
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path ignored : fds) {
                n++;
            }
        } catch (IOException e) {
            return 0;
        }
        return n;
    }

    /** {@code pid} and every live descendant of it. */
    public static List<Long> tree(long pid) {
        List<Long> all = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(h -> {
            all.add(h.pid());
            h.descendants().forEach(d -> all.add(d.pid()));
        });
        return all;
    }
}
