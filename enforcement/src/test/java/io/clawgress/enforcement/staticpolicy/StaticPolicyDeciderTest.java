package io.clawgress.enforcement.staticpolicy;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Decision;
import io.clawgress.api.DialMode;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.net.Cidr;
import io.clawgress.enforcement.net.HostPattern;
import io.clawgress.enforcement.net.PortSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class StaticPolicyDeciderTest {

    private static final Identity RESEARCH = new Identity("research-bot", "research", null, "dev", null,
            AuthMethod.SUBNET, true);
    private static final Identity BILLING = new Identity("billing-bot", "billing", null, "prod", null,
            AuthMethod.SUBNET, true);
    private static final Identity RETIRED = new Identity("retired-bot", null, null, null, null,
            AuthMethod.SUBNET, false);

    private static final StaticPolicy POLICY = new StaticPolicy(
            List.of(new SubnetBinding(Cidr.parse("198.18.1.0/24"), RESEARCH),
                    new SubnetBinding(Cidr.parse("198.18.1.128/25"), BILLING),
                    new SubnetBinding(Cidr.parse("198.18.3.0/24"), RETIRED)),
            List.of(new StaticRule("no-metadata", StaticRule.Action.DENY, List.of(Cidr.parse("169.254.0.0/16")),
                            PortSet.ANY, Set.of()),
                    new StaticRule("web", StaticRule.Action.ALLOW, List.of(Cidr.parse("198.18.2.0/24")),
                            PortSet.of(List.of("80", "443")), Set.of()),
                    new StaticRule("billing-db", StaticRule.Action.ALLOW, List.of(Cidr.parse("198.18.2.10")),
                            PortSet.of(List.of("5432")), Set.of("billing-bot"))));

    private final StaticPolicyDecider decider = new StaticPolicyDecider(POLICY, "static:test");

    @ParameterizedTest(name = "{0} -> {1}: {2} {3} ({4})")
    @CsvSource({
            // source,          destination,            verdict, rule,           agent
            "198.18.1.2:40000,  198.18.2.2:80,          relay,   web,            research-bot",
            "198.18.1.2:40000,  198.18.2.2:443,         relay,   web,            research-bot",
            "198.18.1.2:40000,  198.18.2.2:8080,        deny,    default,        research-bot",
            "198.18.1.2:40000,  198.18.9.9:80,          deny,    default,        research-bot",
            "198.18.1.2:40000,  169.254.169.254:80,     deny,    no-metadata,    research-bot",
            "198.18.1.2:40000,  198.18.2.10:5432,       deny,    default,        research-bot",
            "198.18.1.200:40000, 198.18.2.10:5432,      relay,   billing-db,     billing-bot",
            "198.18.1.200:40000, 198.18.2.10:80,        relay,   web,            billing-bot",
            "198.18.3.4:40000,  198.18.2.2:80,          deny,    agent_disabled, retired-bot",
            "198.18.7.7:40000,  198.18.2.2:80,          deny,    unbound_source, ",
    })
    void decides(String source, String destination, String verdict, String rule, String agent) {
        Decision d = decider.decide(facts(source, destination));
        assertThat(d.verdict().name()).isEqualTo(verdict);
        assertThat(d.verdict().ruleId()).isEqualTo(rule);
        assertThat(d.identity().map(Identity::agentId).orElse(null)).isEqualTo(agent);
        assertThat(d.policyRevision()).isEqualTo("static:test");
        assertThat(d.verdict().reason()).isNotBlank();
    }

    @Test
    void relayGoesToTheOriginalDestinationAndSaysWhy() {
        Decision d = decider.decide(facts("198.18.1.2:40000", "198.18.2.2:443"));
        assertThat(d.verdict()).isEqualTo(new Verdict.Relay(new InetSocketAddress("198.18.2.2", 443), "web",
                "allowed by rule web: 198.18.2.2:443 is in 198.18.2.0/24, port in 80,443"));
    }

    @Test
    void denyReasonsNameTheAgentAndDestination() {
        Decision d = decider.decide(facts("198.18.1.2:40000", "198.18.2.2:22"));
        assertThat(d.verdict()).isEqualTo(new Verdict.Deny(Termination.POLICY_DENIED, "default",
                "no rule allows agent research-bot to reach 198.18.2.2:22 (default deny)"));
    }

    @Test
    void anEmptyPolicyDeniesEverything() {
        StaticPolicyDecider empty = new StaticPolicyDecider(StaticPolicy.denyAll(), "static:empty");
        assertThat(empty.decide(facts("198.18.1.2:1", "198.18.2.2:80")).verdict())
                .isInstanceOf(Verdict.Deny.class);
    }

    private static final StaticPolicy NAMED = new StaticPolicy(
            List.of(new SubnetBinding(Cidr.parse("198.18.1.0/24"), RESEARCH)),
            List.of(new StaticRule("no-evil", StaticRule.Action.DENY, List.of(HostPattern.parse("*.evil.test")),
                            List.of(), PortSet.ANY, Set.of(), DialMode.RESOLVED),
                    new StaticRule("llm", StaticRule.Action.ALLOW, List.of(HostPattern.parse("api.allowed.test"),
                            HostPattern.parse("*.cdn.test")), List.of(), PortSet.of(List.of("443", "80")), Set.of(),
                            DialMode.RESOLVED),
                    new StaticRule("pinned", StaticRule.Action.ALLOW, List.of(HostPattern.parse("pinned.test")),
                            List.of(), PortSet.of(List.of("443")), Set.of(), DialMode.ORIGINAL_IF_RESOLVED),
                    new StaticRule("raw-ip", StaticRule.Action.ALLOW, List.of(Cidr.parse("198.18.2.9/32")),
                            PortSet.of(List.of("443")), Set.of())));

    @ParameterizedTest(name = "{0} {1} to {2} -> {3} {4} ({5})")
    @CsvSource({
            // kind, name,              destination,        verdict, rule,        dial / termination
            "tls,  api.allowed.test,    198.18.2.2:443,     relay,   llm,         resolved",
            "http, api.allowed.test,    198.18.2.2:80,      relay,   llm,         resolved",
            "tls,  x.cdn.test,          198.18.2.7:443,     relay,   llm,         resolved",
            "tls,  cdn.test,            198.18.2.7:443,     deny,    default,     policy_denied",
            "tls,  api.allowed.test,    198.18.2.2:8443,    deny,    default,     policy_denied",
            "tls,  a.evil.test,         198.18.2.2:443,     deny,    no-evil,     policy_denied",
            "tls,  pinned.test,         198.18.2.2:443,     relay,   pinned,      original_if_resolved",
            "tls,  ,                    198.18.2.2:443,     deny,    sni_missing, sni_missing",
            "tls,  ,                    198.18.2.9:443,     relay,   raw-ip,      original",
            "tls,  other.test,          198.18.2.9:443,     relay,   raw-ip,      original",
            "http, ,                    198.18.2.2:80,      deny,    default,     policy_denied",
            "http, 198.18.2.2,          198.18.2.2:80,      deny,    default,     policy_denied",
            "opaque, ,                  198.18.2.9:443,     relay,   raw-ip,      original",
            "opaque, ,                  198.18.2.2:443,     deny,    default,     policy_denied",
    })
    void namesDecideWithHostRules(String kind, String name, String destination, String verdict, String rule,
                                  String dialOrTermination) {
        PeekFacts peek = switch (kind) {
            case "tls" -> PeekFacts.tls(name, List.of("h2"), false);
            case "http" -> PeekFacts.http(name, "GET", "/");
            default -> PeekFacts.opaque();
        };
        Decision d = new StaticPolicyDecider(NAMED, "static:test")
                .decide(facts("198.18.1.2:40000", destination).withPeek(peek));
        assertThat(d.verdict().name()).isEqualTo(verdict);
        assertThat(d.verdict().ruleId()).isEqualTo(rule);
        switch (d.verdict()) {
            case Verdict.Relay relay -> {
                assertThat(relay.dial().code()).isEqualTo(dialOrTermination);
                assertThat(relay.host()).isEqualTo(relay.dial() == DialMode.ORIGINAL ? null : name);
                assertThat(relay.upstream()).isEqualTo(addr(destination));
            }
            case Verdict.Deny deny -> assertThat(deny.termination().code()).isEqualTo(dialOrTermination);
        }
    }

    @org.junit.jupiter.api.Test
    void aHostRuleSaysWhichNameMatched() {
        Decision d = new StaticPolicyDecider(NAMED, "static:test").decide(facts("198.18.1.2:40000", "198.18.2.7:443")
                .withPeek(PeekFacts.tls("x.cdn.test", List.of(), false)));
        assertThat(d.verdict().reason()).isEqualTo("allowed by rule llm: name x.cdn.test matches *.cdn.test, "
                + "port in 443,80");
    }

    private static FlowFacts facts(String source, String destination) {
        return new FlowFacts("f-1", addr(source), addr(destination));
    }

    private static InetSocketAddress addr(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon).trim(),
                Integer.parseInt(hostPort.substring(colon + 1).trim()));
    }
}
