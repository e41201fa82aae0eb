package io.clawgress.enforcement.policy;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static io.clawgress.enforcement.policy.PolicyDecisionTableTest.endpoint;
import static io.clawgress.enforcement.policy.PolicyDecisionTableTest.facts;
import static io.clawgress.enforcement.policy.PolicyDecisionTableTest.who;
import static org.assertj.core.api.Assertions.assertThat;

/** The explain ladder agrees with the evaluator on every decision, and says why each rule did or did not match. */
class PolicyExplainerTest {

    private static PolicySnapshot snapshot;

    @BeforeAll
    static void compile() throws PolicyException {
        snapshot = PolicyCompiler.compile(PolicyParser.parseDirectory(PolicyDecisionTableTest.DIR),
                PolicyDecisionTableTest.REVISION);
    }

    /** The identity given explicitly, or, for "nobody", resolved from an unbound source. */
    private static Explanation explain(String who, String peek, String dst) {
        FlowFacts f = facts(who, peek, dst);
        Optional<Identity> id = who(who);
        return id.isPresent() ? PolicyExplainer.explain(snapshot, f, id.get())
                : PolicyExplainer.explain(snapshot, new FlowFacts("f", endpoint("203.0.113.9:40000"),
                        f.originalDestination(), f.peek()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.clawgress.enforcement.policy.PolicyDecisionTableTest#cases")
    void agreesWithTheDecisionTable(String name, String who, String peek, String dst, String verdict, String policy,
                                    String rule) {
        Explanation e = explain(who, peek, dst);
        assertThat(e.decision().verdict().name()).isEqualTo(verdict);
        assertThat(e.decision().ruleId()).isEqualTo(rule);
        if (policy == null) {
            assertThat(e.winner()).isEmpty();
            assertThat(e.intercept()).isNull();
        } else if (e.winner().isEmpty()) {
            assertThat(verdict).as("only an intercept decides without a ladder candidate").isEqualTo("intercept");
            assertThat(e.intercept().name()).isEqualTo(policy + "/" + rule);
            assertThat(e.rules()).noneMatch(Explanation.RuleStep::matches);
        } else {
            Explanation.RuleStep w = e.winner().orElseThrow();
            assertThat(w.name()).isEqualTo(policy + "/" + rule);
            assertThat(w.matches()).isTrue();
            assertThat(e.rules().subList(0, w.rank() - 1)).noneMatch(Explanation.RuleStep::matches);
        }
        assertThat(e.rules()).allMatch(s -> s.matches() == (s.why() == null));
        assertThat(e.rules()).extracting(Explanation.RuleStep::rank)
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, e.rules().size()).boxed()
                        .toList());
        assertThat(String.join("\n", e.lines(true))).contains("decision: " + Explanation.describe(e.decision()));
    }

    /** Random flows: explain checks itself against the evaluator and throws on any disagreement. */
    @Test
    void agreesWithTheEvaluatorOnRandomFlows() {
        List<String> names = List.of("api.openai.com", "api.anthropic.com", "anthropic.com", "a.b.anthropic.com",
                "gist.github.com", "github.com", "api.github.com", "chat.example.net", "downloads.example.net",
                "pastebin.com", "x.pastebin.com", "api.example-llm.com", "vault.example.org", "api.stripe.com",
                "payouts.stripe.com", "models.huggingface.co", "report-only.example.io", "trial.example.io",
                "v6.example.com", "xn--bcher-kva.example", "example.com", "10.20.7.1", "inspect.example.ai",
                "api.inspect.example.ai", "secrets.inspect.example.ai", "tools.example.ai", "docs.example.ai",
                "hub.huggingface.co", "cidr.example.ai");
        List<String> addresses = List.of("104.18.6.192", "169.254.169.254", "10.20.1.1", "10.20.5.9", "10.20.7.1",
                "10.30.1.5", "192.0.2.30", "192.0.2.80", "192.0.2.130", "[2001:db8:100:1::1]", "[2001:db8:100:5::1]",
                "[fd00:ec2::254]");
        List<Integer> ports = List.of(22, 80, 443, 5432, 7999, 8000, 8080, 8100, 8101);
        List<String> agents = List.of("research", "research-jwt", "research-mtls", "research-prod", "billing",
                "billing-api-key", "billing-mtls", "retired", "v6", "nobody");
        List<String> targets = List.of("/", "/v1/chat", "/v1/admin/x", "/v1/../v1/admin", "/v1%2fchat", "/v2/x",
                "*", "http://api.example-llm.com/v1/chat", "/private/x", "/v1/run");
        Random random = new Random(42);
        for (int i = 0; i < 5000; i++) {
            String name = names.get(random.nextInt(names.size()));
            String peek = switch (random.nextInt(5)) {
                case 0 -> "none";
                case 1 -> "opaque";
                case 2 -> "tls:";
                case 3 -> "tls:" + name;
                default -> "http:" + name + " " + (random.nextBoolean() ? "POST" : "GET") + " "
                        + targets.get(random.nextInt(targets.size()));
            };
            String dst = addresses.get(random.nextInt(addresses.size())) + ":" + ports.get(random.nextInt(
                    ports.size()));
            Explanation e = explain(agents.get(random.nextInt(agents.size())), peek, dst);
            assertThat(e.decision()).isNotNull();
        }
    }

    @Test
    void decisionIsTheEvaluatorsOwn() {
        FlowFacts f = facts("research", "tls:api.openai.com", "104.18.6.192:443");
        Explanation e = PolicyExplainer.explain(snapshot, f);
        assertThat(e.decision()).isEqualTo(snapshot.decide(f, who("research")));
        assertThat(e.identity().binding().subnet().toString()).isEqualTo("198.18.1.0/24");
        assertThat(e.identity().given()).isFalse();
    }

    @Test
    void exactDenyOutranksTheWildcardAllowThatAlsoMatches() {
        Explanation e = explain("research", "tls:gist.github.com", "140.82.112.4:443");
        assertThat(e.rules()).filteredOn(Explanation.RuleStep::matches).extracting(Explanation.RuleStep::name,
                Explanation.RuleStep::decides).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("research-wide/no-gist", true),
                        org.assertj.core.groups.Tuple.tuple("research-wide/github", false));
        assertThat(e.lines(false)).anySatisfy(l -> assertThat(l).matches(
                " {2}#\\d+ +MATCH +research-wide/no-gist +deny +gist\\.github\\.com +<- decides"))
                .anySatisfy(l -> assertThat(l).matches(
                        " {2}#\\d+ +match +research-wide/github +allow +\\*\\.github\\.com port 443 +\\(outranked\\)"));
    }

    @Test
    void saysWhyNearMissesDoNotMatch() {
        Map<String, String> why = whyByRule(explain("research", "tls:api.openai.com", "104.18.6.192:8443"));
        assertThat(why.get("research-llm/llm-apis api.openai.com port 443")).isEqualTo("port 8443 not in 443");

        why = whyByRule(explain("research", "tls:anthropic.com", "160.79.104.10:443"));
        assertThat(why.get("research-llm/llm-apis *.anthropic.com port 443"))
                .isEqualTo("name anthropic.com does not match *.anthropic.com (a wildcard matches subdomains only)");

        why = whyByRule(explain("research", "tls:api.example-llm.com", "192.0.2.30:80"));
        assertThat(why.get("research-llm/llm-http api.example-llm.com port 80"))
                .isEqualTo("http conditions need a visible HTTP request (this flow is tls)");

        why = whyByRule(explain("research", "http:api.example-llm.com GET /v2/chat", "192.0.2.30:80"));
        assertThat(why.get("research-llm/llm-http api.example-llm.com port 80"))
                .isEqualTo("method GET not in POST; path /v2/chat does not start with /v1/");
        assertThat(why.get("research-llm/no-admin api.example-llm.com port 80"))
                .isEqualTo("path /v2/chat does not start with /v1/admin");

        why = whyByRule(explain("research", "http:api.example-llm.com POST /v1/../v1/chat", "192.0.2.30:80"));
        assertThat(why.get("research-llm/llm-http api.example-llm.com port 80")).isEqualTo(
                "path /v1/../v1/chat is ambiguous (dot segments or encoded . / \\): allow rules never match it");

        why = whyByRule(explain("research", "tls:", "104.18.6.192:443"));
        assertThat(why.get("research-llm/llm-apis api.openai.com port 443"))
                .isEqualTo("TLS without SNI: no name to match");

        why = whyByRule(explain("research", "none", "10.21.0.1:8080"));
        assertThat(why.get("research-llm/internal 10.20.0.0/16 port 8000-8100"))
                .isEqualTo("address 10.21.0.1 not in 10.20.0.0/16");
        assertThat(why.get("guardrails/no-metadata-v6 fd00:ec2::254/128"))
                .isEqualTo("address 10.21.0.1 not in fd00:ec2::254/128 (other address family)");
    }

    private static Map<String, String> whyByRule(Explanation e) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        e.rules().forEach(s -> m.put(s.name() + " " + s.destination(), s.why()));
        return m;
    }

    @Test
    void saysWhichPoliciesApplyAndWhyOthersDoNot() {
        Explanation e = explain("research", "tls:payouts.stripe.com", "192.0.2.41:443");
        Map<String, String> why = new java.util.LinkedHashMap<>();
        e.policies().forEach(p -> why.put(p.policy().id(), p.why()));
        assertThat(why).containsEntry("guardrails", null)
                .containsEntry("billing", "team_id research not in [billing]")
                .containsEntry("billing-strong", "auth subnet is weaker than min_auth mtls; team_id research not in"
                        + " [billing]")
                .containsEntry("research-jwt", "auth subnet is weaker than min_auth jwt")
                .containsEntry("agent-specific", "agent_id research-bot not in [v6-bot]");
        assertThat(e.rules()).noneMatch(s -> s.policy().id().startsWith("billing"));

        Identity noEnv = new Identity("research-bot", "research", null, null, null, AuthMethod.SUBNET, true);
        e = PolicyExplainer.explain(snapshot, facts("research", "tls:api.openai.com", "104.18.6.192:443"), noEnv);
        assertThat(e.policies()).filteredOn(p -> p.policy().id().equals("research-llm")).singleElement()
                .extracting(Explanation.PolicyStep::why).isEqualTo("agent has no environment (policy wants [dev,"
                        + " staging])");
        assertThat(e.identity().given()).isTrue();
        assertThat(e.lines(false).get(1)).isEqualTo("identity: given: agent research-bot (team_id research, auth"
                + " subnet) (source 198.18.1.2 is in subnet 198.18.1.0/24, bound to agent research-bot)");
    }

    @Test
    void unboundSourceAndDisabledAgentStopBeforePolicies() {
        Explanation e = PolicyExplainer.explain(snapshot, new FlowFacts("f", endpoint("198.51.100.1:1234"),
                endpoint("104.18.6.192:443"), PeekFacts.tls("api.openai.com", List.of(), false)));
        assertThat(e.policies()).isEmpty();
        assertThat(e.rules()).isEmpty();
        assertThat(e.lines(false)).containsExactly(
                "flow: 198.51.100.1:1234 -> 104.18.6.192:443, tls, sni api.openai.com",
                "identity: source 198.51.100.1 is in no subnet binding -> no agent identity",
                "decision: deny (policy_denied), rule unbound_source (built-in), revision rev-42",
                "reason: source 198.51.100.1 is bound to no agent identity");

        e = PolicyExplainer.explain(snapshot, new FlowFacts("f", endpoint("198.18.3.9:1234"),
                endpoint("104.18.6.192:443")));
        assertThat(e.lines(false)).containsExactly(
                "flow: 198.18.3.9:1234 -> 104.18.6.192:443, not peeked",
                "identity: source 198.18.3.9 is in subnet 198.18.3.0/24 -> agent retired-bot (team_id research,"
                        + " environment dev, auth subnet), disabled",
                "decision: deny (policy_denied), rule agent_disabled (built-in), revision rev-42",
                "reason: agent retired-bot is disabled");
    }

    @Test
    void explainsInterception() {
        Explanation unbound = PolicyExplainer.explain(snapshot, new FlowFacts("f", endpoint("198.51.100.1:1234"),
                endpoint("192.0.2.80:443"), PeekFacts.tls("inspect.example.ai", List.of(), false)));
        assertThat(unbound.lines(false)).containsExactly(
                "flow: 198.51.100.1:1234 -> 192.0.2.80:443, tls, sni inspect.example.ai",
                "identity: source 198.51.100.1 is in no subnet binding -> no agent identity",
                "intercept: research-intercept/llm-inspect inspect.example.ai port 443 matches the SNI for any agent:"
                        + " each request is decided once TLS is terminated",
                "decision: intercept inspect.example.ai:443 (dial resolved), policy research-intercept, rule"
                        + " llm-inspect, revision rev-42",
                "reason: intercepted by policy research-intercept rule llm-inspect: TLS terminated so each request is"
                        + " decided");

        Explanation byName = explain("research", "tls:tools.example.ai", "192.0.2.82:443");
        assertThat(byName.winner()).isEmpty();
        assertThat(byName.intercept().name()).isEqualTo("research-intercept/tools-post");
        assertThat(whyByRule(byName).get("research-intercept/tools-post tools.example.ai port 80,443"))
                .isEqualTo("http conditions need a visible HTTP request (this flow is tls)");
        assertThat(byName.lines(false)).contains("  no rule matches: intercepted by research-intercept/tools-post"
                + " tools.example.ai port 80,443 matches the SNI for any agent: each request is decided once TLS is"
                + " terminated");

        Explanation byRule = explain("research", "tls:api.inspect.example.ai", "192.0.2.81:443");
        assertThat(byRule.intercept()).as("the ladder decided").isNull();
        assertThat(byRule.winner().orElseThrow().name()).isEqualTo("research-intercept/llm-inspect");
        assertThat(byRule.lines(false)).contains("decision: intercept api.inspect.example.ai:443 (dial"
                + " original_if_resolved), policy research-intercept, rule llm-inspect, revision rev-42");

        Explanation otherTeam = explain("billing", "tls:docs.example.ai", "192.0.2.83:443");
        assertThat(otherTeam.intercept().name()).isEqualTo("research-intercept/docs-private");
    }

    @Test
    void explainsInterceptionWhenNoPolicyAppliesToTheAgent() throws PolicyException {
        PolicySnapshot s = PolicyCompiler.compile(PolicyParser.parse(Map.of("p.yaml", """
                apiVersion: clawgress.io/v1
                kind: Policy
                id: llm
                priority: 100
                subjects: {team_id: [research], min_auth: mtls}
                rules:
                  - id: openai
                    action: allow
                    intercept: true
                    destinations: [{host: api.openai.com, ports: [443]}]
                """)), "7");
        Identity bound = new Identity("bot", "research", null, null, null, AuthMethod.SUBNET, true);
        Explanation e = PolicyExplainer.explain(s, new FlowFacts("f", endpoint("10.10.1.5:40000"),
                endpoint("104.18.6.192:443"), PeekFacts.tls("api.openai.com", List.of(), false)), bound);
        assertThat(e.lines(false)).containsSubsequence(
                "  skipped  llm  priority 100  enforce  auth subnet is weaker than min_auth mtls",
                "  (no policy applies to this agent)",
                "  intercepted by llm/openai api.openai.com port 443 matches the SNI for any agent: each request is"
                        + " decided once TLS is terminated",
                "decision: intercept api.openai.com:443 (dial resolved), policy llm, rule openai, revision 7");
    }

    @Test
    void textLadderOfASmallPolicy() throws PolicyException {
        PolicySet set = PolicyParser.parse(Map.of("p.yaml", """
                apiVersion: clawgress.io/v1
                kind: IdentityBindings
                id: lab
                bindings:
                  - subnet: 10.10.1.0/24
                    identity: {agent_id: bot, team_id: research, environment: dev}
                ---
                apiVersion: clawgress.io/v1
                kind: Policy
                id: guard
                priority: 1000
                subjects: {}
                rules:
                  - id: no-metadata
                    action: deny
                    destinations: [{cidr: 169.254.0.0/16}]
                ---
                apiVersion: clawgress.io/v1
                kind: Policy
                id: llm
                priority: 100
                subjects: {team_id: [research]}
                rules:
                  - id: openai
                    action: allow
                    destinations: [{host: api.openai.com, ports: [443]}, {host: "*.openai.com", ports: [443]}]
                  - id: other
                    action: allow
                    destinations: [{host: example.org}]
                ---
                apiVersion: clawgress.io/v1
                kind: Policy
                id: billing
                priority: 50
                mode: report
                subjects: {team_id: [billing]}
                rules: []
                """));
        PolicySnapshot s = PolicyCompiler.compile(set, "7");
        FlowFacts f = new FlowFacts("f", endpoint("10.10.1.5:40000"), endpoint("104.18.6.192:443"),
                PeekFacts.tls("api.openai.com", List.of(), false));
        Explanation e = PolicyExplainer.explain(s, f);
        assertThat(e.lines(false)).containsExactly(
                "flow: 10.10.1.5:40000 -> 104.18.6.192:443, tls, sni api.openai.com",
                "identity: source 10.10.1.5 is in subnet 10.10.1.0/24 -> agent bot (team_id research, environment"
                        + " dev, auth subnet)",
                "policies (priority order):",
                "  applies  guard    priority 1000  enforce  every agent",
                "  applies  llm      priority 100   enforce  team_id [research]",
                "  skipped  billing  priority 50    report   team_id research not in [billing]",
                "rules (decision order: priority, deny before allow, most specific destination, policy id, rule"
                        + " order):",
                "  #2  MATCH  llm/openai  allow  api.openai.com port 443  <- decides",
                "  #4  match  llm/openai  allow  *.openai.com port 443  (outranked)",
                "  (2 other rule destinations name neither this name nor this address)",
                "decision: relay to api.openai.com:443 (dial resolved), policy llm, rule openai, revision 7",
                "reason: allowed by policy llm rule openai: api.openai.com port 443");
        assertThat(e.lines(true)).contains(
                "  #1  no     guard/no-metadata  deny   169.254.0.0/16: address 104.18.6.192 not in 169.254.0.0/16",
                "  #3  no     llm/other          allow  example.org: name api.openai.com does not match example.org");

        Explanation none = PolicyExplainer.explain(s, new FlowFacts("f", endpoint("10.10.1.5:40000"),
                endpoint("93.184.216.34:443"), PeekFacts.tls("example.com", List.of(), false)));
        assertThat(none.lines(false)).containsSubsequence(
                "  (4 other rule destinations name neither this name nor this address)",
                "  no rule matches: default deny",
                "decision: deny (policy_denied), rule default (built-in), revision 7");
    }
}
