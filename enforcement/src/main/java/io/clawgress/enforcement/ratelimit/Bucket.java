package io.clawgress.enforcement.ratelimit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One GCRA bucket: the theoretical arrival time of each of its scope's limits, in {@link System#nanoTime()} terms
 * (compared by difference, so the clock may wrap). Lock-free: every change is a compare-and-set, and a request that
 * does not fit writes nothing. A sweep retires an idle bucket by setting its first time to {@link #DEAD}; a request
 * that meets a dead bucket is counted again in a new one.
 */
final class Bucket {

    /** The first arrival time of a retired bucket; {@link #take}'s answer when it meets one. */
    static final long DEAD = Long.MIN_VALUE;

    private static final VarHandle FIRST;
    private static final VarHandle SECOND;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            FIRST = l.findVarHandle(Bucket.class, "first", long.class);
            SECOND = l.findVarHandle(Bucket.class, "second", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through FIRST
    private volatile long first;
    @SuppressWarnings("unused") // through SECOND
    private volatile long second;

    /** A full bucket (arrival times at {@code now}), published through the concurrent map that holds it. */
    Bucket(long now) {
        FIRST.set(this, now);
        SECOND.set(this, now);
    }

    /**
     * Takes one request at {@code now}: 0 when admitted; {@link #DEAD} when this bucket is retired; else refused,
     * nothing taken, and the nanoseconds until it would fit: positive when the first limit refused, negated when the
     * second did (the larger wait decides when both refuse).
     */
    long take(Scope s, long now) {
        for (;;) {
            long a = (long) FIRST.getVolatile(this);
            if (a == DEAD) {
                return DEAD;
            }
            long nextA = (a - now > 0 ? a : now) + s.firstInterval;
            long waitA = nextA - now - s.firstWindow;
            if (!s.two) {
                if (waitA > 0) {
                    return waitA;
                }
                if (FIRST.compareAndSet(this, a, nextA)) {
                    return 0;
                }
                continue;
            }
            long b = (long) SECOND.getVolatile(this);
            long nextB = (b - now > 0 ? b : now) + s.secondInterval;
            long waitB = nextB - now - s.secondWindow;
            if (waitA > 0 || waitB > 0) {
                return waitA >= waitB ? waitA : -waitB;
            }
            if (!FIRST.compareAndSet(this, a, nextA)) {
                continue;
            }
            // The first limit is taken; take the second, or give the first back if the second no longer fits.
            for (;;) {
                if (SECOND.compareAndSet(this, b, nextB)) {
                    // A sweep retires only a bucket whose times are all past; it can have done so between the two
                    // sets only if this thread stalled longer than an interval. Then count the request again.
                    return (long) FIRST.getVolatile(this) == DEAD ? DEAD : 0;
                }
                b = (long) SECOND.getVolatile(this);
                nextB = (b - now > 0 ? b : now) + s.secondInterval;
                waitB = nextB - now - s.secondWindow;
                if (waitB > 0) {
                    giveBack(a, nextA, s.firstInterval);
                    return -waitB;
                }
            }
        }
    }

    /**
     * Undoes this thread's set of the first time from {@code before} to {@code after}: exactly when nobody set it
     * since; else by one interval less, which is exact when the later requests queued behind this one (the case under
     * contention), and at worst gives one interval to a request that came after the bucket had drained.
     */
    private void giveBack(long before, long after, long interval) {
        if (FIRST.compareAndSet(this, after, before)) {
            return;
        }
        for (;;) {
            long cur = (long) FIRST.getVolatile(this);
            if (cur == DEAD || FIRST.compareAndSet(this, cur, cur - interval)) {
                return;
            }
        }
    }

    /** Retires this bucket if all its arrival times are at or before {@code now} (it is full again). */
    boolean retireIfIdle(Scope s, long now) {
        long a = (long) FIRST.getVolatile(this);
        if (a == DEAD || a - now > 0) {
            return false;
        }
        if (s.two && (long) SECOND.getVolatile(this) - now > 0) {
            return false;
        }
        return FIRST.compareAndSet(this, a, DEAD);
    }
}
