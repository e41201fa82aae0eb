package io.clawgress.benchmarks;

import io.clawgress.enforcement.policy.RateLimit;
import io.clawgress.enforcement.ratelimit.Admission;
import io.clawgress.enforcement.ratelimit.RateLimiter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link RateLimiter#check} on a bucket that exists, among 10,000 others (1,000 agents on each of 10 rules), the way
 * the data path calls it after an allow decision. The clocks are fake and move on by one emission interval per call,
 * so every call is admitted (the path that must not allocate: {@code -prof gc} shows 0 B/op), except in
 * {@link #refused}, which answers an exhausted bucket (the reason text is allocated there). Two threads either use
 * buckets of their own (agents on different event loops: the common case) or share one bucket (one agent's flows on
 * two event loops: compare-and-set contention, plus the shared fake clock's own). Run:
 * {@code scripts/bench.sh RateLimit -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RateLimitBenchmark {

    /** The highest rate: a 1 us interval, a window of a million intervals for threads' clocks to drift in. */
    static final RateLimit PER_AGENT = new RateLimit(RateLimit.MAX_RPS, 0, RateLimit.LimitMode.HARD_STOP);
    static final RateLimit PER_DESTINATION = new RateLimit(RateLimit.MAX_RPS, 0, RateLimit.LimitMode.HARD_STOP,
            RateLimit.Per.DESTINATION);
    static final RateLimit BOTH = new RateLimit(RateLimit.MAX_RPS, RateLimit.MAX_RPM, RateLimit.LimitMode.HARD_STOP);
    static final long INTERVAL = 1_000;

    final RateLimiter limiter = new RateLimiter();
    final AtomicInteger nextAgent = new AtomicInteger();
    /** The clock of {@link #sharedBucketTwoThreads}: each call takes the next interval. */
    final AtomicLong sharedClock = new AtomicLong();
    long refusedAt;

    @Setup
    public void setUp() {
        for (int rule = 0; rule < 10; rule++) {
            for (int agent = 0; agent < 1_000; agent++) {
                limiter.check("policy", "rule-" + rule, PER_AGENT, "agent-" + agent, null, 0);
            }
        }
        limiter.check("policy", "rule-3", PER_DESTINATION, "agent-7", "api.openai.com", 0);
        limiter.check("policy", "rule-3", BOTH, "agent-7", null, 0);
        refusedAt = 0;
        for (int i = 0; i < RateLimit.MAX_RPS; i++) {
            limiter.check("policy", "exhausted", PER_AGENT, "agent-7", null, refusedAt);
        }
        if (limiter.check("policy", "exhausted", PER_AGENT, "agent-7", null, refusedAt).passes()) {
            throw new IllegalStateException("benchmark set-up: the exhausted bucket admitted");
        }
    }

    /** One thread's agent (its own bucket) and clock. */
    @State(Scope.Thread)
    public static class Caller {
        String agent;
        long now;

        @Setup
        public void setUp(RateLimitBenchmark b) {
            agent = "agent-" + b.nextAgent.getAndIncrement(); // an existing bucket of rule-3
            now = 0;
        }
    }

    @Benchmark
    public Admission admitted(Caller c) {
        c.now += INTERVAL;
        return limiter.check("policy", "rule-3", PER_AGENT, c.agent, null, c.now);
    }

    @Benchmark
    public Admission admittedPerDestination(Caller c) {
        c.now += INTERVAL;
        return limiter.check("policy", "rule-3", PER_DESTINATION, "agent-7", "api.openai.com", c.now);
    }

    @Benchmark
    public Admission admittedBothLimits(Caller c) {
        c.now += INTERVAL;
        return limiter.check("policy", "rule-3", BOTH, "agent-7", null, c.now);
    }

    @Benchmark
    @Threads(2)
    public Admission ownBucketsTwoThreads(Caller c) {
        c.now += INTERVAL;
        return limiter.check("policy", "rule-3", PER_AGENT, c.agent, null, c.now);
    }

    @Benchmark
    @Threads(2)
    public Admission sharedBucketTwoThreads() {
        return limiter.check("policy", "rule-5", PER_AGENT, "agent-9", null, sharedClock.addAndGet(INTERVAL));
    }

    @Benchmark
    public Admission refused() {
        return limiter.check("policy", "exhausted", PER_AGENT, "agent-7", null, refusedAt);
    }
}
