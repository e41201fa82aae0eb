package io.clawgress.tproxy.flow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** The global cap on concurrent agent connections, shared by every event loop. */
class ConnectionGateTest {

    private static final int THREADS = 8;

    @Test
    void takesSlotsUpToTheLimitAndGivesThemBack() {
        ConnectionGate gate = new ConnectionGate(2);
        assertThat(gate.limit()).isEqualTo(2);
        assertThat(gate.tryAcquire()).isTrue();
        assertThat(gate.tryAcquire()).isTrue();
        assertThat(gate.tryAcquire()).as("full").isFalse();
        assertThat(gate.open()).as("a refusal takes nothing").isEqualTo(2);

        gate.release();
        assertThat(gate.open()).isOne();
        assertThat(gate.tryAcquire()).isTrue();
        assertThat(gate.tryAcquire()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void aLimitBelowOneIsRefused(int limit) {
        assertThatIllegalArgumentException().isThrownBy(() -> new ConnectionGate(limit))
                .withMessage("limit: " + limit + " (expected: > 0)");
    }

    @Test
    void releasingMoreThanWasTakenIsABugAndDoesNotRaiseTheLimit() {
        ConnectionGate gate = new ConnectionGate(1);
        assertThatIllegalStateException().isThrownBy(gate::release)
                .withMessage("connection gate released more often than acquired");
        assertThat(gate.open()).isZero();
        assertThat(gate.tryAcquire()).isTrue();
        assertThat(gate.tryAcquire()).as("still one connection at most").isFalse();
    }

    @Test
    void threadsRacingForSlotsGetExactlyTheLimit() throws Exception {
        ConnectionGate gate = new ConnectionGate(10);
        AtomicInteger granted = new AtomicInteger();
        runConcurrently(() -> {
            for (int i = 0; i < 1_000; i++) {
                if (gate.tryAcquire()) {
                    granted.incrementAndGet();
                }
            }
        });
        assertThat(granted).hasValue(10);
        assertThat(gate.open()).isEqualTo(10);
    }

    @Test
    void threadsTakingAndGivingBackNeverHoldMoreThanTheLimit() throws Exception {
        ConnectionGate gate = new ConnectionGate(3);
        AtomicInteger held = new AtomicInteger();
        AtomicInteger mostHeld = new AtomicInteger();
        AtomicInteger granted = new AtomicInteger();
        runConcurrently(() -> {
            for (int i = 0; i < 20_000; i++) {
                if (gate.tryAcquire()) {
                    granted.incrementAndGet();
                    mostHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
                    held.decrementAndGet();
                    gate.release();
                }
            }
        });
        assertThat(mostHeld.get()).isBetween(1, 3);
        assertThat(granted.get()).isPositive();
        assertThat(gate.open()).isZero();
    }

    /** Runs {@code task} on {@value #THREADS} threads that start together; fails on any thread's exception. */
    private static void runConcurrently(Runnable task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    task.run();
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
