package io.clawgress.enforcement.ratelimit;

import io.clawgress.enforcement.policy.RateLimit;
import io.clawgress.enforcement.policy.RateLimit.LimitMode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * GCRA arithmetic on one bucket with a fake clock: bursts, refill, Retry-After rounding, both limits, alert_only.
 * Time starts at a negative {@code nanoTime} on purpose: the clock's origin is arbitrary and times compare by
 * difference.
 */
class RateLimiterGcraTest {

    static final long T0 = -5_000_000_000L;
    static final long MS = 1_000_000L;
    static final long S = 1_000 * MS;

    private final RateLimiter limiter = new RateLimiter();

    private Admission check(RateLimit spec, long now) {
        return limiter.check("p", "r", spec, "agent-a", null, now);
    }

    private static RateLimit rps(int n) {
        return new RateLimit(n, 0, LimitMode.HARD_STOP);
    }

    @Test
    void tenPerSecondAdmitsABurstOfTenThenOneEveryHundredMilliseconds() {
        RateLimit spec = rps(10);
        for (int i = 0; i < 10; i++) {
            assertThat(check(spec, T0)).as("request %d of the burst", i + 1).isSameAs(Admission.ADMITTED);
        }
        assertThat(check(spec, T0)).isEqualTo(new Admission.Limited(1,
                "rate limit 10/s of policy p rule r exceeded for agent agent-a"));
        assertThat(check(spec, T0 + 100 * MS - 1)).as("one nanosecond early").isInstanceOf(Admission.Limited.class);
        assertThat(check(spec, T0 + 100 * MS)).isSameAs(Admission.ADMITTED);
        assertThat(check(spec, T0 + 100 * MS)).isInstanceOf(Admission.Limited.class);
        assertThat(check(spec, T0 + 200 * MS)).isSameAs(Admission.ADMITTED);
        assertThat(limiter.counts()).isEqualTo(new RateLimiter.Counts(12, 3, 0, 0, 0, 1));
    }

    @Test
    void refusedRequestsConsumeNothing() {
        RateLimit spec = rps(10);
        for (int i = 0; i < 10; i++) {
            check(spec, T0);
        }
        for (int i = 0; i < 1000; i++) {
            assertThat(check(spec, T0 + i * 50_000L)).isInstanceOf(Admission.Limited.class);
        }
        assertThat(check(spec, T0 + 100 * MS)).as("the refusals did not push the next slot back")
                .isSameAs(Admission.ADMITTED);
    }

    @Test
    void retryAfterIsTheWaitInWholeSecondsRoundedUpAndAtLeastOne() {
        RateLimit twoPerMinute = new RateLimit(0, 2, LimitMode.HARD_STOP); // T = 30 s, burst 2
        assertThat(check(twoPerMinute, T0)).isSameAs(Admission.ADMITTED);
        assertThat(check(twoPerMinute, T0)).isSameAs(Admission.ADMITTED);
        assertThat(retryAfter(check(twoPerMinute, T0))).isEqualTo(30);
        assertThat(retryAfter(check(twoPerMinute, T0 + 500 * MS))).as("29.5 s").isEqualTo(30);
        assertThat(retryAfter(check(twoPerMinute, T0 + 29 * S))).as("exactly 1 s").isEqualTo(1);
        assertThat(retryAfter(check(twoPerMinute, T0 + 29 * S - 1))).as("1 s and 1 ns").isEqualTo(2);
        assertThat(retryAfter(check(twoPerMinute, T0 + 30 * S - 1))).as("1 ns").isEqualTo(1);
        assertThat(check(twoPerMinute, T0 + 30 * S)).isSameAs(Admission.ADMITTED);
        assertThat(limiter.check("p", "r", rps(1_000_000), "b", null, T0)).isSameAs(Admission.ADMITTED);
    }

    @Test
    void aRateThatDoesNotDivideTheSecondNeverExceedsItsLimit() {
        RateLimit spec = rps(3); // T = 333,333,334 ns, rounded up
        int admitted = 0;
        for (long t = T0; t < T0 + 100 * S; t += MS) {
            if (check(spec, t) == Admission.ADMITTED) {
                admitted++;
            }
        }
        // A burst of 3, then 1 every T: floor((100 s - 1 ms) / T) more.
        assertThat(admitted).isEqualTo(3 + 299);
    }

    /**
     * Issue 6, acceptance 1 in small: 50 attempts a second, evenly spaced, for 10 s against 10 rps. After the first
     * second every one-second window admits exactly 10. The first holds the burst too: 10 at once (12 while the
     * first 220 ms of attempts drain into it), then one every 100 ms, 19 in all.
     */
    @Test
    void evenLoadGetsTenPerSecondWindowAfterTheInitialBurst() {
        int[] windows = new int[10];
        for (int i = 0; i < 500; i++) {
            long t = T0 + i * 20 * MS;
            if (check(rps(10), t) == Admission.ADMITTED) {
                windows[i / 50]++;
            }
        }
        assertThat(windows).containsExactly(19, 10, 10, 10, 10, 10, 10, 10, 10, 10);
    }

    @Test
    void bothLimitsApplyAndTheOneThatRefusesIsNamed() {
        RateLimit spec = new RateLimit(10, 15, LimitMode.HARD_STOP); // T = 100 ms and 4 s; bursts 10 and 15
        for (int i = 0; i < 10; i++) {
            assertThat(check(spec, T0)).isSameAs(Admission.ADMITTED);
        }
        assertThat(check(spec, T0)).isEqualTo(new Admission.Limited(1,
                "rate limit 10/s of policy p rule r exceeded for agent agent-a"));
        for (int i = 0; i < 5; i++) {
            assertThat(check(spec, T0 + S)).isSameAs(Admission.ADMITTED);
        }
        // 15 taken: the per-minute arrival time is T0 + 60 s; the next fits at T0 + 60 s + 4 s - 60 s.
        assertThat(check(spec, T0 + S)).isEqualTo(new Admission.Limited(3,
                "rate limit 15/min of policy p rule r exceeded for agent agent-a"));
        for (int i = 0; i < 100; i++) {
            assertThat(check(spec, T0 + S + i * 10 * MS)).isInstanceOf(Admission.Limited.class);
        }
        assertThat(check(spec, T0 + 4 * S - 1)).isInstanceOf(Admission.Limited.class);
        assertThat(check(spec, T0 + 4 * S)).as("refusals by one limit took nothing from the other")
                .isSameAs(Admission.ADMITTED);
        assertThat(check(spec, T0 + 4 * S)).isInstanceOf(Admission.Limited.class);
    }

    /**
     * 50 attempts a second for 3 minutes against rps 10 and rpm 15: the per-second limit shapes the first half
     * second, the per-minute one everything after. First minute: the burst of 15 (by 500 ms), then one every 4 s
     * from 4 s; then 15 a minute.
     */
    @Test
    void bothLimitsOverMinutes() {
        RateLimit spec = new RateLimit(10, 15, LimitMode.HARD_STOP);
        int[] minutes = new int[3];
        List<Long> firstSecond = new ArrayList<>();
        for (int i = 0; i < 50 * 180; i++) {
            long t = T0 + i * 20 * MS;
            if (check(spec, t) == Admission.ADMITTED) {
                minutes[i / (50 * 60)]++;
                if (t - T0 < S) {
                    firstSecond.add((t - T0) / MS);
                }
            }
        }
        assertThat(firstSecond).containsExactly(0L, 20L, 40L, 60L, 80L, 100L, 120L, 140L, 160L, 180L, 200L, 220L,
                300L, 400L, 500L);
        assertThat(minutes).containsExactly(15 + 14, 15, 15);
    }

    @Test
    void alertOnlyAdmitsEverythingAndFlagsWhatHardStopWouldRefuse() {
        RateLimit spec = new RateLimit(10, 0, LimitMode.ALERT_ONLY);
        List<Admission> answers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            answers.add(check(spec, T0));
        }
        assertThat(answers).allMatch(Admission::passes);
        assertThat(answers.subList(0, 10)).containsOnly(Admission.ADMITTED);
        assertThat(answers.subList(10, 50)).containsOnly(new Admission.WouldLimit(1,
                "rate limit 10/s of policy p rule r exceeded for agent agent-a; admitted (alert_only)"));
        assertThat(check(spec, T0 + 100 * MS)).as("flagged requests took nothing").isSameAs(Admission.ADMITTED);
        assertThat(check(spec, T0 + 100 * MS)).isInstanceOf(Admission.WouldLimit.class);
        assertThat(limiter.counts()).isEqualTo(new RateLimiter.Counts(11, 0, 41, 0, 0, 1));
    }

    @Test
    void badArgumentsAreRefused() {
        RateLimit perDestination = new RateLimit(1, 0, LimitMode.HARD_STOP, RateLimit.Per.DESTINATION);
        assertThatThrownBy(() -> limiter.check("p", "r", perDestination, "a", null, T0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("destination: null for the per destination limit of policy p rule r (expected: the"
                        + " destination name)");
        assertThatThrownBy(() -> limiter.check("p", "r", rps(1), null, null, T0))
                .isInstanceOf(NullPointerException.class).hasMessage("agentId");
        assertThatThrownBy(() -> new RateLimiter(0)).hasMessage("maxBuckets: 0 (expected: > 0)");
        assertThatThrownBy(() -> new RateLimit(1, 0, LimitMode.HARD_STOP, null))
                .hasMessage("per: null (expected: agent or destination)");
        assertThatThrownBy(() -> new Admission.Limited(0, "x")).hasMessage("retryAfterSeconds: 0 (expected: >= 1)");
    }

    private static int retryAfter(Admission a) {
        return switch (a) {
            case Admission.Admitted x -> throw new AssertionError("admitted");
            case Admission.WouldLimit w -> w.retryAfterSeconds();
            case Admission.Limited l -> l.retryAfterSeconds();
        };
    }
}
