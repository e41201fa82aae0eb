package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.clawgress.appliance.ctl.Ctl.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code clawgressctl policy validate|test|explain|diff} on directories and signed bundles. */
class PolicyCommandsTest {

    @TempDir
    Path tmp;

    Path dir;

    @BeforeEach
    void setUp() {
        dir = Ctl.policyDir(tmp, "policy");
    }

    /** Signs {@code content} as revision {@code revision}; returns {bundle, key set}. */
    private Path[] bundle(Path content, int revision) {
        Path key = tmp.resolve("k.pem");
        Path keys = tmp.resolve("keys.json");
        if (!key.toFile().exists()) {
            assertThat(run("bundle", "keygen", "--kid", "ops", "--out-private", key.toString(),
                    "--out-public-keyset", keys.toString()).exit()).isZero();
        }
        Path out = tmp.resolve("r" + revision + ".tar.gz");
        Ctl.Run b = run("bundle", "build", "--dir", content.toString(), "--key", key.toString(), "--kid", "ops",
                "--revision", Integer.toString(revision), "--out", out.toString());
        assertThat(b.exit()).as(b.toString()).isZero();
        return new Path[] {out, keys};
    }

    // ---- validate ---------------------------------------------------------------------------------------------

    @Test
    void validateADirectoryAndABundle() throws Exception {
        Ctl.Run ok = run("policy", "validate", dir.toString());
        assertThat(ok.exit()).as(ok.toString()).isZero();
        assertThat(ok.out()).matches("policy OK: " + java.util.regex.Pattern.quote(dir.toString())
                + " \\(revision dir:[0-9a-f]{12}\\): 2 policies, 3 rules, 4 destinations, 2 bindings\\n");

        Path[] b = bundle(dir, 3);
        Ctl.Run noKeys = run("policy", "validate", b[0].toString());
        assertThat(noKeys.exit()).isEqualTo(2);
        assertThat(noKeys.err()).contains(b[0] + " is a bundle: give --trusted-keys KEYSET");
        Ctl.Run signed = run("policy", "validate", b[0].toString(), "--trusted-keys", b[1].toString());
        assertThat(signed.exit()).as(signed.toString()).isZero();
        assertThat(signed.out()).isEqualTo("policy OK: " + b[0] + " (revision 3): 2 policies, 3 rules, 4"
                + " destinations, 2 bindings\n");

        JsonNode json = Json.MAPPER.readTree(run("policy", "validate", dir.toString(), "--json").out());
        assertThat(json.get("valid").asBoolean()).isTrue();
        assertThat(json.get("policy").get("bindings").asInt()).isEqualTo(2);
    }

    @Test
    void validateReportsEveryErrorWithItsPosition() throws Exception {
        Path bad = dir.resolve("policies/bad.yml");
        Ctl.write(bad, """
                apiVersion: clawgress.io/v1
                kind: Policy
                id: research-llm
                priority: "10"
                subjects: {}
                rules: []
                """);
        Ctl.Run r = run("policy", "validate", dir.toString());
        assertThat(r.exit()).isEqualTo(78);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(bad + ":4:11: priority: '10' (expected: an integer 0..1000000, without"
                + " quotes)\n");

        JsonNode json = Json.MAPPER.readTree(run("policy", "validate", dir.toString(), "--json").out());
        assertThat(json.get("valid").asBoolean()).isFalse();
        assertThat(json.get("errors").get(0).get("file").asText()).isEqualTo(bad.toString());
        assertThat(json.get("errors").get(0).get("line").asInt()).isEqualTo(4);
        assertThat(json.get("errors").get(0).get("column").asInt()).isEqualTo(11);
        assertThat(json.get("errors").get(0).get("key").asText()).isEqualTo("priority");

        Ctl.Run missing = run("policy", "validate", tmp.resolve("nope").toString());
        assertThat(missing.exit()).isEqualTo(78);
        assertThat(missing.err()).contains("nope: no such directory or bundle file");
    }

    // ---- test -------------------------------------------------------------------------------------------------

    private static final String SCENARIOS = """
            apiVersion: clawgress.io/v1
            kind: PolicyScenarios
            scenarios:
              - name: research reaches OpenAI
                source: 10.10.1.7
                destination: 104.18.6.192:443
                tls: {sni: api.openai.com}
                expect: {verdict: relay, policy: research-llm, rule: llm-apis}
              - name: metadata is denied even by name
                source: 10.10.1.7
                destination: 169.254.169.254:80
                http: {host: api.openai.com, path: /latest/meta-data/}
                expect: {verdict: deny, policy: guardrails, rule: no-metadata, termination: policy_denied}
              - name: billing cannot reach OpenAI
                source: 10.10.2.7
                destination: 104.18.6.192:443
                tls: {sni: api.openai.com}
                expect: {verdict: deny, rule: default}
            """;

    @Test
    void testPassesWhenEveryScenarioDoes() throws Exception {
        Path s = tmp.resolve("scenarios.yaml");
        Ctl.write(s, SCENARIOS);
        Ctl.Run r = run("policy", "test", "--scenarios", s.toString(), dir.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("""
                PASS  research reaches OpenAI
                PASS  metadata is denied even by name
                PASS  billing cannot reach OpenAI
                3 scenarios: 3 passed, 0 failed
                """);

        Path[] b = bundle(dir, 4);
        Ctl.Run signed = run("policy", "test", b[0].toString(), "--scenarios", s.toString(), "--trusted-keys",
                b[1].toString());
        assertThat(signed.exit()).as(signed.toString()).isZero();
    }

    @Test
    void aFailingScenarioShowsTheDifferenceAndTheLadder() throws Exception {
        Path s = tmp.resolve("scenarios.yaml");
        Ctl.write(s, SCENARIOS + """
                  - name: anthropic apex
                    source: 10.10.1.7
                    destination: 160.79.104.10:443
                    tls: {sni: anthropic.com}
                    expect: {verdict: relay, rule: llm-apis}
                """);
        Ctl.Run r = run("policy", "test", "--scenarios", s.toString(), dir.toString());
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("""
                PASS  billing cannot reach OpenAI
                FAIL  anthropic apex  (%s:19)
                        verdict: expected relay, got deny
                        rule: expected llm-apis, got default
                      ladder:
                        flow: 10.10.1.7 -> 160.79.104.10:443, tls, sni anthropic.com
                        identity: source 10.10.1.7 is in subnet 10.10.1.0/24 -> agent research-bot (team_id research,\
                 environment dev, auth subnet)
                        policies (priority order):
                          applies  guardrails    priority 1000  enforce  every agent
                          applies  research-llm  priority 100   enforce  team_id [research]
                        rules (decision order: priority, deny before allow, most specific destination, policy id,\
                 rule order):
                          #4  no     research-llm/llm-apis  allow  *.anthropic.com port 443: name anthropic.com\
                 does not match *.anthropic.com (a wildcard matches subdomains only)
                          (3 other rule destinations name neither this name nor this address)
                          no rule matches: default deny
                        decision: deny (policy_denied), rule default (built-in), revision dir:""".formatted(s))
                .contains("4 scenarios: 3 passed, 1 failed\n");

        JsonNode json = Json.MAPPER.readTree(run("policy", "test", "--scenarios", s.toString(), dir.toString(),
                "--json").out());
        assertThat(json.get("failed").asInt()).isEqualTo(1);
        JsonNode failed = json.get("scenarios").get(3);
        assertThat(failed.get("passed").asBoolean()).isFalse();
        assertThat(failed.get("mismatches").get(0).get("field").asText()).isEqualTo("verdict");
        assertThat(failed.get("decision").get("rule").asText()).isEqualTo("default");
        assertThat(failed.get("explanation").get("identity").get("binding").asText()).isEqualTo("10.10.1.0/24");
        assertThat(json.get("scenarios").get(0).get("explanation").isNull()).isTrue();
    }

    @Test
    void anInvalidScenariosFileIsAConfigError() {
        Path s = tmp.resolve("scenarios.yaml");
        Ctl.write(s, """
                apiVersion: clawgress.io/v1
                kind: PolicyScenarios
                scenarios:
                  - name: a
                    source: 10.10.1.7
                    destination: 104.18.6.192
                    expect: {verdict: allow}
                """);
        Ctl.Run r = run("policy", "test", "--scenarios", s.toString(), dir.toString());
        assertThat(r.exit()).isEqualTo(78);
        assertThat(r.err()).contains(s + ":6:18: scenarios[0].destination: '104.18.6.192' (expected: an IP address"
                + " and port", s + ":7:23: scenarios[0].expect.verdict: 'allow' (expected: relay, intercept or deny");
    }

    // ---- explain ----------------------------------------------------------------------------------------------

    @Test
    void explainAnAllowedFlow() {
        Ctl.Run r = run("policy", "explain", dir.toString(), "--source", "10.10.1.7", "--dest", "160.79.104.10:443",
                "--sni", "API.Anthropic.com");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).matches("""
                flow: 10\\.10\\.1\\.7 -> 160\\.79\\.104\\.10:443, tls, sni api\\.anthropic\\.com
                identity: source 10\\.10\\.1\\.7 is in subnet 10\\.10\\.1\\.0/24 -> agent research-bot \\(team_id\
                 research, environment dev, auth subnet\\)
                policies \\(priority order\\):
                  applies  guardrails    priority 1000  enforce  every agent
                  applies  research-llm  priority 100   enforce  team_id \\[research\\]
                rules \\(decision order: .*\\):
                  #4  MATCH  research-llm/llm-apis  allow  \\*\\.anthropic\\.com port 443  <- decides
                  \\(3 other rule destinations name neither this name nor this address\\)
                decision: relay to api\\.anthropic\\.com:443 \\(dial resolved\\), policy research-llm, rule\
                 llm-apis, revision dir:[0-9a-f]{12}
                reason: allowed by policy research-llm rule llm-apis: \\*\\.anthropic\\.com port 443
                """);
    }

    @Test
    void explainAnHttpNearMissWithAllRules() {
        Ctl.Run r = run("policy", "explain", dir.toString(), "--source", "10.10.1.7:40000", "--dest",
                "192.0.2.30:80", "--host", "api.example-llm.com", "--method", "GET", "--path", "/v1/chat", "--all");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains(
                "flow: 10.10.1.7:40000 -> 192.0.2.30:80, http GET /v1/chat, host api.example-llm.com",
                "  #1  no     guardrails/no-metadata  deny   169.254.0.0/16: address 192.0.2.30 not in"
                        + " 169.254.0.0/16",
                "  #3  no     research-llm/llm-http   allow  api.example-llm.com port 80: method GET not in POST",
                "  #4  no     research-llm/llm-apis   allow  *.anthropic.com port 443: port 80 not in 443; name"
                        + " api.example-llm.com does not match *.anthropic.com",
                "  no rule matches: default deny",
                "reason: no rule allows agent research-bot to reach api.example-llm.com at 192.0.2.30:80 (default"
                        + " deny)");
    }

    @Test
    void explainWithAGivenIdentityAsJson() throws Exception {
        Ctl.Run r = run("policy", "explain", dir.toString(), "--source", "10.10.9.9", "--dest", "104.18.6.192:443",
                "--sni", "api.openai.com", "--identity", "agent_id=jwt-bot,team_id=research,auth=jwt", "--json");
        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode json = Json.MAPPER.readTree(r.out());
        assertThat(json.get("identity").get("given").asBoolean()).isTrue();
        assertThat(json.get("identity").get("binding").isNull()).isTrue();
        assertThat(json.get("identity").get("agent").get("auth").asText()).isEqualTo("jwt");
        assertThat(json.get("decision").get("verdict").asText()).isEqualTo("relay");
        assertThat(json.get("decision").get("rule").asText()).isEqualTo("llm-apis");
        assertThat(json.get("decision").get("dial").asText()).isEqualTo("resolved");
        JsonNode winner = json.get("rules").get(1);
        assertThat(winner.get("decides").asBoolean()).isTrue();
        assertThat(winner.get("destination").asText()).isEqualTo("api.openai.com port 443");
        assertThat(json.get("flow").get("peek").asText()).isEqualTo("tls");

        Ctl.Run unbound = run("policy", "explain", dir.toString(), "--source", "10.10.9.9", "--dest",
                "104.18.6.192:443", "--tls");
        assertThat(unbound.out()).contains("identity: source 10.10.9.9 is in no subnet binding -> no agent identity",
                "decision: deny (policy_denied), rule unbound_source (built-in)");
    }

    @Test
    void explainRefusesBadFlowArguments() {
        assertThat(run("policy", "explain", dir.toString(), "--source", "10.10.1.7", "--dest", "api.openai.com:443")
                .err()).contains("--dest 'api.openai.com:443' (expected: an IP address and port");
        assertThat(run("policy", "explain", dir.toString(), "--source", "10.10.1.7", "--dest", "1.2.3.4:443",
                "--sni", "a.example", "--host", "a.example").exit()).isEqualTo(2);
        assertThat(run("policy", "explain", dir.toString(), "--source", "10.10.1.7", "--dest", "1.2.3.4:443",
                "--sni", "*.example.com").err()).contains("a flow claims one name, never a wildcard");
        assertThat(run("policy", "explain", dir.toString(), "--source", "10.10.1.7", "--dest", "1.2.3.4:443",
                "--identity", "team_id=x").err()).contains("--identity needs agent_id and auth");
    }

    // ---- diff -------------------------------------------------------------------------------------------------

    @Test
    void diffOfTheSamePolicyWrittenDifferently() {
        Path other = tmp.resolve("other");
        Ctl.write(other.resolve("all.yaml"), Ctl.POLICIES.replace("ports: [443]", "ports: [\"443-443\"]")
                + "---\n" + Ctl.BINDINGS);
        Ctl.Run r = run("policy", "diff", dir.toString(), other.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).endsWith("no difference\n");
    }

    @Test
    void diffShowsAddedRemovedAndChanged() throws Exception {
        Path next = tmp.resolve("next");
        Ctl.write(next.resolve("identity/subnets.yaml"), Ctl.BINDINGS.replace("environment: prod",
                "environment: staging"));
        Ctl.write(next.resolve("policies/research.yaml"), Ctl.POLICIES
                .replace("priority: 100\n", "priority: 200\n")
                .replace("      - {host: \"*.anthropic.com\", ports: [443]}\n", "")
                .replace("""
                          - id: llm-http
                            action: allow
                            destinations: [{host: api.example-llm.com, ports: [80]}]
                            http: {methods: [POST], paths: ["/v1/"]}
                        """, """
                          - id: hf
                            action: allow
                            destinations: [{host: "*.huggingface.co", ports: [443]}]
                        """)
                .replace("id: guardrails", "id: guardrails-v2"));
        Ctl.Run r = run("policy", "diff", dir.toString(), next.toString());
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).matches("(?s)--- " + java.util.regex.Pattern.quote(dir.toString())
                + " \\(revision dir:[0-9a-f]{12}\\)\n\\+\\+\\+ .*");
        assertThat(r.out()).contains("""
                - policy guardrails: priority 1000, enforce, subjects every agent, 1 rule
                  - rule no-metadata: deny 169.254.0.0/16
                + policy guardrails-v2: priority 1000, enforce, subjects every agent, 1 rule
                  + rule no-metadata: deny 169.254.0.0/16
                ~ policy research-llm
                    priority: 100 -> 200
                  ~ rule llm-apis
                      - destination *.anthropic.com port 443
                  - rule llm-http: allow api.example-llm.com port 80; http POST /v1/*
                  + rule hf: allow *.huggingface.co port 443
                ~ binding 10.10.2.0/24
                    environment: prod -> staging
                3 policies: 1 added, 1 removed, 1 changed; 1 binding: 1 changed
                """);

        JsonNode json = Json.MAPPER.readTree(run("policy", "diff", dir.toString(), next.toString(), "--json").out());
        assertThat(json.get("identical").asBoolean()).isFalse();
        assertThat(json.get("policies").get(2).get("op").asText()).isEqualTo("changed");
        assertThat(json.get("policies").get(2).get("fields").get(0).get("field").asText()).isEqualTo("priority");
        assertThat(json.get("bindings").get(0).get("after").get("environment").asText()).isEqualTo("staging");
    }

    @Test
    void diffABundleAgainstADirectory() {
        Path[] b = bundle(dir, 5);
        Ctl.Run same = run("policy", "diff", b[0].toString(), dir.toString(), "--trusted-keys", b[1].toString());
        assertThat(same.exit()).as(same.toString()).isZero();
        assertThat(same.out()).startsWith("--- " + b[0] + " (revision 5)\n");
        Ctl.Run noKeys = run("policy", "diff", b[0].toString(), dir.toString());
        assertThat(noKeys.exit()).isEqualTo(2);

        Ctl.write(dir.resolve("policies/broken.yaml"), "kind: Policy\n");
        Ctl.Run invalid = run("policy", "diff", b[0].toString(), dir.toString(), "--trusted-keys", b[1].toString());
        assertThat(invalid.exit()).isEqualTo(78);
    }
}
