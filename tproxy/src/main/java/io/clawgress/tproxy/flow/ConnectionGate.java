package io.clawgress.tproxy.flow;

import java.util.concurrent.atomic.AtomicInteger;

/** The global cap on concurrent agent connections ({@code connection_limit}). Shared by all event loops. */
public final class ConnectionGate {

    private final int limit;
    private final AtomicInteger open = new AtomicInteger();

    public ConnectionGate(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: > 0)");
        }
        this.limit = limit;
    }

    /** Takes a slot; {@code false} when the limit is reached (nothing taken). */
    public boolean tryAcquire() {
        for (;;) {
            int n = open.get();
            if (n >= limit) {
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives a slot back. */
    public void release() {
        for (;;) {
            int n = open.get();
            if (n == 0) {
                // A bug elsewhere; the count stays at zero, as a negative count would let more than the limit in.
                throw new IllegalStateException("connection gate released more often than acquired");
            }
            if (open.compareAndSet(n, n - 1)) {
                return;
            }
        }
    }

    public int open() {
        return open.get();
    }

    public int limit() {
        return limit;
    }
}
