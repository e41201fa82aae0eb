package io.clawgress.testing.netns;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for a condition instead of sleeping: polls a probe every few milliseconds until it holds or a timeout
 * passes, then fails with a message that says what was awaited and what the world looked like (typically a
 * process's stderr).
 */
public final class Await {

    private static final long POLL_NANOS = Duration.ofMillis(10).toNanos();

    private Await() {
    }

    /**
     * Polls {@code probe} until it yields a value.
     *
     * @param timeout       how long to wait at most
     * @param what          what is awaited, for the failure message ("3 flow records")
     * @param probe         returns the value once the condition holds, empty before
     * @param stateOnFailure called once on timeout; its text (e.g. process stderr) is appended to the message
     * @return the probe's first non-empty value
     * @throws AssertionError when the timeout passes first
     */
    public static <T> T until(Duration timeout, String what, Supplier<Optional<T>> probe,
                              Supplier<String> stateOnFailure) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + "\n" + stateOnFailure.get());
            }
            pause(Math.min(left, POLL_NANOS));
        }
    }

    /** Polls {@code condition} until it is true; see {@link #until(Duration, String, Supplier, Supplier)}. */
    public static void until(Duration timeout, String what, BooleanSupplier condition,
                             Supplier<String> stateOnFailure) {
        until(timeout, what, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty(),
                stateOnFailure);
    }

    private static void pause(long nanos) {
        try {
            Thread.sleep(Duration.ofNanos(nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting", e);
        }
    }
}
