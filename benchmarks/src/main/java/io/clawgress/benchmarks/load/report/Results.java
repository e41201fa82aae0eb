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
     * /proc/stat) is measured again (at most twice, within the profile's retry time; the least stalled attempt is
     * kept). On a shared virtual machine steal comes in bursts that stall whichever system happens to be measured:
     * cells of direct in scenario (a) ran 259-274 µs at p50 with under 0.2% steal and 303-316 µs with 4-8% (full run
     * of 2026-11-22 04:28), so a limit of 8% let the baseline drift by more than the method check allows.
     */
    public static final double STEAL_LIMIT = 0.03;

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
        /** Steal shares of the attempts not recorded, and of kept cells still over the limit (marked 'kept'). */
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

        /**
         * Half the width of the 95% confidence interval of the p50, µs, from order statistics: the median of
         * {@code n} samples lies between ranks {@code n/2 ± 0.98 √n} (binomial, normal approximation). It says how
         * far apart two p50s of the same system can be by sampling alone.
         */
        public double p50HalfWidthUs() {
            long n = histogram.getTotalCount();
            if (n == 0) {
                return Double.NaN;
            }
            double shift = 100 * 0.98 / Math.sqrt(n);
            return (histogram.getValueAtPercentile(Math.min(100, 50 + shift))
                    - histogram.getValueAtPercentile(Math.max(0, 50 - shift))) / 2000.0;
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
