package io.clawgress.enforcement.policy.scenario;

import io.clawgress.enforcement.policy.PolicyCompiler;
import io.clawgress.enforcement.policy.PolicyParser;
import io.clawgress.enforcement.policy.PolicySnapshot;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Scenarios run against the decision-table policy: what passes, and how a failure reads. */
class ScenarioRunnerTest {

    private static PolicySnapshot snapshot;

    @BeforeAll
    static void compile() throws Exception {
        snapshot = PolicyCompiler.compile(PolicyParser.parseDirectory(Path.of("src/test/resources/policy/table")),
                "rev-42");
    }

    private static List<ScenarioResult> run(String scenarios) throws ScenarioException {
        return ScenarioRunner.run(snapshot, ScenarioParser.parse("s.yaml", """
                apiVersion: clawgress.io/v1
                kind: PolicyScenarios
                scenarios:
                """ + scenarios));
    }

    @Test
    void passingScenarios() throws Exception {
        List<ScenarioResult> results = run("""
                  - name: research reaches OpenAI
                    source: 198.18.1.2
                    destination: 104.18.6.192:443
                    tls: {sni: api.openai.com}
                    expect: {verdict: relay, policy: research-llm, rule: llm-apis, would_deny: false}
                  - name: metadata is denied
                    source: 198.18.1.2
                    destination: 169.254.169.254:80
                    http: {host: metadata.google.internal, path: /computeMetadata/v1/}
                    expect: {verdict: deny, policy: guardrails, rule: no-metadata, termination: policy_denied}
                  - name: TLS without SNI
                    source: 198.18.1.2
                    destination: 104.18.6.192:443
                    tls: {}
                    expect: {verdict: deny, rule: sni_missing, termination: sni_missing}
                  - name: unbound
                    source: 203.0.113.9
                    destination: 104.18.6.192:443
                    expect: {verdict: deny, rule: unbound_source, reason_contains: bound to no agent}
                  - name: report mode relays
                    source: 198.18.1.2
                    destination: 192.0.2.70:443
                    tls: {sni: models.huggingface.co}
                    expect: {verdict: relay, rule: block-hf, would_deny: true}
                  - name: jwt identity given
                    source: 198.18.1.2
                    destination: 192.0.2.50:443
                    http: {host: vault.example.org, method: GET, path: /v1/secret}
                    identity: {agent_id: research-bot, team_id: research, environment: dev, auth: jwt}
                    expect: {verdict: relay, policy: research-jwt, rule: secrets}
                  - name: intercepted by name, whoever connects
                    source: 203.0.113.9
                    destination: 192.0.2.50:443
                    tls: {sni: vault.example.org}
                    expect: {verdict: intercept, policy: research-jwt, rule: secrets, would_deny: false,
                             reason_contains: TLS terminated}
                """);
        assertThat(results).allSatisfy(r -> assertThat(r.mismatches()).as(r.scenario().name()).isEmpty());
        assertThat(results.get(5).explanation().identity().given()).isTrue();
    }

    @Test
    void failuresSayWhatDiffersAndNoteUnknownIds() throws Exception {
        List<ScenarioResult> results = run("""
                  - name: expects the wrong thing
                    source: 198.18.1.2
                    destination: 104.18.6.192:443
                    tls: {sni: api.openai.com}
                    expect: {verdict: deny, policy: guardrails, rule: llm-api, termination: policy_denied}
                  - name: subnet identity is not enough
                    source: 198.18.1.2
                    destination: 192.0.2.50:443
                    http: {host: vault.example.org, method: GET, path: /v1/secret}
                    expect: {verdict: relay, policy: research-jwt, reason_contains: secrets}
                  - name: a relay expected where the name is intercepted
                    source: 198.18.1.2
                    destination: 192.0.2.50:443
                    tls: {sni: vault.example.org}
                    expect: {verdict: relay}
                """);
        assertThat(results).noneMatch(ScenarioResult::passed);
        assertThat(results.get(0).mismatches()).extracting(Mismatch::toString).containsExactly(
                "verdict: expected deny, got relay",
                "policy: expected guardrails, got research-llm",
                "rule: expected llm-api, got llm-apis (no rule 'llm-api' in this policy set; did you mean"
                        + " 'llm-apis'?)",
                "termination: expected policy_denied, got none");
        assertThat(results.get(1).mismatches()).extracting(Mismatch::toString).containsExactly(
                "verdict: expected relay, got deny",
                "policy: expected research-jwt, got none",
                "reason_contains: expected 'secrets', got 'no rule allows agent research-bot to reach"
                        + " vault.example.org at 192.0.2.50:443 (default deny)'");
        assertThat(results.get(2).mismatches()).extracting(Mismatch::toString).containsExactly(
                "verdict: expected relay, got intercept");
        assertThat(results.get(1).explanation().policies()).filteredOn(p -> p.policy().id().equals("research-jwt"))
                .singleElement().extracting(p -> p.why()).isEqualTo("auth subnet is weaker than min_auth jwt");
    }
}
