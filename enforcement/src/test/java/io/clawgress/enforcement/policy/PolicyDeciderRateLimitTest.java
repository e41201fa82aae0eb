package io.clawgress.enforcement.policy;

import io.clawgress.api.Decision;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.agents.AgentDirectory;
import io.clawgress.enforcement.ratelimit.RateLimiter;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The decider counts decisions against the deciding rule's rate limit; rechecks count nothing. */
class PolicyDeciderRateLimitTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);

    private PolicyDecider decider(String policyMode, String limit) throws PolicyException {
        String yaml = """
                apiVersion: clawgress.io/v1
                kind: IdentityBindings
                id: lab
                bindings:
                  - {subnet: 10.0.0.0/24, identity: {agent_id: bot}}
                ---
                apiVersion: clawgress.io/v1
                kind: Policy
                id: p
                priority: 100
                mode: %s
                subjects: {}
                rules:
                  - {id: api, action: allow, destinations: [{host: api.example.com, ports: [443]}],
                     rate_limit: %s}
                """.formatted(policyMode, limit);
        PolicySnapshot snapshot = PolicyCompiler.compile(PolicyParser.parse(Map.of("p.yaml", yaml)), "7");
        return new PolicyDecider(() -> snapshot, () -> AgentDirectory.EMPTY, new RateLimiter(), now::get);
    }

    private static FlowFacts tls(int port) {
        return new FlowFacts("f" + port, new InetSocketAddress("10.0.0.5", port),
                new InetSocketAddress("203.0.113.7", 443), PeekFacts.tls("api.example.com", List.of(), false));
    }

    @Test
    void aHardStopLimitAdmitsTheBurstThenDeniesWithRetryAfterAndRechecksCountNothing() throws Exception {
        PolicyDecider d = decider("enforce", "{rps: 2, mode: hard_stop}");
        assertThat(d.recheck(tls(1)).verdict()).as("a recheck is free").isInstanceOf(Verdict.Relay.class);
        assertThat(d.recheck(tls(1)).verdict()).isInstanceOf(Verdict.Relay.class);
        assertThat(d.recheck(tls(1)).verdict()).isInstanceOf(Verdict.Relay.class);
        assertThat(d.decide(tls(1)).verdict()).isInstanceOf(Verdict.Relay.class);
        assertThat(d.decide(tls(2)).verdict()).isInstanceOf(Verdict.Relay.class);
        Decision third = d.decide(tls(3));
        assertThat(third.verdict()).isInstanceOfSatisfying(Verdict.Deny.class, deny -> {
            assertThat(deny.termination()).isEqualTo(Termination.RATE_LIMITED);
            assertThat(deny.ruleId()).isEqualTo("api");
            assertThat(deny.reason()).contains("bot");
        });
        assertThat(third.retryAfterSeconds()).isGreaterThanOrEqualTo(1);
        assertThat(third.policyId()).isEqualTo("p");
        assertThat(d.recheck(tls(4)).verdict()).as("re-evaluation never reports a limit")
                .isInstanceOf(Verdict.Relay.class);

        now.addAndGet(500_000_000L); // one emission interval at 2/s
        assertThat(d.decide(tls(5)).verdict()).isInstanceOf(Verdict.Relay.class);
    }

    @Test
    void alertOnlyAndReportModeAdmitAndFlagWouldLimit() throws Exception {
        for (PolicyDecider d : List.of(decider("enforce", "{rps: 1, mode: alert_only}"),
                decider("report", "{rps: 1, mode: hard_stop}"))) {
            Decision first = d.decide(tls(1));
            assertThat(first.wouldLimit()).isFalse();
            Decision second = d.decide(tls(2));
            assertThat(second.verdict()).isInstanceOf(Verdict.Relay.class);
            assertThat(second.wouldLimit()).isTrue();
            assertThat(second.retryAfterSeconds()).isEqualTo(-1);
        }
    }
}
