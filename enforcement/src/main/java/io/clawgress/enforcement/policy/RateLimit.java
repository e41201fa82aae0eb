package io.clawgress.enforcement.policy;

/**
 * A rule's rate limit, enforced by {@code io.clawgress.enforcement.ratelimit.RateLimiter} (docs/policy.md,
 * "rate_limit"). Zero means "no limit of this kind"; at least one of {@code rps} and {@code rpm} is set, and a request
 * is admitted only within both. Equal values are the same limit: the limiter keeps a bucket's state across bundle
 * swaps exactly while its rule's {@code RateLimit} stays equal.
 *
 * @param rps  requests (connections at L4, HTTP requests behind the L7 gate) per second, 0 for none
 * @param rpm  per minute, 0 for none
 * @param mode deny over the limit, or only record it
 * @param per  what one bucket counts: each agent's requests, or each agent's requests to each destination
 */
public record RateLimit(int rps, int rpm, LimitMode mode, Per per) {

    public static final int MAX_RPS = 1_000_000;
    public static final int MAX_RPM = 60_000_000;

    /** What happens over the limit. */
    public enum LimitMode {
        HARD_STOP("hard_stop"),
        ALERT_ONLY("alert_only");

        private final String code;

        LimitMode(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** What one bucket counts. */
    public enum Per {
        /** One bucket per agent (for this rule). */
        AGENT("agent"),
        /** One bucket per agent and destination name: the claimed host name, or the address for address rules. */
        DESTINATION("destination");

        private final String code;

        Per(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    public RateLimit {
        if (mode == null) {
            throw new IllegalArgumentException("mode: null (expected: hard_stop or alert_only)");
        }
        if (per == null) {
            throw new IllegalArgumentException("per: null (expected: agent or destination)");
        }
        if (rps < 0 || rps > MAX_RPS) {
            throw new IllegalArgumentException("rps: " + rps + " (expected: 0.." + MAX_RPS + ")");
        }
        if (rpm < 0 || rpm > MAX_RPM) {
            throw new IllegalArgumentException("rpm: " + rpm + " (expected: 0.." + MAX_RPM + ")");
        }
        if (rps == 0 && rpm == 0) {
            throw new IllegalArgumentException("rps and rpm both unset (expected: at least one of them)");
        }
    }

    /** A limit per agent (the default of {@code per}). */
    public RateLimit(int rps, int rpm, LimitMode mode) {
        this(rps, rpm, mode, Per.AGENT);
    }
}
