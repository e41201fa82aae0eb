package io.clawgress.benchmarks;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.enforcement.net.PortSet;
import io.clawgress.enforcement.policy.Action;
import io.clawgress.enforcement.policy.Destination;
import io.clawgress.enforcement.policy.Mode;
import io.clawgress.enforcement.policy.Policy;
import io.clawgress.enforcement.policy.PolicyCompiler;
import io.clawgress.enforcement.policy.PolicyDecision;
import io.clawgress.enforcement.policy.PolicySet;
import io.clawgress.enforcement.policy.PolicySnapshot;
import io.clawgress.enforcement.policy.Rule;
import io.clawgress.enforcement.policy.Subjects;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Compiled policy decisions (DESIGN.md §8: 1k rules median <= 2 us, aim <= 300 ns without allocation; 100k rules at
 * most 2x the 1k figure). The rule set mixes exact hosts, {@code *.suffix} wildcards and IPv4/IPv6 prefixes of
 * several lengths over 1 rule per policy-group of 100, in 4 subject groups and 10 priorities, so lookups see
 * realistic collisions. Run: {@code scripts/bench.sh PolicyEvaluate -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PolicyEvaluateBenchmark {

    @Param({"10", "1000", "100000"})
    int rules;

    private PolicySnapshot snapshot;
    private Optional<Identity> agent;
    private FlowFacts exactHost;
    private FlowFacts wildcardHost;
    private FlowFacts cidr;
    private FlowFacts cidrDeny;
    private FlowFacts defaultDeny;
    private FlowFacts ipv6;

    @Setup
    public void setUp() {
        List<Subjects> groups = List.of(
                new Subjects(Set.of(), Set.of("team-0"), Set.of(), Set.of(), AuthMethod.SUBNET),
                new Subjects(Set.of(), Set.of("team-1"), Set.of(), Set.of("prod"), AuthMethod.SUBNET),
                new Subjects(Set.of(), Set.of("team-2"), Set.of(), Set.of(), AuthMethod.MTLS),
                Subjects.ANY);
        PortSet tls = PortSet.of(List.of("443"));
        List<Policy> policies = new ArrayList<>();
        int perPolicy = Math.min(100, rules);
        for (int p = 0; p * perPolicy < rules; p++) {
            List<Rule> list = new ArrayList<>();
            for (int r = 0; r < perPolicy && p * perPolicy + r < rules; r++) {
                int i = p * perPolicy + r;
                Destination d = switch (i % 4) {
                    case 0 -> Destination.host("api-" + i + ".example-" + (i % 97) + ".com", tls);
                    case 1 -> Destination.host("*.svc-" + i + ".example.org", tls);
                    case 2 -> Destination.cidr("10." + ((i >> 8) & 0xff) + "." + (i & 0xff) + ".0/24", PortSet.ANY);
                    default -> Destination.cidr("2001:db8:" + Integer.toHexString(i & 0xffff) + "::/48", tls);
                };
                list.add(new Rule("r" + i, i % 10 == 9 ? Action.DENY : Action.ALLOW, List.of(d)));
            }
            policies.add(new Policy("p" + p, (p % 10) * 10, Mode.ENFORCE, groups.get(p % 4), list));
        }
        // The rules the flows below hit, in the "every agent" group, whatever the rule count.
        policies.add(new Policy("hit", 5, Mode.ENFORCE, Subjects.ANY, List.of(
                new Rule("exact", Action.ALLOW, List.of(Destination.host("api.openai.com", tls))),
                new Rule("wild", Action.ALLOW, List.of(Destination.host("*.anthropic.com", tls))),
                new Rule("net", Action.ALLOW, List.of(Destination.cidr("198.18.0.0/15", PortSet.ANY))),
                new Rule("net-deny", Action.DENY, List.of(Destination.cidr("198.18.9.0/24", PortSet.ANY))),
                new Rule("net6", Action.ALLOW, List.of(Destination.cidr("2001:db9::/32", tls))))));
        snapshot = PolicyCompiler.compile(new PolicySet(policies, List.of()), "bench");
        agent = Optional.of(new Identity("bench-agent", "team-1", null, "prod", null, AuthMethod.SUBNET, true));
        InetSocketAddress src = new InetSocketAddress("198.19.1.2", 40000);
        exactHost = new FlowFacts("f", src, new InetSocketAddress("104.18.6.192", 443),
                PeekFacts.tls("api.openai.com", List.of("h2"), false));
        wildcardHost = new FlowFacts("f", src, new InetSocketAddress("160.79.104.10", 443),
                PeekFacts.tls("api.eu.anthropic.com", List.of("h2"), false));
        cidr = new FlowFacts("f", src, new InetSocketAddress("198.18.2.2", 443));
        cidrDeny = new FlowFacts("f", src, new InetSocketAddress("198.18.9.2", 443));
        defaultDeny = new FlowFacts("f", src, new InetSocketAddress("93.184.216.34", 443),
                PeekFacts.tls("www.example.com", List.of("h2"), false));
        ipv6 = new FlowFacts("f", src, new InetSocketAddress("2001:db9::1", 443));
        check(exactHost, "exact");
        check(wildcardHost, "wild");
        check(cidr, "net");
        check(cidrDeny, "net-deny");
        check(defaultDeny, "default");
        check(ipv6, "net6");
    }

    private void check(FlowFacts facts, String rule) {
        String got = snapshot.decide(facts, agent).ruleId();
        if (!got.equals(rule)) {
            throw new IllegalStateException("benchmark set-up: " + facts + " decided by " + got + ", not " + rule);
        }
    }

    @Benchmark
    public PolicyDecision exactHost() {
        return snapshot.decide(exactHost, agent);
    }

    @Benchmark
    public PolicyDecision wildcardHost() {
        return snapshot.decide(wildcardHost, agent);
    }

    @Benchmark
    public PolicyDecision cidrAllow() {
        return snapshot.decide(cidr, agent);
    }

    @Benchmark
    public PolicyDecision cidrDeny() {
        return snapshot.decide(cidrDeny, agent);
    }

    @Benchmark
    public PolicyDecision ipv6Allow() {
        return snapshot.decide(ipv6, agent);
    }

    @Benchmark
    public PolicyDecision defaultDeny() {
        return snapshot.decide(defaultDeny, agent);
    }
}
