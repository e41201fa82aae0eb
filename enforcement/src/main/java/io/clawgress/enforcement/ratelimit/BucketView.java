package io.clawgress.enforcement.ratelimit;

import io.clawgress.enforcement.policy.RateLimit;

import java.util.Objects;

/**
 * One rate-limit bucket as it stood at one moment ({@link RateLimiter#buckets}): read without locks while requests
 * go on, so its numbers are each exact but not taken at one instant together. A bucket exists from an agent's first
 * request under its rule's limit until it has been idle long enough to be full again (then a sweep drops it, and its
 * counts with it).
 *
 * @param policyId    the policy of the rule
 * @param ruleId      the rule whose limit this is
 * @param agentId     the agent it counts
 * @param destination for {@code per: destination}, the destination name; {@code null} for {@code per: agent}
 * @param limit       the rule's limit (rps, rpm, mode, per)
 * @param burst       requests an idle bucket admits at once: the per-second limit if set, else the per-minute one
 * @param remaining   requests it would admit at once now (the least of its limits)
 * @param fullInNanos nanoseconds until it is full again (every limit back to its burst); 0 when it is
 * @param admitted    requests admitted since the bucket was made
 * @param overLimit   requests over the limit since it was made: refused ({@code hard_stop}) or admitted and flagged
 *                    {@code would_limit} ({@code alert_only})
 * @param idleNanos   nanoseconds since its last request
 */
public record BucketView(String policyId, String ruleId, String agentId, String destination, RateLimit limit,
                         int burst, int remaining, long fullInNanos, long admitted, long overLimit, long idleNanos) {

    public BucketView {
        Objects.requireNonNull(policyId, "policyId");
        Objects.requireNonNull(ruleId, "ruleId");
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(limit, "limit");
        if ((limit.per() == RateLimit.Per.DESTINATION) != (destination != null)) {
            throw new IllegalArgumentException("destination: " + destination + " with per " + limit.per().code()
                    + " (expected: a name exactly for per destination)");
        }
        if (burst < 1 || remaining < 0 || remaining > burst) {
            throw new IllegalArgumentException("burst " + burst + ", remaining " + remaining
                    + " (expected: burst > 0, 0 <= remaining <= burst)");
        }
        if (fullInNanos < 0 || admitted < 0 || overLimit < 0 || idleNanos < 0) {
            throw new IllegalArgumentException("fullInNanos " + fullInNanos + ", admitted " + admitted
                    + ", overLimit " + overLimit + ", idleNanos " + idleNanos + " (expected: >= 0)");
        }
    }
}
