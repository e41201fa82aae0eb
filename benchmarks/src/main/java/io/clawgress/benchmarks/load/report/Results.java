package io.clawgress.benchmarks.load.report;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything one benchmark run measured, as the orchestrator collects it; {@link Report} turns it into tables and
 * {@link Plots} into pictures. Latency scenarios keep one merged histogram per system (all rounds), so the added
 * latency at a percentile is taken between two distributions of the same run.
 */
public final class Results {

    /** The baseline every added latency is relative to. */
    public static final String DIRECT = "direct";
    /** The second direct measurement: the method check (must agree with {@link #DIRECT}). */
    public static final String DIRECT_CHECK = "direct-check";

    /**
     * A latency cell during which the hypervisor took more than this share of the machine's CPU (steal time,
     * /proc/stat) is measured again (once at most; this machine's steal runs at 1-6% between bursts): on a shared virtual machine a burst of steal stalls whichever
     * system happens to be measured — it made single cells of direct twice as slow as the others.
     */
    public static final double STEAL_LIMIT = 0.08;

    public final String profile;
    public final Map<String, String> machine = new LinkedHashMap<>();
    public final Map<String, Map<String, String>> systems = new LinkedHashMap<>();
    /** Scenario id → its title and load. */
    public final Map<String, String> scenarioTitles = new LinkedHashMap<>();
    /** Scenario id → system → aggregate. */
    public final Map<String, Map<String, Latency>> latency = new LinkedHashMap<>();
    /** System → ramp steps. */
    public final Map<String, List<RampStep>> ramp = new LinkedHashMap<>();
    /** System → bulk transfers. */
    public final Map<String, List<Bulk>> bulk = new LinkedHashMap<>();
    public final List<String> notes = new ArrayList<>();

    public Results(String profile) {
        this.profile = profile;
    }

    /** One system in one latency scenario, all rounds merged. */
    public static final class Latency {
        public final Histogram histogram = new Histogram(120_000_000_000L, 3);
        public long responses;
        public long sent;
        public long connectionsOpened;
        public final Map<String, Long> errors = new TreeMap<>();
        public double windowSeconds;
        /** CPU seconds of the system's processes inside the recorded windows (null for direct). */
        public double systemCpuSeconds;
        public double serverCpuSeconds;
        public double agentCpuSeconds;
        /** The system's RSS at the end of its last window, KiB (0 for direct). */
        public long rssKib;
        public double pacerLateP99Us;
        public int slices;
        /** Each recorded cell's own p50, µs, in the order measured (how much cells of one system differ). */
        public final List<Double> cellP50Us = new ArrayList<>();
        /** Cells measured again because the hypervisor took CPU during them (their steal share), not recorded. */
        public final List<String> stolenCells = new ArrayList<>();

        public long errorCount() {
            return errors.values().stream().mapToLong(Long::longValue).sum();
        }

        public double requestsPerSecond() {
            return windowSeconds > 0 ? responses / windowSeconds : 0;
        }

        public double connectionsPerSecond() {
            return windowSeconds > 0 ? connectionsOpened / windowSeconds : 0;
        }

        /** Percentile in microseconds. */
        public double us(double percentile) {
            return histogram.getTotalCount() == 0 ? Double.NaN
                    : histogram.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    /**
     * One step of the concurrency ramp.
     *
     * @param held        connections open through the system (each relayed one request)
     * @param rssKib      the system's RSS (process tree) at that point
     * @param fds         its open file descriptors
     * @param heapBytes   heap in use (JVM systems), -1 otherwise
     * @param probe       latency of requests over the held connections, µs
     * @param probeErrors requests of the probe without a 2xx response
     * @param openErrors  connections that failed to open at this step
     */
    public record RampStep(int held, long rssKib, int fds, long heapBytes, Histogram probe, long probeErrors,
                           Map<String, Long> openErrors, double openSeconds) {
    }

    /** One bulk download. */
    public record Bulk(long bytes, double seconds, double mibPerSecond, double systemCpuSeconds, String failure) {
    }
}
