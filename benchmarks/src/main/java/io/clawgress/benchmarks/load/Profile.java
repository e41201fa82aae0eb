package io.clawgress.benchmarks.load;

import java.util.List;

/**
 * How long and how hard each scenario runs. {@code full} is {@code make bench} (≤ 30 min), {@code quick} is
 * {@code make bench-quick} (the same scenarios and loads, short windows, ≤ 5 min), {@code smoke} is the test suite's
 * check that the harness still works (about a second per system).
 *
 * <p>The loads are sized for a 2-core machine that runs the generator, the upstream server and the system under test
 * at once: nothing may saturate, or the latency measured is the queue of an overloaded CPU, not the gateway's.
 *
 * @param rounds              how many times each scenario visits every system (interleaved, the order rotated)
 * @param interceptRounds     the same for the intercept scenarios (c), whose figures are milliseconds: fewer rounds
 *                            leave (a) and (b), where microseconds count, the time to repeat cells the hypervisor
 *                            stalled
 * @param jvmWarmupSeconds    traffic of each kind through each Clawgress daemon before anything is recorded
 * @param warmupSeconds       per slice, not recorded
 * @param windowSeconds       per slice, recorded
 * @param keepAliveConns      scenario (a): open connections (DESIGN.md §8: 2k)
 * @param keepAliveRate       scenario (a): requests/s over them, in total
 * @param newConnRate         scenario (b): new connections/s
 * @param interceptNewRate    scenario (c), new connections: connections/s
 * @param interceptConns      scenario (c), keep-alive: open connections
 * @param interceptRate       scenario (c), keep-alive: requests/s
 * @param rampSteps           scenario (d): held connections at each step
 * @param rampProbeRate       scenario (d): requests/s over the held connections at each step
 * @param rampProbeSeconds    scenario (d): recorded seconds per step
 * @param bulkBytes           scenario (e): bytes downloaded per slice
 * @param scenarios           which of a, b, c, d, e run
 * @param quietCells          wait before every latency cell until the systems are idle (up to 5 s each; off in
 *                            quick and smoke, whose point is a short run)
 * @param stealRetrySeconds   for the whole run, how long the latency scenarios may wait for the hypervisor's steal to
 *                            subside and measure stalled cells again (first come, first served: (a) and (b) run
 *                            first); bounds the run time
 */
public record Profile(String name, int rounds, int interceptRounds, double jvmWarmupSeconds, double warmupSeconds,
                      double windowSeconds, int keepAliveConns,
                      double keepAliveRate, double newConnRate, double interceptNewRate, int interceptConns,
                      double interceptRate, List<Integer> rampSteps, double rampProbeRate, double rampProbeSeconds,
                      long bulkBytes, List<String> scenarios, boolean quietCells,
                      double stealRetrySeconds) {

    /** Flows through a gateway at the top of the ramp: 2 descriptors each, under the 20,000 per-process limit. */
    public static final int RAMP_MAX = 9_500;

    public Profile {
        if (rounds < 1 || interceptRounds < 1 || windowSeconds <= 0 || warmupSeconds < 0 || stealRetrySeconds < 0) {
            throw new IllegalArgumentException("profile " + name
                    + ": rounds >= 1, window > 0, warmup >= 0, steal retry seconds >= 0");
        }
        rampSteps = List.copyOf(rampSteps);
        scenarios = List.copyOf(scenarios);
    }

    public static Profile named(String name) {
        List<String> all = List.of("a", "b", "c", "d", "e");
        return switch (name) {
            case "full" -> new Profile("full", 4, 3, 10, 3, 8, 2000, 2000, 200, 100, 500, 1000,
                    List.of(2000, 6000, RAMP_MAX), 500, 5, 1L << 30, all, true, 300);
            case "quick" -> new Profile("quick", 1, 1, 3, 1, 2, 2000, 2000, 200, 100, 500, 1000,
                    List.of(2000, RAMP_MAX), 500, 1, 256L << 20, all, false, 0);
            case "smoke" -> new Profile("smoke", 1, 1, 0.3, 0.3, 1, 100, 200, 50, 30, 20, 100,
                    List.of(100, 200), 100, 0.5, 8L << 20, all, false, 0);
            default -> throw new IllegalArgumentException("profile: " + name + " (expected: full, quick, smoke)");
        };
    }

    public Profile only(List<String> which) {
        return new Profile(name, rounds, interceptRounds, jvmWarmupSeconds, warmupSeconds, windowSeconds,
                keepAliveConns, keepAliveRate, newConnRate, interceptNewRate, interceptConns, interceptRate, rampSteps,
                rampProbeRate, rampProbeSeconds, bulkBytes, which, quietCells, stealRetrySeconds);
    }

    /** The same profile with every request and connection rate multiplied by {@code factor} (slower machines). */
    public Profile scaled(double factor) {
        if (!(factor > 0)) {
            throw new IllegalArgumentException("scale: " + factor + " (expected: > 0)");
        }
        return new Profile(name, rounds, interceptRounds, jvmWarmupSeconds, warmupSeconds, windowSeconds,
                keepAliveConns, keepAliveRate * factor, newConnRate * factor, interceptNewRate * factor,
                interceptConns, interceptRate * factor, rampSteps, rampProbeRate * factor, rampProbeSeconds, bulkBytes,
                scenarios, quietCells, stealRetrySeconds);
    }

    public boolean runs(String scenario) {
        return scenarios.contains(scenario);
    }
}
