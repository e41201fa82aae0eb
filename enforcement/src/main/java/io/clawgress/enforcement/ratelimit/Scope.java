package io.clawgress.enforcement.ratelimit;

import io.clawgress.enforcement.policy.RateLimit;

/**
 * The buckets of one (policy id, rule id, limit): keyed by agent id, or for {@code per: destination} a container per
 * agent keyed by destination name. Holds the limit's GCRA constants: the first limit is the per-second one if set,
 * else the per-minute one; the second is the per-minute one when both are set.
 */
final class Scope extends Container {

    final String policyId;
    final String ruleId;
    final RateLimit spec;
    final boolean perDestination;
    /** Emission interval {@code T} of the first limit, in nanoseconds. */
    final long firstInterval;
    /** {@code n * T} of the first limit: how far ahead of now its arrival time may be after an admission. */
    final long firstWindow;
    final String firstLabel;
    /** Whether there is a second limit (both rps and rpm). */
    final boolean two;
    final long secondInterval;
    final long secondWindow;
    final String secondLabel;

    Scope(String policyId, String ruleId, RateLimit spec) {
        this.policyId = policyId;
        this.ruleId = ruleId;
        this.spec = spec;
        this.perDestination = spec.per() == RateLimit.Per.DESTINATION;
        boolean perSecond = spec.rps() > 0;
        int firstLimit = perSecond ? spec.rps() : spec.rpm();
        // Rounded up, so that n per period is never exceeded; the burst stays exactly n (n * T is the window).
        this.firstInterval = Math.ceilDiv(perSecond ? RateLimiter.SECOND : RateLimiter.MINUTE, firstLimit);
        this.firstWindow = firstLimit * firstInterval;
        this.firstLabel = perSecond ? spec.rps() + "/s" : spec.rpm() + "/min";
        this.two = perSecond && spec.rpm() > 0;
        this.secondInterval = two ? Math.ceilDiv(RateLimiter.MINUTE, spec.rpm()) : 0;
        this.secondWindow = two ? spec.rpm() * secondInterval : 0;
        this.secondLabel = two ? spec.rpm() + "/min" : null;
    }

    boolean matches(RateLimit spec) {
        return spec == this.spec || spec.equals(this.spec);
    }
}
