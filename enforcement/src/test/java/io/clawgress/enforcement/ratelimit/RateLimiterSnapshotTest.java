package io.clawgress.enforcement.ratelimit;

import io.clawgress.enforcement.policy.RateLimit;
import io.clawgress.enforcement.policy.RateLimit.LimitMode;
import io.clawgress.enforcement.policy.RateLimit.Per;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static io.clawgress.enforcement.ratelimit.RateLimiterGcraTest.MS;
import static io.clawgress.enforcement.ratelimit.RateLimiterGcraTest.S;
import static io.clawgress.enforcement.ratelimit.RateLimiterGcraTest.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** {@link RateLimiter#buckets}: what {@code clawgressctl quota show} sees of each bucket, on a test clock. */
class RateLimiterSnapshotTest {

    private static final RateLimit FIVE_PER_SECOND = new RateLimit(5, 0, LimitMode.HARD_STOP);

    private final RateLimiter limiter = new RateLimiter();

    private void requests(int n, String rule, RateLimit spec, String agent, String destination, long now) {
        for (int i = 0; i < n; i++) {
            limiter.check("p", rule, spec, agent, destination, now);
        }
    }

    private BucketView only(long now) {
        List<BucketView> all = limiter.buckets(null, now);
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    @Test
    void aNewLimiterHasNoBuckets() {
        assertThat(limiter.buckets(null, T0)).isEmpty();
    }

    @Test
    void aBucketShowsItsLimitWhatIsLeftAndWhatItCounted() {
        requests(3, "api", FIVE_PER_SECOND, "agent-a", null, T0);
        BucketView v = only(T0);
        assertThat(v.policyId()).isEqualTo("p");
        assertThat(v.ruleId()).isEqualTo("api");
        assertThat(v.agentId()).isEqualTo("agent-a");
        assertThat(v.destination()).isNull();
        assertThat(v.limit()).isEqualTo(FIVE_PER_SECOND);
        assertThat(v.burst()).isEqualTo(5);
        assertThat(v.remaining()).isEqualTo(2);
        assertThat(v.fullInNanos()).isEqualTo(600 * MS);
        assertThat(v.admitted()).isEqualTo(3);
        assertThat(v.overLimit()).isZero();
        assertThat(v.idleNanos()).isZero();

        // One emission interval (200 ms) later, one more fits; the bucket has been idle that long.
        BucketView later = only(T0 + 200 * MS);
        assertThat(later.remaining()).isEqualTo(3);
        assertThat(later.fullInNanos()).isEqualTo(400 * MS);
        assertThat(later.idleNanos()).isEqualTo(200 * MS);
        assertThat(only(T0 + 10 * S).remaining()).as("full again").isEqualTo(5);
        assertThat(only(T0 + 10 * S).fullInNanos()).isZero();
    }

    @Test
    void requestsOverTheLimitAreCountedApartAndLeaveNothing() {
        requests(10, "api", FIVE_PER_SECOND, "agent-a", null, T0);
        BucketView v = only(T0);
        assertThat(v.admitted()).isEqualTo(5);
        assertThat(v.overLimit()).isEqualTo(5);
        assertThat(v.remaining()).isZero();
        assertThat(v.fullInNanos()).isEqualTo(S);

        RateLimit alert = new RateLimit(2, 0, LimitMode.ALERT_ONLY);
        requests(3, "lenient", alert, "agent-a", null, T0);
        BucketView flagged = limiter.buckets(null, T0).stream().filter(b -> b.ruleId().equals("lenient"))
                .findFirst().orElseThrow();
        assertThat(flagged.admitted()).as("within the limit").isEqualTo(2);
        assertThat(flagged.overLimit()).as("admitted, flagged would_limit").isEqualTo(1);
        assertThat(flagged.limit().mode()).isEqualTo(LimitMode.ALERT_ONLY);
    }

    @Test
    void withBothLimitsWhatIsLeftIsTheLeastOfThem() {
        RateLimit both = new RateLimit(10, 12, LimitMode.HARD_STOP);
        requests(10, "api", both, "agent-a", null, T0);
        assertThat(only(T0).burst()).isEqualTo(10);
        assertThat(only(T0).remaining()).as("the per-second burst is used up").isZero();
        // A second later the per-second limit is full again, the per-minute one has 2 of 12 left.
        assertThat(only(T0 + S).remaining()).isEqualTo(2);
        assertThat(only(T0 + S).fullInNanos()).as("the per-minute limit refills last").isEqualTo(49 * S);
    }

    @Test
    void perDestinationBucketsNameTheirDestinationAndTheAgentFilterSelects() {
        RateLimit perDestination = new RateLimit(1, 0, LimitMode.HARD_STOP, Per.DESTINATION);
        requests(1, "api", perDestination, "agent-b", "b.test", T0);
        requests(1, "api", perDestination, "agent-b", "a.test", T0);
        requests(1, "api", perDestination, "agent-a", "z.test", T0);
        requests(1, "web", FIVE_PER_SECOND, "agent-a", null, T0);

        assertThat(limiter.buckets(null, T0)).extracting(b -> b.ruleId() + " " + b.agentId() + " " + b.destination())
                .as("sorted by policy, rule, agent, destination")
                .containsExactly("api agent-a z.test", "api agent-b a.test", "api agent-b b.test",
                        "web agent-a null");
        assertThat(limiter.buckets("agent-b", T0)).extracting(BucketView::destination)
                .containsExactly("a.test", "b.test");
        assertThat(limiter.buckets("agent-c", T0)).isEmpty();
    }

    @Test
    void aSweptBucketIsGoneAndAFreshOneCountsFromZero() {
        requests(3, "api", FIVE_PER_SECOND, "agent-a", null, T0);
        assertThat(limiter.sweep(T0 + 2 * S)).isEqualTo(1);
        assertThat(limiter.buckets(null, T0 + 2 * S)).isEmpty();
        requests(1, "api", FIVE_PER_SECOND, "agent-a", null, T0 + 3 * S);
        assertThat(only(T0 + 3 * S).admitted()).isEqualTo(1);
    }

    @Test
    void theCountsAddUpWhileOtherThreadsCheckAndSnapshotsRun() throws Exception {
        RateLimit huge = new RateLimit(RateLimit.MAX_RPS, 0, LimitMode.HARD_STOP);
        int threads = 4;
        int each = 20_000;
        CountDownLatch go = new CountDownLatch(1);
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < each; i++) {
                    limiter.check("p", "api", huge, "agent-a", null, T0 + i * MS);
                }
            });
            w.start();
            workers.add(w);
        }
        AtomicReference<Throwable> readerFailed = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                while (!done.get()) {
                    limiter.buckets(null, T0 + each * MS); // each view validates itself
                }
            } catch (Throwable e) {
                readerFailed.set(e);
            }
        });
        reader.start();
        go.countDown();
        for (Thread w : workers) {
            w.join();
        }
        done.set(true);
        reader.join();
        assertThat(readerFailed.get()).isNull();
        BucketView v = only(T0 + each * MS);
        assertThat(v.admitted() + v.overLimit()).isEqualTo((long) threads * each);
        assertThat(v.admitted()).isEqualTo(limiter.counts().admitted());
        assertThat(v.overLimit()).isEqualTo(limiter.counts().limited());
    }

    @Test
    void aViewThatContradictsItselfIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> new BucketView("p", "r", "a", "x.test",
                FIVE_PER_SECOND, 5, 5, 0, 0, 0, 0)).withMessageContaining("per agent");
        assertThatIllegalArgumentException().isThrownBy(() -> new BucketView("p", "r", "a", null,
                FIVE_PER_SECOND, 5, 6, 0, 0, 0, 0)).withMessageContaining("remaining 6");
    }
}
