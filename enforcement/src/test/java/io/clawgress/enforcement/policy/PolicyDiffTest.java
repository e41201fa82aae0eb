package io.clawgress.enforcement.policy;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Semantic diff: what changed in effect, not in text. */
class PolicyDiffTest {

    private static final String BINDINGS = """
            apiVersion: clawgress.io/v1
            kind: IdentityBindings
            id: lab
            bindings:
              - subnet: 10.10.1.0/24
                identity: {agent_id: bot, team_id: research, environment: dev}
              - subnet: 10.10.2.0/24
                identity: {agent_id: old-bot}
            """;

    private static final String BASE = """
            apiVersion: clawgress.io/v1
            kind: Policy
            id: llm
            priority: 100
            subjects: {team_id: [research], environment: [dev, staging]}
            rules:
              - id: openai
                action: allow
                destinations: [{host: api.openai.com, ports: [443]}, {host: "*.anthropic.com", ports: [443]}]
              - id: http
                action: allow
                destinations: [{host: api.example-llm.com, ports: [80]}]
                http: {methods: [POST], paths: ["/v1/"]}
              - id: gone
                action: allow
                destinations: [{cidr: 10.20.0.0/16}]
            ---
            apiVersion: clawgress.io/v1
            kind: Policy
            id: retired
            priority: 5
            subjects: {}
            rules: []
            """;

    private static PolicySet parse(String... docs) throws PolicyException {
        Map<String, String> files = new java.util.TreeMap<>();
        for (int i = 0; i < docs.length; i++) {
            files.put("f" + i + ".yaml", docs[i]);
        }
        return PolicyParser.parse(files);
    }

    @Test
    void sameMeaningWrittenDifferentlyIsNoDifference() throws PolicyException {
        PolicySet a = parse(BINDINGS, BASE);
        // Other file layout, key order, flow vs block style, port spellings, destination order, IDN case.
        PolicySet b = parse("""
                apiVersion: clawgress.io/v1
                kind: Policy
                id: retired
                priority: 5
                subjects: {}
                rules: []
                ---
                kind: Policy
                apiVersion: clawgress.io/v1
                priority: 100
                id: llm
                subjects:
                  environment: [staging, dev]
                  team_id: [research]
                  min_auth: subnet
                rules:
                  - id: openai
                    action: allow
                    destinations:
                      - {host: "*.ANTHROPIC.com", ports: ["443-443"]}
                      - {host: api.openai.com., ports: [443]}
                  - action: allow
                    id: http
                    destinations: [{host: api.example-llm.com, ports: [80]}]
                    http: {paths: ["/v1/"], methods: [POST]}
                    intercept: false
                  - id: gone
                    action: allow
                    destinations: [{cidr: 10.20.0.0/16}]
                """, BINDINGS);
        PolicyDiff d = PolicyDiff.between(a, b);
        assertThat(d.isEmpty()).isTrue();
        assertThat(d.lines()).containsExactly("no difference");
    }

    @Test
    void reportsAddedRemovedAndChangedPoliciesRulesDestinationsAndBindings() throws PolicyException {
        PolicySet a = parse(BINDINGS, BASE);
        PolicySet b = parse("""
                apiVersion: clawgress.io/v1
                kind: IdentityBindings
                id: lab
                bindings:
                  - subnet: 10.10.1.0/24
                    identity: {agent_id: bot, team_id: research, environment: prod}
                  - subnet: 10.10.3.0/24
                    identity: {agent_id: new-bot, active: false}
                """, """
                apiVersion: clawgress.io/v1
                kind: Policy
                id: llm
                priority: 150
                mode: report
                subjects: {team_id: [research], min_auth: jwt}
                rules:
                  - id: openai
                    action: allow
                    destinations: [{host: api.openai.com, ports: [443, 8443]}, {host: "*.openai.com"}]
                  - id: http
                    action: deny
                    destinations: [{host: api.example-llm.com, ports: [80]}]
                    http: {methods: [POST, PUT], paths: ["/v1/"]}
                  - id: fresh
                    action: allow
                    destinations: [{cidr: 10.30.0.0/16, ports: [5432]}]
                ---
                apiVersion: clawgress.io/v1
                kind: Policy
                id: added
                priority: 10
                subjects: {agent_id: [bot]}
                rules:
                  - id: r
                    action: allow
                    destinations: [{host: example.org, ports: [443]}]
                    rate_limit: {rps: 5}
                """);
        PolicyDiff d = PolicyDiff.between(a, b);
        assertThat(d.isEmpty()).isFalse();
        assertThat(d.lines()).containsExactly(
                "+ policy added: priority 10, enforce, subjects agent_id [bot], 1 rule",
                "  + rule r: allow example.org port 443; rate_limit rps 5, hard_stop",
                "~ policy llm",
                "    priority: 100 -> 150",
                "    mode: enforce -> report",
                "    subjects.environment: [dev, staging] -> any",
                "    subjects.min_auth: subnet -> jwt",
                "  ~ rule openai",
                "      + destination *.openai.com",
                "      - destination *.anthropic.com port 443",
                "      ~ destination api.openai.com port 443 -> api.openai.com port 443,8443",
                "  ~ rule http",
                "      action: allow -> deny",
                "      http: POST /v1/* -> POST|PUT /v1/*",
                "  - rule gone: allow 10.20.0.0/16",
                "  + rule fresh: allow 10.30.0.0/16 port 5432",
                "- policy retired: priority 5, enforce, subjects every agent, 0 rules",
                "~ binding 10.10.1.0/24",
                "    environment: dev -> prod",
                "- binding 10.10.2.0/24: agent old-bot (auth subnet)",
                "+ binding 10.10.3.0/24: agent new-bot (auth subnet), disabled",
                "3 policies: 1 added, 1 removed, 1 changed; 3 bindings: 1 added, 1 removed, 1 changed");

        PolicyDiff.PolicyChange llm = d.policies().get(1);
        assertThat(llm.op()).isEqualTo(PolicyDiff.Op.CHANGED);
        assertThat(llm.rules()).extracting(PolicyDiff.RuleChange::id, PolicyDiff.RuleChange::op).containsExactly(
                org.assertj.core.groups.Tuple.tuple("openai", PolicyDiff.Op.CHANGED),
                org.assertj.core.groups.Tuple.tuple("http", PolicyDiff.Op.CHANGED),
                org.assertj.core.groups.Tuple.tuple("gone", PolicyDiff.Op.REMOVED),
                org.assertj.core.groups.Tuple.tuple("fresh", PolicyDiff.Op.ADDED));
        assertThat(llm.rules().get(0).fields()).extracting(PolicyDiff.FieldChange::op).containsExactly(
                PolicyDiff.Op.ADDED, PolicyDiff.Op.REMOVED, PolicyDiff.Op.CHANGED);
    }

    @Test
    void aRateLimitsPerIsPartOfTheLimit() throws PolicyException {
        String policy = """
                apiVersion: clawgress.io/v1
                kind: Policy
                id: p
                priority: 1
                subjects: {}
                rules:
                  - id: r
                    action: allow
                    destinations: [{host: a.example}]
                    rate_limit: %s
                """;
        PolicySet a = parse(policy.formatted("{rps: 5}"));
        assertThat(PolicyDiff.between(a, parse(policy.formatted("{rps: 5, per: agent}"))).isEmpty()).isTrue();
        assertThat(PolicyDiff.between(a, parse(policy.formatted("{rps: 5, per: destination}"))).lines())
                .containsExactly(
                        "~ policy p",
                        "  ~ rule r",
                        "      rate_limit: rps 5, hard_stop -> rps 5, hard_stop, per destination",
                        "1 policy: 1 changed");
    }

    @Test
    void theSameHostTwiceIsComparedAsAMultiset() throws PolicyException {
        String policy = """
                apiVersion: clawgress.io/v1
                kind: Policy
                id: p
                priority: 1
                subjects: {}
                rules:
                  - id: r
                    action: allow
                    destinations: %s
                """;
        PolicySet a = parse(policy.formatted("[{host: a.example, ports: [443]}, {host: a.example, ports: [80]}]"));
        PolicySet b = parse(policy.formatted("[{host: a.example, ports: [80]}, {host: a.example, ports: [8443]}]"));
        assertThat(PolicyDiff.between(a, b).lines()).containsExactly(
                "~ policy p",
                "  ~ rule r",
                "      ~ destination a.example port 443 -> a.example port 8443",
                "1 policy: 1 changed");
        PolicySet c = parse(policy.formatted("[{host: a.example, ports: [80]}, {host: a.example, ports: [8443]},"
                + " {host: a.example, ports: [9443]}]"));
        assertThat(PolicyDiff.between(a, c).lines()).containsExactly(
                "~ policy p",
                "  ~ rule r",
                "      + destination a.example port 8443",
                "      + destination a.example port 9443",
                "      - destination a.example port 443",
                "1 policy: 1 changed");
    }
}
