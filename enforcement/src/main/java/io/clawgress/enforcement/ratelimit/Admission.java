package io.clawgress.enforcement.ratelimit;

import java.util.Objects;

/**
 * The rate limiter's answer for one request. Switch over it without a {@code default} branch so the compiler finds a
 * missed case:
 * <ul>
 *   <li>{@link Admitted}: within the limit; pass it on.</li>
 *   <li>{@link WouldLimit}: over an {@code alert_only} limit; pass it on, and record {@code would_limit} with the
 *       reason.</li>
 *   <li>{@link Limited}: over a {@code hard_stop} limit; refuse it (HTTP 429 with {@code Retry-After}, else
 *       reset).</li>
 * </ul>
 */
public sealed interface Admission {

    /** The one {@link Admitted} instance: admitting allocates nothing. */
    Admitted ADMITTED = new Admitted();

    /** Whether the request may pass (also true for {@link WouldLimit}). */
    boolean passes();

    /** Within the limit. */
    record Admitted() implements Admission {
        @Override
        public boolean passes() {
            return true;
        }
    }

    /**
     * Over an {@code alert_only} limit, or no bucket could be made for it (the limiter is full): admitted anyway.
     *
     * @param retryAfterSeconds what a {@code hard_stop} limit would have answered, at least 1
     * @param reason            which limit, of which rule, for which agent
     */
    record WouldLimit(int retryAfterSeconds, String reason) implements Admission {
        public WouldLimit {
            requireRetry(retryAfterSeconds);
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public boolean passes() {
            return true;
        }
    }

    /**
     * Over a {@code hard_stop} limit, or no bucket could be made for it (the limiter is full: fail closed). Nothing
     * was consumed.
     *
     * @param retryAfterSeconds whole seconds, rounded up, until the same request would be admitted if nothing else
     *                          were sent: the HTTP {@code Retry-After} (RFC 9110 §10.2.3); at least 1
     * @param reason            which limit, of which rule, for which agent
     */
    record Limited(int retryAfterSeconds, String reason) implements Admission {
        public Limited {
            requireRetry(retryAfterSeconds);
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public boolean passes() {
            return false;
        }
    }

    private static void requireRetry(int seconds) {
        if (seconds < 1) {
            throw new IllegalArgumentException("retryAfterSeconds: " + seconds + " (expected: >= 1)");
        }
    }
}
