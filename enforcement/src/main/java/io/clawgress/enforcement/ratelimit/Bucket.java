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
    private static final VarHandle ADMITTED;
    private static final VarHandle OVER;
    private static final VarHandle LAST;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            FIRST = l.findVarHandle(Bucket.class, "first", long.class);
            SECOND = l.findVarHandle(Bucket.class, "second", long.class);
            ADMITTED = l.findVarHandle(Bucket.class, "admitted", long.class);
            OVER = l.findVarHandle(Bucket.class, "over", long.class);
            LAST = l.findVarHandle(Bucket.class, "last", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through FIRST
    private volatile long first;
    @SuppressWarnings("unused") // through SECOND
    private volatile long second;
    /** Requests admitted, and over the limit, since the bucket was made; the time of the last one. For reading. */
    @SuppressWarnings("unused") // through ADMITTED
    private volatile long admitted;
    @SuppressWarnings("unused") // through OVER
    private volatile long over;
    @SuppressWarnings("unused") // through LAST
    private volatile long last;

    /** A full bucket (arrival times at {@code now}), published through the concurrent map that holds it. */
    Bucket(long now) {
        FIRST.set(this, now);
        SECOND.set(this, now);
        LAST.set(this, now);
    }

    /**
     * Counts a request {@link #take} answered (not {@link #DEAD}) for {@link RateLimiter#buckets}: two plain atomic
     * adds, no allocation.
     */
    void counted(long now, boolean admittedIt) {
        (admittedIt ? ADMITTED : OVER).getAndAdd(this, 1L);
        LAST.setOpaque(this, now);
    }

    /**
     * This bucket as it stands at {@code now}, or {@code null} when it is retired. Any thread; lock-free reads.
     */
    BucketView view(Scope s, String agentId, String destination, long now) {
        long a = (long) FIRST.getVolatile(this);
        if (a == DEAD) {
            return null;
        }
        long aheadA = Math.max(0, a - now);
        int firstLimit = (int) (s.firstWindow / s.firstInterval);
        long remaining = Math.max(0, (s.firstWindow - aheadA) / s.firstInterval);
        long fullIn = aheadA;
        if (s.two) {
            long aheadB = Math.max(0, (long) SECOND.getVolatile(this) - now);
            remaining = Math.min(remaining, Math.max(0, (s.secondWindow - aheadB) / s.secondInterval));
            fullIn = Math.max(fullIn, aheadB);
        }
        long idle = Math.max(0, now - (long) LAST.getOpaque(this));
        return new BucketView(s.policyId, s.ruleId, agentId, destination, s.spec, firstLimit,
                (int) Math.min(remaining, firstLimit), fullIn, (long) ADMITTED.getVolatile(this),
                (long) OVER.getVolatile(this), idle);
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
