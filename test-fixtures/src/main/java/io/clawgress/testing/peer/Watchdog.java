package io.clawgress.testing.peer;

import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds a connection in time: closes its socket at a deadline, which makes every blocked read and write on it
 * fail at once. {@link #fired()} then tells a timeout apart from a real error.
 */
final class Watchdog implements AutoCloseable {

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "peer-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final long deadlineNanos;
    private final ScheduledFuture<?> task;
    private volatile boolean fired;

    private Watchdog(Socket socket, Duration timeout) {
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
        this.task = TIMER.schedule(() -> {
            fired = true;
            ServerLoop.closeQuietly(socket);
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    static Watchdog closeAfter(Socket socket, Duration timeout) {
        return new Watchdog(socket, timeout);
    }

    boolean fired() {
        return fired;
    }

    /** Time left before the deadline (at least 1 ms, for APIs where 0 means forever). */
    Duration remaining() {
        return Duration.ofNanos(Math.max(deadlineNanos - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(1)));
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}
