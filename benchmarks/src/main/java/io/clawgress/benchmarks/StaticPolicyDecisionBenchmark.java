package io.clawgress.benchmarks;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Decision;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.enforcement.net.Cidr;
import io.clawgress.enforcement.net.PortSet;
import io.clawgress.enforcement.staticpolicy.StaticPolicy;
import io.clawgress.enforcement.staticpolicy.StaticPolicyDecider;
import io.clawgress.enforcement.staticpolicy.StaticRule;
import io.clawgress.enforcement.staticpolicy.SubnetBinding;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The interim static policy's decision cost, worst case: the allowing rule is the last of {@code rules}. The
 * static policy is linear by design (a config file holds a few rules); the signed-bundle compiler replaces it with
 * indexed structures and must meet DESIGN.md §8 (1k rules <= 2 us). Run: {@code scripts/bench.sh StaticPolicy}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class StaticPolicyDecisionBenchmark {

    @Param({"10", "100"})
    int rules;

    private StaticPolicyDecider decider;
    private FlowFacts allowedByLastRule;
    private FlowFacts deniedByDefault;

    @Setup
    public void setUp() {
        Identity agent = new Identity("bench-agent", "bench", null, "prod", null, AuthMethod.SUBNET, true);
        List<StaticRule> list = new ArrayList<>();
        for (int i = 0; i < rules - 1; i++) {
            list.add(new StaticRule("deny-" + i, StaticRule.Action.DENY,
                    List.of(Cidr.parse("10." + (i / 256) + "." + (i % 256) + ".0/24")), PortSet.ANY, Set.of()));
        }
        list.add(new StaticRule("web", StaticRule.Action.ALLOW, List.of(Cidr.parse("198.18.2.0/24")),
                PortSet.of(List.of("80", "443")), Set.of()));
        decider = new StaticPolicyDecider(new StaticPolicy(
                List.of(new SubnetBinding(Cidr.parse("198.18.1.0/24"), agent)), list), "static:bench");
        InetSocketAddress src = new InetSocketAddress("198.18.1.2", 40000);
        allowedByLastRule = new FlowFacts("f-1", src, new InetSocketAddress("198.18.2.2", 443));
        deniedByDefault = new FlowFacts("f-2", src, new InetSocketAddress("198.18.9.9", 443));
    }

    @Benchmark
    public Decision allowedByLastRule() {
        return decider.decide(allowedByLastRule);
    }

    @Benchmark
    public Decision deniedByDefault() {
        return decider.decide(deniedByDefault);
    }
}
