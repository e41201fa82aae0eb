package io.clawgress.enforcement.policy;

/**
 * A rule's rate limit (enforced by the rate-limit issue; parsed and kept here). Zero means "no limit of this kind";
 * at least one of {@code rps} and {@code rpm} is set.
 *
 * @param rps  requests (connections until HTTP is visible) per second, 0 for none
 * @param rpm  per minute, 0 for none
 * @param mode deny over the limit, or only record it
 */
public record RateLimit(int rps, int rpm, LimitMode mode) {

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

    public RateLimit {
        if (mode == null) {
            throw new IllegalArgumentException("mode: null (expected: hard_stop or alert_only)");
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
}
