package io.clawgress.enforcement.ratelimit;

import io.clawgress.enforcement.policy.RateLimit;
import io.clawgress.enforcement.policy.RateLimit.LimitMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static io.clawgress.enforcement.ratelimit.RateLimiterGcraTest.MS;
import static io.clawgress.enforcement.ratelimit.RateLimiterGcraTest.T0;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads on one bucket, as event loops are: the counts are exact with a frozen clock, and with a moving clock
 * and a sweeper retiring the bucket whenever it drains, nothing is ever admitted beyond the limit.
 */
class RateLimiterConcurrencyTest {

    private static final int THREADS = 8;

    /** Runs {@code task} on {@link #THREADS} threads released together; the sum of their results. */
    private static long race(Callable<Long> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<Long>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return task.call();
                }));
            }
            long sum = 0;
            for (Future<Long> f : results) {
                sum += f.get();
            }
            return sum;
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "rps {0}, rpm {1}: exactly {2}")
    @CsvSource({"100, 0, 100", "0, 100, 100", "100, 50, 50", "50, 100, 50"})
    void eightThreadsOnOneBucketWithAFrozenClockAdmitExactlyTheBurst(int rps, int rpm, long burst) throws Exception {
        RateLimiter limiter = new RateLimiter();
        RateLimit spec = new RateLimit(rps, rpm, LimitMode.HARD_STOP);
        int perThread = 20_000;
        long admitted = race(() -> {
            long n = 0;
            for (int i = 0; i < perThread; i++) {
                if (limiter.check("p", "r", spec, "agent", null, T0) == Admission.ADMITTED) {
                    n++;
                }
            }
            return n;
        });
        assertThat(admitted).isEqualTo(burst);
        assertThat(limiter.counts()).isEqualTo(new RateLimiter.Counts(burst, (long) THREADS * perThread - burst, 0,
                0, 0, 1));
        assertThat(limiter.check("p", "r", spec, "agent", null, T0)).as("and not one request more")
                .isInstanceOf(Admission.Limited.class);
    }

    /**
     * 8 threads hammer a 10/s bucket for 10 simulated seconds, in bursts: active for 1 s of every 3. While they are
     * active each of their attempts moves the clock on by 1/64 ms; in between, a sweeper moves it by 1 ms per sweep,
     * so the drained bucket is retired each time, and it sweeps alongside the hammering too. Every admission is held
     * to GCRA's bound (the burst plus one per interval so far), and each active second admits at least its burst and
     * one per 100 ms after: 19, four times.
     */
    @Test
    void aMovingClockAndAConcurrentSweeperKeepToTheLimit() throws Exception {
        RateLimiter limiter = new RateLimiter();
        RateLimit spec = new RateLimit(10, 0, LimitMode.HARD_STOP);
        long end = T0 + 10_000 * MS;
        AtomicLong clock = new AtomicLong(T0);
        AtomicLong admitted = new AtomicLong();
        Thread sweeper = Thread.ofPlatform().start(() -> {
            for (long now = clock.get(); now - end < 0; now = clock.get()) {
                limiter.sweep(now);
                if (!active(now)) {
                    clock.compareAndSet(now, now + MS);
                }
            }
        });
        race(() -> {
            long n = 0;
            for (long now = clock.get(); now - end < 0; now = clock.get()) {
                if (!active(now)) {
                    Thread.onSpinWait();
                    continue;
                }
                if (limiter.check("p", "r", spec, "agent", null, now) == Admission.ADMITTED) {
                    long total = admitted.incrementAndGet();
                    // Every admission counted so far was made at or before the clock's present reading.
                    long bound = 10 + (clock.get() - T0) / (100 * MS);
                    assertThat(total).as("admitted by %d ms", (clock.get() - T0) / MS).isLessThanOrEqualTo(bound);
                    n++;
                }
                clock.compareAndSet(now, now + MS / 64);
            }
            return n;
        });
        sweeper.join();
        // A thread that read the clock just before an active second ended may check after the sweeper retired the
        // drained bucket: it is then admitted by a fresh one, as it would be in real time (it arrives late). So each
        // phase change may add one admission per thread, within the bound checked above.
        assertThat(admitted.get()).isBetween(4 * 19L, 4 * 19L + 4L * THREADS);
        assertThat(limiter.counts().evicted()).as("retired after the bursts at 0, 3 and 6 s")
                .isGreaterThanOrEqualTo(3);
    }

    private static boolean active(long now) {
        return (now - T0) % (3_000 * MS) < 1_000 * MS;
    }

    /**
     * A sweeper retiring an idle bucket at the very instant 8 threads take from it: whichever wins each race, the
     * instant admits exactly one burst, round after round.
     */
    @Test
    void retiringABucketWhileItIsTakenFromLosesNothing() throws Exception {
        RateLimiter limiter = new RateLimiter();
        RateLimit spec = new RateLimit(10, 20, LimitMode.HARD_STOP);
        int rounds = 300;
        long[] perRound = new long[rounds];
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
        try {
            for (int r = 0; r < rounds; r++) {
                long now = T0 + r * 100_000 * MS; // the previous round's bucket (per-minute time +30 s) is idle
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Long>> takers = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    takers.add(pool.submit(() -> {
                        go.await();
                        long n = 0;
                        for (int i = 0; i < 5; i++) {
                            if (limiter.check("p", "r", spec, "agent", null, now) == Admission.ADMITTED) {
                                n++;
                            }
                        }
                        return n;
                    }));
                }
                Future<Integer> sweeps = pool.submit(() -> {
                    go.await();
                    int n = 0;
                    for (int i = 0; i < 200; i++) {
                        n += limiter.sweep(now);
                    }
                    return n;
                });
                go.countDown();
                for (Future<Long> f : takers) {
                    perRound[r] += f.get();
                }
                sweeps.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(perRound).containsOnly(10);
        assertThat(limiter.counts().buckets()).isEqualTo(1);
    }
}
