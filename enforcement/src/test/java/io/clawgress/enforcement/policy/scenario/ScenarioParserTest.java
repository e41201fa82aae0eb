package io.clawgress.enforcement.policy.scenario;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import io.clawgress.enforcement.yaml.YamlError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Scenario files are as strict as policies: every problem at once, at FILE:LINE:COLUMN, with the expectation. */
class ScenarioParserTest {

    private static final String HEAD = """
            apiVersion: clawgress.io/v1
            kind: PolicyScenarios
            scenarios:
            """;

    @Test
    void readsEveryKindOfFlowAndExpectation() throws Exception {
        List<Scenario> s = ScenarioParser.parse("s.yaml", HEAD + """
                  - name: tls by name
                    source: 198.18.1.2
                    destination: 104.18.6.192:443
                    tls: {sni: API.OpenAI.com}
                    expect: {verdict: relay, policy: research-llm, rule: llm-apis}
                  - name: tls without sni, v6
                    source: "[2001:db8:1::7]:40000"
                    destination: "[2001:db8:100::1]:443"
                    tls: {}
                    expect: {verdict: deny, rule: sni_missing, termination: sni_missing}
                  - name: http
                    source: 198.18.1.2:1234
                    destination: 192.0.2.30:80
                    http: {host: Bücher.example, method: POST, path: "/v1/chat?x=1"}
                    expect: {verdict: deny, reason_contains: "default deny"}
                  - name: http defaults, ip host
                    source: 2001:db8:1::7
                    destination: 10.20.7.1:8080
                    http: {host: 10.20.7.1}
                    expect: {verdict: relay, would_deny: false}
                  - name: opaque with an identity from elsewhere
                    source: 198.18.1.2
                    destination: 10.30.1.5:5432
                    identity: {agent_id: billing-bot, team_id: billing, auth: mtls, active: true}
                    expect: {verdict: relay}
                """);
        assertThat(s).extracting(Scenario::name).containsExactly("tls by name", "tls without sni, v6", "http",
                "http defaults, ip host", "opaque with an identity from elsewhere");
        assertThat(s).extracting(Scenario::line).containsExactly(4, 9, 14, 19, 24);
        assertThat(s.get(0).facts().peek()).isEqualTo(PeekFacts.tls("api.openai.com", List.of(), false));
        assertThat(s.get(0).facts().source()).isEqualTo(new InetSocketAddress("198.18.1.2", 0));
        assertThat(s.get(0).facts().originalDestination()).isEqualTo(new InetSocketAddress("104.18.6.192", 443));
        assertThat(s.get(0).identity()).isNull();
        assertThat(s.get(0).expect()).isEqualTo(new Expectation("relay", "research-llm", "llm-apis", null, null,
                null));
        assertThat(s.get(0).where()).isEqualTo("s.yaml:4");
        assertThat(s.get(1).facts().peek()).isEqualTo(PeekFacts.tls(null, List.of(), false));
        assertThat(s.get(1).facts().source()).isEqualTo(new InetSocketAddress("2001:db8:1::7", 40000));
        assertThat(s.get(1).expect().termination()).isEqualTo(Termination.SNI_MISSING);
        assertThat(s.get(2).facts().peek()).isEqualTo(PeekFacts.http("xn--bcher-kva.example", "POST",
                "/v1/chat?x=1"));
        assertThat(s.get(3).facts().peek()).isEqualTo(PeekFacts.http("10.20.7.1", "GET", "/"));
        assertThat(s.get(3).expect().wouldDeny()).isFalse();
        assertThat(s.get(4).facts().peek()).isEqualTo(PeekFacts.opaque());
        assertThat(s.get(4).identity()).isEqualTo(new Identity("billing-bot", "billing", null, null, null,
                AuthMethod.MTLS, true));
    }

    private static Arguments c(String name, String scenarios, String... errors) {
        return Arguments.of(name, HEAD + scenarios, List.of(errors));
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                c("unknown key with a suggestion", """
                          - name: a
                            source: 198.18.1.2
                            destination: 1.2.3.4:443
                            expcet: {verdict: relay}
                        """,
                        "s.yaml:4:5: scenarios[0].expect: missing (expected: a mapping with keys: verdict, policy,"
                                + " rule, termination, would_deny, reason_contains)",
                        "s.yaml:7:5: scenarios[0]: unknown key 'expcet' (expected one of: name, source, destination,"
                                + " tls, http, identity, expect; did you mean 'expect'?)"),
                c("allow is an action, not a verdict", """
                          - name: a
                            source: 198.18.1.2
                            destination: 1.2.3.4:443
                            expect: {verdict: allow}
                        """,
                        "s.yaml:7:23: scenarios[0].expect.verdict: 'allow' (expected: relay, intercept or deny (the"
                                + " verdict, not the rule's action: an allowed flow is relayed))"),
                c("destination needs a port and an address", """
                          - name: a
                            source: 198.18.1.2
                            destination: 1.2.3.4
                            expect: {verdict: relay}
                          - name: b
                            source: host.example
                            destination: api.openai.com:443
                            expect: {verdict: relay}
                          - name: c
                            source: 198.18.1.2:70000
                            destination: 010.0.0.1:443
                            expect: {verdict: relay}
                        """,
                        "s.yaml:6:18: scenarios[0].destination: '1.2.3.4' (expected: an IP address and port such as"
                                + " 104.18.6.192:443 or [2001:db8::1]:443 (names are not resolved))",
                        "s.yaml:9:13: scenarios[1].source: 'host.example' (expected: an IP address, optionally with a"
                                + " port, such as 198.18.1.2 or [2001:db8::7]:40000)",
                        "s.yaml:10:18: scenarios[1].destination: 'api.openai.com:443' (expected: an IP address and"
                                + " port such as 104.18.6.192:443 or [2001:db8::1]:443 (names are not resolved))",
                        "s.yaml:13:13: scenarios[2].source: '198.18.1.2:70000' has port '70000' (expected:"
                                + " 1..65535)",
                        "s.yaml:14:18: scenarios[2].destination: '010.0.0.1:443' (expected: an IP address and port"
                                + " such as 104.18.6.192:443 or [2001:db8::1]:443 (names are not resolved))"),
                c("tls and http together, wildcard sni, bad method", """
                          - name: a
                            source: 198.18.1.2
                            destination: 1.2.3.4:443
                            tls: {sni: a.example}
                            http: {host: a.example}
                            expect: {verdict: relay}
                          - name: b
                            source: 198.18.1.2
                            destination: 1.2.3.4:443
                            tls: {sni: "*.example.com"}
                            expect: {verdict: relay}
                          - name: c
                            source: 198.18.1.2
                            destination: 1.2.3.4:80
                            http: {method: "GET /", path: "/a b"}
                            expect: {verdict: relay}
                        """,
                        "s.yaml:8:11: scenarios[0].http: set together with tls (expected: at most one of tls and"
                                + " http: what the first bytes of the flow were)",
                        "s.yaml:13:16: scenarios[1].tls.sni: '*.example.com' (expected: a host name (RFC 6066 §3: an"
                                + " SNI is never an IP address); a flow claims one name, never a wildcard)",
                        "s.yaml:18:20: scenarios[2].http.method: 'GET /' (expected: an HTTP method such as GET (RFC"
                                + " 9110 §9.1))",
                        "s.yaml:18:35: scenarios[2].http.path: '/a b' (expected: a request-target such as"
                                + " /v1/chat?x=1: printable ASCII, no spaces (RFC 9112 §3.2))"),
                c("duplicate names, impossible expectations", """
                          - name: a
                            source: 198.18.1.2
                            destination: 1.2.3.4:443
                            expect: {verdict: relay, termination: policy_denied}
                          - name: a
                            source: 198.18.1.2
                            destination: 1.2.3.4:443
                            expect: {verdict: deny, would_deny: true, termination: denied}
                        """,
                        "s.yaml:7:13: scenarios[0].expect: termination with verdict relay (expected: termination"
                                + " only with verdict deny)",
                        "s.yaml:8:11: scenarios[1].name: duplicate scenario name 'a' (expected: unique names; first"
                                + " at line 4)",
                        "s.yaml:11:60: scenarios[1].expect.termination: 'denied' (expected: one of: policy_denied,"
                                + " sni_missing)"),
                c("identity needs agent_id and auth", """
                          - name: a
                            source: 198.18.1.2
                            destination: 1.2.3.4:443
                            identity: {team_id: research, auth: password, active: yes}
                            expect: {verdict: relay}
                        """,
                        "s.yaml:7:15: scenarios[0].identity.agent_id: missing (expected: an id: 1-128 of A-Z a-z 0-9"
                                + " . _ : -)",
                        "s.yaml:7:41: scenarios[0].identity.auth: 'password' (expected: one of: subnet, api_key, jwt,"
                                + " mtls)",
                        "s.yaml:7:59: scenarios[0].identity.active: yes (expected: true or false)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void refusesWithPositions(String name, String yaml, List<String> errors) {
        assertThatThrownBy(() -> ScenarioParser.parse("s.yaml", yaml)).isInstanceOfSatisfying(ScenarioException.class,
                e -> assertThat(e.errors()).extracting(YamlError::toString).containsExactlyElementsOf(errors));
    }

    @Test
    void refusesAPolicyFileAndAnEmptyList() {
        assertThatThrownBy(() -> ScenarioParser.parse("p.yaml", """
                apiVersion: clawgress.io/v1
                kind: Policy
                scenarios: []
                """)).isInstanceOfSatisfying(ScenarioException.class, e -> assertThat(e.errors())
                .extracting(YamlError::toString).containsExactly(
                        "p.yaml:2:7: kind: 'Policy' (expected: PolicyScenarios (this is a policy file: pass it as the"
                                + " policy directory, and the scenarios with --scenarios))",
                        "p.yaml:3:12: scenarios: [] (expected: at least one scenario)"));
        assertThatThrownBy(() -> ScenarioParser.parse("e.yaml", "# nothing\n"))
                .hasMessage("e.yaml: no YAML document (expected: a PolicyScenarios document)");
        assertThatThrownBy(() -> ScenarioParser.parse("t.yaml", HEAD + "  - !!java.lang.Object {}\n"))
                .hasMessage("t.yaml:4:5: tag '!!java.lang.Object' is not allowed (expected: plain YAML"
                        + " values without tags)");
    }

    @Test
    void anInterceptIsExpectedLikeARelayButNeverWouldDeny() throws Exception {
        List<Scenario> s = ScenarioParser.parse("s.yaml", HEAD + """
                  - name: intercepted
                    source: 198.18.1.2
                    destination: 192.0.2.50:443
                    tls: {sni: vault.example.org}
                    expect: {verdict: intercept, policy: research-jwt, rule: secrets, would_deny: false}
                """);
        assertThat(s.get(0).expect()).isEqualTo(new Expectation("intercept", "research-jwt", "secrets", null, false,
                null));
        assertThatThrownBy(() -> ScenarioParser.parse("s.yaml", HEAD + """
                  - name: a
                    source: 198.18.1.2
                    destination: 1.2.3.4:443
                    expect: {verdict: intercept, would_deny: true, termination: policy_denied}
                """)).isInstanceOfSatisfying(ScenarioException.class, e -> assertThat(e.errors())
                .extracting(YamlError::toString).containsExactly(
                        "s.yaml:7:13: scenarios[0].expect: termination with verdict intercept (expected: termination"
                                + " only with verdict deny)"));
        assertThatThrownBy(() -> new Expectation("intercept", null, null, null, true, null))
                .hasMessage("would_deny: true with verdict intercept (expected: would_deny only on a relay: report"
                        + " mode relays what it would deny)");
    }

    @Test
    void readsAFileAndNamesItInErrors(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("s.yaml");
        Files.write(f, new byte[] {'a', ':', ' ', (byte) 0xff});
        assertThatThrownBy(() -> ScenarioParser.parseFile(f))
                .hasMessage(f + ":1:4: invalid UTF-8: byte 0xFF (expected: a UTF-8 text file)");
        assertThatThrownBy(() -> ScenarioParser.parseFile(dir.resolve("missing.yaml")))
                .hasMessageStartingWith(dir.resolve("missing.yaml") + ": cannot read: ");
    }
}
