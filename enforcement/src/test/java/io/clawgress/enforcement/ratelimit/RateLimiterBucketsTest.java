package io.clawgress.enforcement.ratelimit;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.enforcement.policy.PolicyCompiler;
import io.clawgress.enforcement.policy.PolicyDecision;
import io.clawgress.enforcement.policy.PolicyException;
import io.clawgress.enforcement.policy.PolicyParser;
import io.clawgress.enforcement.policy.PolicySnapshot;
import io.clawgress.enforcement.policy.RateLimit;
import io.clawgress.enforcement.policy.RateLimit.LimitMode;
import io.clawgress.enforcement.policy.RateLimit.Per;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.clawgress.enforcement.ratelimit.RateLimiterGcraTest.MS;
import static io.clawgress.enforcement.ratelimit.RateLimiterGcraTest.S;
import static io.clawgress.enforcement.ratelimit.RateLimiterGcraTest.T0;
import static org.assertj.core.api.Assertions.assertThat;

/** Which requests share a bucket, how long a bucket lives (bundle swaps, sweeps) and the cap on their number. */
class RateLimiterBucketsTest {

    private static final RateLimit ONE_PER_SECOND = new RateLimit(1, 0, LimitMode.HARD_STOP);

    private final RateLimiter limiter = new RateLimiter();

    private Admission once(String policy, String rule, RateLimit spec, String agent, String destination) {
        return limiter.check(policy, rule, spec, agent, destination, T0);
    }

    /** Uses up a 1/s bucket and says whether it was fresh (the first request passed, the second did not). */
    private boolean freshThenExhausted(String policy, String rule, RateLimit spec, String agent, String destination) {
        return once(policy, rule, spec, agent, destination).passes()
                && !once(policy, rule, spec, agent, destination).passes();
    }

    @Test
    void agentsPoliciesAndRulesHaveBucketsOfTheirOwn() {
        assertThat(freshThenExhausted("p", "r", ONE_PER_SECOND, "a", null)).isTrue();
        assertThat(freshThenExhausted("p", "r", ONE_PER_SECOND, "b", null)).as("another agent").isTrue();
        assertThat(freshThenExhausted("p", "r2", ONE_PER_SECOND, "a", null)).as("another rule").isTrue();
        assertThat(freshThenExhausted("q", "r", ONE_PER_SECOND, "a", null)).as("same rule id, other policy")
                .isTrue();
        assertThat(limiter.counts().buckets()).isEqualTo(4);
    }

    @Test
    void perAgentCountsEveryDestinationTogether() {
        assertThat(once("p", "r", ONE_PER_SECOND, "a", "api.openai.com")).isSameAs(Admission.ADMITTED);
        assertThat(once("p", "r", ONE_PER_SECOND, "a", "api.anthropic.com")).isInstanceOf(Admission.Limited.class);
    }

    @Test
    void perDestinationCountsEachDestinationOfEachAgentApart() {
        RateLimit spec = new RateLimit(1, 0, LimitMode.HARD_STOP, Per.DESTINATION);
        assertThat(freshThenExhausted("p", "r", spec, "a", "api.openai.com")).isTrue();
        assertThat(freshThenExhausted("p", "r", spec, "a", "api.anthropic.com")).isTrue();
        assertThat(freshThenExhausted("p", "r", spec, "b", "api.openai.com")).isTrue();
        assertThat(once("p", "r", spec, "a", "api.openai.com")).isEqualTo(new Admission.Limited(1,
                "rate limit 1/s of policy p rule r exceeded for agent a to api.openai.com"));
        assertThat(limiter.counts().buckets()).isEqualTo(3);
    }

    @Test
    void aChangedLimitStartsFreshBuckets() {
        assertThat(freshThenExhausted("p", "r", ONE_PER_SECOND, "a", null)).isTrue();
        assertThat(freshThenExhausted("p", "r", new RateLimit(1, 60, LimitMode.HARD_STOP), "a", null))
                .as("rpm added").isTrue();
        assertThat(once("p", "r", new RateLimit(1, 0, LimitMode.HARD_STOP, Per.DESTINATION), "a", "x"))
                .as("per changed").isSameAs(Admission.ADMITTED);
        assertThat(once("p", "r", new RateLimit(1, 0, LimitMode.HARD_STOP), "a", null))
                .as("an equal limit is the same bucket, whatever the instance").isInstanceOf(Admission.Limited.class);
        assertThat(limiter.counts().buckets()).isEqualTo(3);
    }

    @Test
    void aModeChangeStartsFreshBuckets() {
        assertThat(freshThenExhausted("p", "r", ONE_PER_SECOND, "a", null)).isTrue();
        assertThat(once("p", "r", new RateLimit(1, 0, LimitMode.ALERT_ONLY), "a", null))
                .isSameAs(Admission.ADMITTED);
    }

    private static final String POLICY = """
            apiVersion: clawgress.io/v1
            kind: Policy
            id: llm
            priority: 10
            subjects: {}
            rules:
              - id: api
                action: allow
                destinations: [{host: api.example.com, ports: [443]}, {cidr: 203.0.113.0/24, ports: [443]}]
                rate_limit: %s
              - id: other
                action: allow
                destinations: [{host: other.example.com, ports: [443]}]
            """;

    private static PolicySnapshot snapshot(String rateLimit, String revision) throws PolicyException {
        return PolicyCompiler.compile(PolicyParser.parse(Map.of("p.yaml", POLICY.formatted(rateLimit))), revision);
    }

    private static final Optional<Identity> AGENT = Optional.of(new Identity("research-bot", "research", null, "dev",
            null, AuthMethod.SUBNET, true));

    private static FlowFacts tls(String sni, String address) throws Exception {
        return new FlowFacts("f", new InetSocketAddress(InetAddress.getByName("198.18.1.2"), 40000),
                new InetSocketAddress(InetAddress.getByName(address), 443), PeekFacts.tls(sni, List.of(), false));
    }

    /** The intended call sequence (RateLimiter's javadoc), on one decision. */
    private Admission decideAndCheck(PolicySnapshot snapshot, FlowFacts facts, long now) {
        PolicyDecision d = snapshot.decide(facts, AGENT);
        assertThat(d.relayed()).isTrue();
        if (d.rateLimit() == null) {
            return Admission.ADMITTED;
        }
        return limiter.check(d.policyId(), d.ruleId(), d.rateLimit(), AGENT.get().agentId(),
                d.rateLimitDestination(), now);
    }

    @Test
    void theSameLimitInANewBundleKeepsItsBucketAndAChangedOneDoesNot() throws Exception {
        FlowFacts api = tls("api.example.com", "198.51.100.7");
        PolicySnapshot rev1 = snapshot("{rps: 2}", "1");
        assertThat(decideAndCheck(rev1, api, T0)).isSameAs(Admission.ADMITTED);
        assertThat(decideAndCheck(rev1, api, T0)).isSameAs(Admission.ADMITTED);
        assertThat(decideAndCheck(rev1, api, T0)).isInstanceOf(Admission.Limited.class);

        PolicySnapshot rev2 = snapshot("{rps: 2, mode: hard_stop, per: agent}", "2"); // the same limit, spelt out
        assertThat(rev2.decide(api, AGENT).rateLimit()).isEqualTo(rev1.decide(api, AGENT).rateLimit())
                .isNotSameAs(rev1.decide(api, AGENT).rateLimit());
        assertThat(decideAndCheck(rev2, api, T0 + 10 * MS)).as("state survived the swap")
                .isInstanceOf(Admission.Limited.class);

        PolicySnapshot rev3 = snapshot("{rps: 3}", "3");
        assertThat(decideAndCheck(rev3, api, T0 + 10 * MS)).as("a changed limit counts afresh")
                .isSameAs(Admission.ADMITTED);
        assertThat(decideAndCheck(rev1, api, T0 + 10 * MS)).as("the old limit's bucket is still there for"
                + " decisions made on the old snapshot").isInstanceOf(Admission.Limited.class);
        assertThat(decideAndCheck(rev3, tls("other.example.com", "198.51.100.8"), T0)).as("no limit")
                .isSameAs(Admission.ADMITTED);
    }

    @Test
    void perDestinationKeysAnAddressRuleOnTheOriginalAddress() throws Exception {
        PolicySnapshot s = snapshot("{rps: 1, per: destination}", "1");
        PolicyDecision byAddress = s.decide(tls(null, "203.0.113.9"), AGENT);
        assertThat(byAddress.ruleId()).isEqualTo("api");
        assertThat(byAddress.rateLimitDestination()).isEqualTo("203.0.113.9");
        assertThat(s.decide(tls("api.example.com", "203.0.113.9"), AGENT).rateLimitDestination())
                .isEqualTo("api.example.com");
        assertThat(decideAndCheck(s, tls(null, "203.0.113.9"), T0)).isSameAs(Admission.ADMITTED);
        assertThat(decideAndCheck(s, tls(null, "203.0.113.10"), T0)).isSameAs(Admission.ADMITTED);
        assertThat(decideAndCheck(s, tls(null, "203.0.113.9"), T0)).isEqualTo(new Admission.Limited(1,
                "rate limit 1/s of policy llm rule api exceeded for agent research-bot to 203.0.113.9"));
    }

    @Test
    void sweepDropsIdleBucketsOnly() {
        RateLimit tenPerSecond = new RateLimit(10, 0, LimitMode.HARD_STOP);
        RateLimit withPerMinute = new RateLimit(10, 20, LimitMode.HARD_STOP);
        for (int i = 0; i < 10; i++) {
            limiter.check("p", "r", tenPerSecond, "a", null, T0);
        }
        limiter.check("p", "r", tenPerSecond, "b", null, T0);
        limiter.check("p", "m", withPerMinute, "a", null, T0);
        RateLimit perDestination = new RateLimit(10, 0, LimitMode.HARD_STOP, Per.DESTINATION);
        limiter.check("p", "d", perDestination, "a", "x.example", T0);
        limiter.check("p", "d", perDestination, "a", "y.example", T0 + 50 * MS);
        assertThat(limiter.counts().buckets()).isEqualTo(5);
        assertThat(limiter.scopeCount()).isEqualTo(3);

        assertThat(limiter.sweep(T0 + 100 * MS - 1)).as("nothing is idle yet").isZero();
        assertThat(limiter.sweep(T0 + 100 * MS)).as("b and x.example are full again").isEqualTo(2);
        assertThat(limiter.sweep(T0 + 150 * MS)).as("y.example; its agent's container goes with it").isEqualTo(1);
        assertThat(limiter.sweep(T0 + S)).as("a's burst has drained; m's per-minute time is still ahead")
                .isEqualTo(1);
        assertThat(limiter.scopeCount()).isEqualTo(1);
        assertThat(limiter.sweep(T0 + 3 * S)).isEqualTo(1);
        assertThat(limiter.scopeCount()).isZero();
        assertThat(limiter.counts()).isEqualTo(new RateLimiter.Counts(14, 0, 0, 0, 5, 0));

        for (int i = 0; i < 10; i++) {
            assertThat(limiter.check("p", "r", tenPerSecond, "a", null, T0 + 3 * S)).isSameAs(Admission.ADMITTED);
        }
        assertThat(limiter.check("p", "r", tenPerSecond, "a", null, T0 + 3 * S))
                .isInstanceOf(Admission.Limited.class);
    }

    @Test
    void atTheCapNewBucketsFailClosedAndExistingOnesGoOn() {
        RateLimiter small = new RateLimiter(2);
        RateLimit alertOnly = new RateLimit(1, 0, LimitMode.ALERT_ONLY);
        assertThat(small.check("p", "r", ONE_PER_SECOND, "a", null, T0)).isSameAs(Admission.ADMITTED);
        assertThat(small.check("p", "r", ONE_PER_SECOND, "b", null, T0)).isSameAs(Admission.ADMITTED);
        assertThat(small.check("p", "r", ONE_PER_SECOND, "c", null, T0)).isEqualTo(new Admission.Limited(1,
                "rate limiter full (2 buckets): no bucket for policy p rule r, agent c; refused (fail closed)"));
        assertThat(small.check("p", "q", alertOnly, "c", null, T0)).isEqualTo(new Admission.WouldLimit(1,
                "rate limiter full (2 buckets): no bucket for policy p rule q, agent c; admitted (alert_only)"));
        assertThat(small.check("p", "r", ONE_PER_SECOND, "a", null, T0 + S)).as("an existing bucket")
                .isSameAs(Admission.ADMITTED);
        assertThat(small.counts()).isEqualTo(new RateLimiter.Counts(3, 0, 0, 2, 0, 2));

        assertThat(small.sweep(T0 + S)).as("b is idle; a was used at T0 + 1 s").isEqualTo(1);
        assertThat(small.check("p", "r", ONE_PER_SECOND, "c", null, T0 + S)).isSameAs(Admission.ADMITTED);
        assertThat(small.counts().buckets()).isEqualTo(2);
    }
}
