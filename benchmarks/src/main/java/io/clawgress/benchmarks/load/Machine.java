package io.clawgress.benchmarks.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the report records about the machine: CPU, memory, kernel, OS, JDK (DESIGN.md §8 asks for it). */
final class Machine {

    private Machine() {
    }

    static Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("date (UTC)", java.time.Instant.now().toString().substring(0, 16).replace('T', ' '));
        m.put("CPU", cpuModel() + " x " + Runtime.getRuntime().availableProcessors());
        m.put("memory", memTotal());
        m.put("kernel", System.getProperty("os.version"));
        m.put("OS", osName());
        m.put("JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + "), " + System.getProperty("java.home"));
        m.put("open files limit", limit("Max open files"));
        return m;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException ignored) {
            // unknown
        }
        return "?";
    }

    private static String memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kib = Long.parseLong(line.replaceAll("\\D", ""));
                    return String.format("%.1f GiB", kib / 1048576.0);
                }
            }
        } catch (IOException ignored) {
            // unknown
        }
        return "?";
    }

    private static String osName() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith("PRETTY_NAME=")) {
                    return line.substring("PRETTY_NAME=".length()).replace("\"", "");
                }
            }
        } catch (IOException ignored) {
            // unknown
        }
        return "?";
    }

    private static String limit(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith(name)) {
                    String[] f = line.substring(name.length()).trim().split("\\s+");
                    return "soft " + f[0] + ", hard " + f[1] + " per process";
                }
            }
        } catch (IOException ignored) {
            // unknown
        }
        return "?";
    }
}
