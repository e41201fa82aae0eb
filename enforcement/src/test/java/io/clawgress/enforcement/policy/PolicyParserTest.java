package io.clawgress.enforcement.policy;

import io.clawgress.api.AuthMethod;
import io.clawgress.enforcement.net.PortSet;
import io.clawgress.enforcement.yaml.YamlError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Strict parsing: each bad input is refused with every problem, at its file:line:column, saying what was expected. */
class PolicyParserTest {

    private static final String HEAD = """
            apiVersion: clawgress.io/v1
            kind: Policy
            id: p1
            priority: 10
            subjects: {}
            """;

    /** A policy with one rule whose body (indented under "- ") is {@code rule}. */
    private static String withRule(String rule) {
        return HEAD + "rules:\n  - " + rule.strip().replace("\n", "\n    ") + "\n";
    }

    private static Arguments c(String name, String yaml, String... errors) {
        return Arguments.of(name, Map.of("p.yaml", yaml), List.of(errors));
    }

    private static Arguments files(String name, Map<String, String> files, String... errors) {
        return Arguments.of(name, files, List.of(errors));
    }

    static Stream<Arguments> refused() {
        String bindings = """
                apiVersion: clawgress.io/v1
                kind: IdentityBindings
                id: %s
                bindings:
                  - subnet: %s
                    identity: {agent_id: %s}
                """;
        return Stream.of(
                c("unknown key in a rule, with a suggestion", withRule("""
                        id: r1
                        acton: allow
                        destinations: [{host: api.openai.com}]"""),
                        "p.yaml:7:5: rules[0].action: missing (expected: one of: allow, deny)",
                        "p.yaml:8:5: rules[0]: unknown key 'acton' (expected one of: id, action, destinations, http,"
                                + " intercept, rate_limit; did you mean 'action'?)"),
                c("unknown top-level key", HEAD + "rule: []\n",
                        "p.yaml:1:1: rules: missing (expected: a list of rules)",
                        "p.yaml:6:1: unknown key 'rule' (expected one of: apiVersion, kind, id, priority, mode,"
                                + " subjects, rules; did you mean 'rules'?)"),
                c("bare wildcard", withRule("""
                        id: r1
                        action: allow
                        destinations: [{host: "*"}]"""),
                        "p.yaml:9:27: rules[0].destinations[0].host: '*' (expected: a host name, or *.domain for"
                                + " its subdomains; never a bare *)"),
                c("wildcard across a public suffix", withRule("""
                        id: r1
                        action: allow
                        destinations: [{host: "*.com"}, {host: "*.co.uk"}]"""),
                        "p.yaml:9:27: rules[0].destinations[0].host: '*.com' covers a public suffix (expected: a"
                                + " wildcard under a registrable domain, such as *.example.com)",
                        "p.yaml:9:44: rules[0].destinations[1].host: '*.co.uk' covers a public suffix (expected: a"
                                + " wildcard under a registrable domain, such as *.example.com)"),
                c("wildcard in a later label", withRule("""
                        id: r1
                        action: allow
                        destinations: [{host: "api.*.com"}]"""),
                        "p.yaml:9:27: rules[0].destinations[0].host: 'api.*.com' (expected: a host name, or"
                                + " *.domain for its subdomains; never a bare *)"),
                c("IP address as a host", withRule("""
                        id: r1
                        action: allow
                        destinations: [{host: 10.0.0.1}]"""),
                        "p.yaml:9:27: rules[0].destinations[0].host: '10.0.0.1' is an IP address (expected: a host"
                                + " name; use destinations for addresses)"),
                c("cidr with host bits", withRule("""
                        id: r1
                        action: deny
                        destinations: [{cidr: 10.0.0.1/8}]"""),
                        "p.yaml:9:27: rules[0].destinations[0].cidr: '10.0.0.1/8' has host bits set (expected:"
                                + " 10.0.0.0/8)"),
                c("host and cidr together", withRule("""
                        id: r1
                        action: deny
                        destinations: [{host: a.example, cidr: 10.0.0.0/8}]"""),
                        "p.yaml:9:20: rules[0].destinations[0]: both host and cidr (expected: exactly one of host"
                                + " and cidr)"),
                c("port out of range and a reversed range", withRule("""
                        id: r1
                        action: allow
                        destinations: [{host: a.example, ports: [70000, "90-80"]}]"""),
                        "p.yaml:9:46: rules[0].destinations[0].ports[0]: '70000' (expected: a port 1..65535 or a"
                                + " range low-high)",
                        "p.yaml:9:53: rules[0].destinations[0].ports[1]: '90-80' (expected: low-high with low <="
                                + " high)"),
                c("empty destinations", withRule("""
                        id: r1
                        action: allow
                        destinations: []"""),
                        "p.yaml:9:19: rules[0].destinations: [] (expected: at least one destination)"),
                c("quoted priority", HEAD.replace("priority: 10", "priority: \"10\"") + "rules: []\n",
                        "p.yaml:4:11: priority: '10' (expected: an integer 0..1000000, without quotes)"),
                c("negative priority", HEAD.replace("priority: 10", "priority: -1") + "rules: []\n",
                        "p.yaml:4:11: priority: -1 (expected: an integer 0..1000000)"),
                c("unknown mode", HEAD + "mode: audit\nrules: []\n",
                        "p.yaml:6:7: mode: 'audit' (expected: one of: enforce, report)"),
                c("unknown min_auth", HEAD.replace("subjects: {}", "subjects: {min_auth: password}") + "rules: []\n",
                        "p.yaml:5:22: subjects.min_auth: 'password' (expected: one of: subnet, api_key, jwt, mtls)"),
                c("subject selector must be a list", HEAD.replace("subjects: {}", "subjects: {team_id: research}")
                                + "rules: []\n",
                        "p.yaml:5:21: subjects.team_id: 'research' (expected: a list of ids (1-128 of A-Z a-z 0-9 ."
                                + " _ : -))"),
                c("missing subjects", HEAD.replace("subjects: {}\n", "") + "rules: []\n",
                        "p.yaml:1:1: subjects: missing (expected: a mapping with any of: agent_id, team_id,"
                                + " project_id, environment, min_auth ({} for every agent))"),
                c("wrong apiVersion", HEAD.replace("clawgress.io/v1", "clawgress.io/v2") + "rules: []\n",
                        "p.yaml:1:13: apiVersion: 'clawgress.io/v2' (expected: clawgress.io/v1)"),
                c("unknown kind", HEAD.replace("kind: Policy", "kind: Polciy") + "rules: []\n",
                        "p.yaml:2:7: kind: 'Polciy' (expected: one of: Policy, IdentityBindings)"),
                c("invalid policy id", HEAD.replace("id: p1", "id: -p1") + "rules: []\n",
                        "p.yaml:3:5: id: '-p1' (expected: a policy id: 1-64 characters of A-Z a-z 0-9 . _ -,"
                                + " starting with a letter or digit)"),
                c("reserved rule id", withRule("""
                        id: default
                        action: allow
                        destinations: [{host: a.example}]"""),
                        "p.yaml:7:9: rules[0].id: 'default' (expected: a rule id other than the reserved default,"
                                + " unbound_source, agent_disabled, sni_missing)"),
                c("duplicate rule id", HEAD + """
                        rules:
                          - {id: r1, action: allow, destinations: [{host: a.example}]}
                          - {id: r1, action: deny, destinations: [{host: b.example}]}
                        """,
                        "p.yaml:8:10: rules[1].id: duplicate rule id 'r1' (expected: unique rule ids within the"
                                + " policy; first at line 7)"),
                c("intercept and rate_limit on a deny rule", withRule("""
                        id: r1
                        action: deny
                        intercept: true
                        rate_limit: {rps: 1}
                        destinations: [{host: a.example}]"""),
                        "p.yaml:9:16: rules[0].intercept: true on a deny rule (expected: intercept only on allow"
                                + " rules)",
                        "p.yaml:10:17: rules[0].rate_limit: on a deny rule (expected: rate_limit only on allow"
                                + " rules)"),
                c("rate_limit without a rate", withRule("""
                        id: r1
                        action: allow
                        rate_limit: {mode: alert_only}
                        destinations: [{host: a.example}]"""),
                        "p.yaml:9:17: rules[0].rate_limit: no rps and no rpm (expected: at least one of rps and"
                                + " rpm)"),
                c("rate_limit mode", withRule("""
                        id: r1
                        action: allow
                        rate_limit: {rps: 0, mode: soft}
                        destinations: [{host: a.example}]"""),
                        "p.yaml:9:23: rules[0].rate_limit.rps: 0 (expected: an integer 1..1000000)",
                        "p.yaml:9:32: rules[0].rate_limit.mode: 'soft' (expected: one of: hard_stop, alert_only)"),
                c("rate_limit per", withRule("""
                        id: r1
                        action: allow
                        rate_limit: {rps: 5, per: host}
                        destinations: [{host: a.example}]"""),
                        "p.yaml:9:31: rules[0].rate_limit.per: 'host' (expected: one of: agent, destination)"),
                c("rate_limit per as a list", withRule("""
                        id: r1
                        action: allow
                        rate_limit: {rps: 5, per: [agent, destination]}
                        destinations: [{host: a.example}]"""),
                        "p.yaml:9:31: rules[0].rate_limit.per: a list (expected: one of: agent, destination)"),
                c("rate_limit key misspelt", withRule("""
                        id: r1
                        action: allow
                        rate_limit: {rps: 5, pre: agent}
                        destinations: [{host: a.example}]"""),
                        "p.yaml:9:26: rules[0].rate_limit: unknown key 'pre' (expected one of: rps, rpm, mode, per;"
                                + " did you mean 'per'?)"),
                c("lower-case method and relative path", withRule("""
                        id: r1
                        action: allow
                        http: {methods: [post], paths: [v1/]}
                        destinations: [{host: a.example}]"""),
                        "p.yaml:9:22: rules[0].http.methods[0]: 'post' (expected: an upper-case HTTP method such"
                                + " as GET or POST (RFC 9110 §9.1: methods are case-sensitive))",
                        "p.yaml:9:37: rules[0].http.paths[0]: 'v1/' (expected: a path prefix starting with /,"
                                + " printable ASCII, no dot segments or encoded . / \\)"),
                c("empty http", withRule("""
                        id: r1
                        action: allow
                        http: {}
                        destinations: [{host: a.example}]"""),
                        "p.yaml:9:11: rules[0].http: no methods and no paths (expected: at least one of methods and"
                                + " paths)"),
                c("boolean written as yes", withRule("""
                        id: r1
                        action: allow
                        intercept: yes
                        destinations: [{host: a.example}]"""),
                        "p.yaml:9:16: rules[0].intercept: yes (expected: true or false)"),
                c("malformed YAML", HEAD + "rules: [\n",
                        "p.yaml:7:1: invalid YAML: expected the node content, but found '<stream end>'"),
                c("foreign tag", HEAD + "rules: !!java.lang.Object []\n",
                        "p.yaml:6:8: tag '!!java.lang.Object' is not allowed (expected: plain YAML values without"
                                + " tags)"),
                c("empty file", "",
                        "p.yaml: no YAML document (expected: a Policy or IdentityBindings document)"),
                c("several errors are all reported", HEAD + """
                        rules:
                          - {id: r1, action: alow, destinations: [{host: "*"}]}
                          - {id: r2, action: allow, destinations: [{cidr: 10.0.0.0/33}], colour: red}
                        """,
                        "p.yaml:7:22: rules[0].action: 'alow' (expected: one of: allow, deny)",
                        "p.yaml:7:50: rules[0].destinations[0].host: '*' (expected: a host name, or *.domain for"
                                + " its subdomains; never a bare *)",
                        "p.yaml:8:51: rules[1].destinations[0].cidr: '10.0.0.0/33' (expected: prefix length 0..32)",
                        "p.yaml:8:66: rules[1]: unknown key 'colour' (expected one of: id, action, destinations,"
                                + " http, intercept, rate_limit)"),
                files("duplicate policy id across files", Map.of(
                                "a.yaml", HEAD + "rules: []\n",
                                "b.yaml", HEAD + "rules: []\n"),
                        "b.yaml:3:5: id: duplicate policy id 'p1' (expected: unique policy ids; first at a.yaml:3)"),
                files("overlapping subnet bindings across files", Map.of(
                                "a.yaml", bindings.formatted("lab", "10.1.0.0/16", "a1"),
                                "b.yaml", bindings.formatted("lab2", "10.1.2.0/24", "b1")),
                        "b.yaml:5:13: subnet: 10.1.2.0/24 overlaps 10.1.0.0/16 at a.yaml:5 (expected: disjoint"
                                + " subnets: a source is one agent)"),
                c("binding identity with an unknown key", bindings.formatted("lab", "10.1.0.0/16",
                                "a1, role: admin"),
                        "p.yaml:6:30: bindings[0].identity: unknown key 'role' (expected one of: agent_id, team_id,"
                                + " project_id, environment, trust_tier, active)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void refused(String name, Map<String, String> files, List<String> errors) {
        assertThatThrownBy(() -> PolicyParser.parse(files))
                .isInstanceOfSatisfying(PolicyException.class, e ->
                        assertThat(e.errors()).extracting(YamlError::toString).containsExactlyElementsOf(errors));
    }

    @Test
    void acceptsTheDesignExample() throws PolicyException {
        String yaml = """
                apiVersion: clawgress.io/v1
                kind: Policy
                id: research-llm
                priority: 100                 # higher first; at equal priority deny wins
                mode: enforce                 # enforce | report (log would_deny, let it pass)
                subjects: {team_id: [research], environment: [dev, staging], min_auth: subnet}
                rules:
                  - id: llm-apis
                    action: allow
                    destinations:
                      - {host: api.openai.com, ports: [443]}
                      - {host: "*.anthropic.com", ports: [443]}       # subdomains only; never a bare "*"
                    http: {methods: [POST], paths: ["/v1/"]}           # needs HTTP: plaintext or intercept
                    intercept: true
                    rate_limit: {rps: 5, rpm: 200, mode: hard_stop}   # or alert_only
                  - id: no-metadata
                    action: deny
                    destinations: [{cidr: 169.254.0.0/16}]
                """;
        PolicySet set = PolicyParser.parse(Map.of("research.yaml", yaml));
        Policy p = set.policies().get(0);
        assertThat(p.id()).isEqualTo("research-llm");
        assertThat(p.priority()).isEqualTo(100);
        assertThat(p.mode()).isEqualTo(Mode.ENFORCE);
        assertThat(p.subjects().teamIds()).containsExactly("research");
        assertThat(p.subjects().environments()).containsExactly("dev", "staging");
        assertThat(p.subjects().minAuth()).isEqualTo(AuthMethod.SUBNET);
        Rule llm = p.rules().get(0);
        assertThat(llm.destinations()).containsExactly(
                Destination.host("api.openai.com", PortSet.of(List.of("443"))),
                Destination.host("*.anthropic.com", PortSet.of(List.of("443"))));
        assertThat(llm.http()).isEqualTo(new HttpMatch(List.of("POST"), List.of("/v1/")));
        assertThat(llm.intercept()).isTrue();
        assertThat(llm.rateLimit()).isEqualTo(new RateLimit(5, 200, RateLimit.LimitMode.HARD_STOP));
        assertThat(p.rules().get(1).destinations()).containsExactly(Destination.cidr("169.254.0.0/16", PortSet.ANY));
    }

    @Test
    void rateLimitPerDefaultsToAgent() throws PolicyException {
        PolicySet set = PolicyParser.parse(Map.of("p.yaml", HEAD + """
                rules:
                  - {id: a, action: allow, destinations: [{host: a.example}], rate_limit: {rpm: 60}}
                  - {id: b, action: allow, destinations: [{host: b.example}], rate_limit: {rps: 2, per: agent}}
                  - id: c
                    action: allow
                    destinations: [{host: c.example}]
                    rate_limit: {rps: 2, rpm: 100, mode: alert_only, per: destination}
                """));
        assertThat(set.policies().get(0).rules()).extracting(Rule::rateLimit).containsExactly(
                new RateLimit(0, 60, RateLimit.LimitMode.HARD_STOP, RateLimit.Per.AGENT),
                new RateLimit(2, 0, RateLimit.LimitMode.HARD_STOP),
                new RateLimit(2, 100, RateLimit.LimitMode.ALERT_ONLY, RateLimit.Per.DESTINATION));
    }

    @Test
    void internationalisedNamesBecomePunycode() throws PolicyException {
        PolicySet set = PolicyParser.parse(Map.of("p.yaml", withRule("""
                id: r1
                action: allow
                destinations: [{host: "*.bücher.example"}]""")));
        assertThat(set.policies().get(0).rules().get(0).destinations().get(0).host())
                .hasToString("*.xn--bcher-kva.example");
    }

    @Test
    void directoryReadsOnlyYamlFilesInNameOrder(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("b.yml"), HEAD.replace("id: p1", "id: b") + "rules: []\n");
        Files.writeString(dir.resolve("a.yaml"), HEAD.replace("id: p1", "id: a") + "rules: []\n");
        Files.writeString(dir.resolve("README.md"), "not policy");
        PolicySet set = PolicyParser.parseDirectory(dir);
        assertThat(set.policies()).extracting(Policy::id).containsExactly("a", "b");
    }

    @Test
    void invalidUtf8IsReportedAtItsPosition(@TempDir Path dir) throws Exception {
        byte[] bad = (HEAD + "rules: []\n# caf\u00e9\n").getBytes(StandardCharsets.ISO_8859_1);
        Files.write(dir.resolve("p.yaml"), bad);
        assertThatThrownBy(() -> PolicyParser.parseDirectory(dir))
                .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.errors())
                        .extracting(YamlError::toString)
                        .containsExactly(dir.resolve("p.yaml") + ":7:6: invalid UTF-8: byte 0xE9 (expected: a UTF-8"
                                + " text file)"));
    }

    @Test
    void symlinksAreRefused(@TempDir Path dir) throws Exception {
        Path target = Files.writeString(dir.resolve("real.txt"), HEAD + "rules: []\n");
        Files.createSymbolicLink(dir.resolve("link.yaml"), target);
        assertThatThrownBy(() -> PolicyParser.parseDirectory(dir))
                .hasMessage(dir.resolve("link.yaml") + ": not a regular file (expected: a YAML file, not a link,"
                        + " directory or device)");
    }

    @Test
    void errorsAreSortedByFileAndPosition() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("z.yaml", HEAD.replace("id: p1", "id: z") + "rules: [1]\n");
        files.put("a.yaml", HEAD.replace("id: p1", "id: a") + "mode: x\nrules: [1]\n");
        assertThatThrownBy(() -> PolicyParser.parse(files))
                .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.errors())
                        .extracting(YamlError::file).containsExactly("a.yaml", "a.yaml", "z.yaml"));
    }
}
