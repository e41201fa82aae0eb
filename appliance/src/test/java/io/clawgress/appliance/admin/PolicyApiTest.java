package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.appliance.explain.ExplainJson;
import io.clawgress.appliance.explain.ExplainQuery;
import io.clawgress.enforcement.activation.ActivePolicy;
import io.clawgress.enforcement.identity.jwt.JwtKeySet;
import io.clawgress.enforcement.policy.PolicyCompiler;
import io.clawgress.enforcement.policy.PolicyParser;
import io.clawgress.enforcement.policy.PolicySnapshot;
import io.clawgress.testing.JsonSchemaValidator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /v1/policy/explain}: the offline explain's code against the active snapshot, read once, naming the
 * revision it was evaluated against; query parameters checked as the command line checks its options.
 */
class PolicyApiTest {

    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
    private static final Caller READER = new Caller(1000, 991, 4242, Caller.Role.READER);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String YAML = """
            apiVersion: clawgress.io/v1
            kind: IdentityBindings
            id: lab
            bindings:
              - {subnet: 10.10.1.0/24, identity: {agent_id: research-bot, team_id: research}}
            ---
            apiVersion: clawgress.io/v1
            kind: Policy
            id: research
            priority: 100
            subjects: {team_id: [research]}
            rules:
              - {id: llm, action: allow, destinations: [{host: api.openai.com, ports: [443]}]}
              - {id: web, action: allow, destinations: [{cidr: 192.0.2.0/24, ports: [%d]}]}
            """;

    private static JsonSchemaValidator schema;

    private final AtomicReference<ActivePolicy> active = new AtomicReference<>(ActivePolicy.denyAll(NOW));
    private final AdminRoutes routes = new AdminRoutes();

    @BeforeAll
    static void schemas() throws Exception {
        schema = JsonSchemaValidator.load(Path.of("..", "docs", "schemas", "policy-explain.schema.json"));
    }

    PolicyApiTest() {
        PolicyApi.register(routes, active::get);
    }

    private static ActivePolicy signed(long revision, int port) throws Exception {
        PolicySnapshot s = PolicyCompiler.compile(PolicyParser.parse(Map.of("p.yaml", YAML.formatted(port))),
                Long.toString(revision));
        return new ActivePolicy(s, JwtKeySet.EMPTY, revision, "ops-1", "push:uid=0", "ab".repeat(32), NOW,
                NOW.plusSeconds(86400));
    }

    private AdminResponse get(Map<String, String> params) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        params.forEach((k, v) -> query.put(k, List.of(v)));
        AdminRoutes.Match m = routes.match("GET", "/v1/policy/explain");
        assertThat(m.route()).isNotNull();
        assertThat(m.route().change()).as("a read").isFalse();
        try {
            return m.route().handler().handle(new AdminRequest("GET", "/v1/policy/explain", m.params(), query,
                    new byte[0], READER));
        } catch (AdminException e) {
            return AdminHandler.error(e.status(), e.code(), e.getMessage());
        }
    }

    private static JsonNode json(AdminResponse r) throws Exception {
        assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static String badRequest(AdminResponse r) throws Exception {
        assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(400);
        return JSON.readTree(r.body()).at("/error/message").asText();
    }

    @Test
    void theAnswerIsTheOfflineExplanationOfTheActiveSnapshotWithItsRevision() throws Exception {
        active.set(signed(7, 80));
        Map<String, String> q = Map.of("source", "10.10.1.7:40000", "dest", "104.18.6.192:443", "sni",
                "api.openai.com");

        JsonNode r = json(get(q));

        schema.requireValid(r, "GET /v1/policy/explain");
        assertThat(r.get("input").asText()).isEqualTo("live");
        assertThat(r.at("/active/revision").asLong()).isEqualTo(7);
        assertThat(r.at("/active/source").asText()).isEqualTo("push:uid=0");
        assertThat(r.at("/decision/revision").asText()).isEqualTo("7");
        assertThat(r.at("/decision/verdict").asText()).isEqualTo("relay");
        assertThat(r.at("/decision/rule").asText()).isEqualTo("llm");
        ExplainQuery same = ExplainQuery.parse("10.10.1.7:40000", "104.18.6.192:443", "api.openai.com", false, null,
                null, null, Map.of(), k -> k);
        JsonNode offline = ExplainJson.explanation(same.explain(active.get().snapshot()));
        offline.fieldNames().forEachRemaining(f -> assertThat(r.get(f)).as(f).isEqualTo(offline.get(f)));
    }

    @Test
    void aSwapIsSeenByTheNextCall() throws Exception {
        active.set(signed(1, 80));
        Map<String, String> q = Map.of("source", "10.10.1.7", "dest", "192.0.2.10:8080");
        assertThat(json(get(q)).at("/decision/verdict").asText()).isEqualTo("deny");
        active.set(signed(2, 8080));
        JsonNode r = json(get(q));
        assertThat(r.at("/decision/verdict").asText()).isEqualTo("relay");
        assertThat(r.at("/active/revision").asLong()).isEqualTo(2);
    }

    @Test
    void denyAllIsExplainedToo() throws Exception {
        JsonNode r = json(get(Map.of("source", "10.10.1.7", "dest", "192.0.2.10:80")));
        schema.requireValid(r, "deny all");
        assertThat(r.at("/active/signed").asBoolean()).isFalse();
        assertThat(r.at("/decision/revision").asText()).isEqualTo("none");
        assertThat(r.at("/decision/verdict").asText()).isEqualTo("deny");
    }

    @Test
    void textIsTheOfflineLinesUnderTheActivePolicy() throws Exception {
        active.set(signed(3, 80));
        AdminResponse r = get(Map.of("source", "10.10.1.7", "dest", "192.0.2.10:80", "host", "www.example.com",
                "path", "/x", "format", "text", "all", "true"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType()).isEqualTo(PolicyApi.TEXT);
        String text = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(text).startsWith("policy: revision 3 (kid ops-1, from push:uid=0)\nflow: 10.10.1.7 ->"
                + " 192.0.2.10:80, http GET /x, host www.example.com\n")
                .contains("  #1  no     research/llm  allow  api.openai.com port 443: port 80 not in 443")
                .endsWith("decision: relay to 192.0.2.10:80 (dial original), policy research, rule web, revision 3\n"
                        + "reason: allowed by policy research rule web: 192.0.2.0/24 port 80\n");
    }

    @Test
    void aGivenIdentityIsParsedFromOneParameter() throws Exception {
        active.set(signed(3, 80));
        JsonNode r = json(get(Map.of("source", "10.99.0.1", "dest", "104.18.6.192:443", "sni", "api.openai.com",
                "identity", "agent_id=bot,team_id=research,auth=jwt")));
        schema.requireValid(r, "given identity");
        assertThat(r.at("/identity/given").asBoolean()).isTrue();
        assertThat(r.at("/identity/agent/agent_id").asText()).isEqualTo("bot");
        assertThat(r.at("/decision/verdict").asText()).isEqualTo("relay");
    }

    @Test
    void badParametersAre400sThatNameTheParameter() throws Exception {
        assertThat(badRequest(get(Map.of("dest", "1.2.3.4:443"))))
                .isEqualTo("source missing (expected: IP[:PORT], the agent's address)");
        assertThat(badRequest(get(Map.of("source", "10.10.1.7", "dest", "api.openai.com:443"))))
                .startsWith("dest 'api.openai.com:443' (expected: an IP address and port");
        assertThat(badRequest(get(Map.of("source", "10.10.1.7", "dest", "1.2.3.4:443", "sni", "a.example",
                "host", "a.example")))).isEqualTo("sni/tls and host/method/path describe different protocols"
                + " (expected: TLS or HTTP, not both)");
        assertThat(badRequest(get(Map.of("source", "10.10.1.7", "dest", "1.2.3.4:443", "sni", "*.example.com"))))
                .contains("a flow claims one name, never a wildcard");
        assertThat(badRequest(get(Map.of("source", "10.10.1.7", "dest", "1.2.3.4:443", "identity", "team_id=x"))))
                .isEqualTo("identity needs agent_id and auth (e.g. identity agent_id=bot,auth=jwt)");
        assertThat(badRequest(get(Map.of("source", "10.10.1.7", "dest", "1.2.3.4:443", "identity",
                "agent_id=a,agent_id=b,auth=jwt")))).isEqualTo("identity agent_id given twice (expected: each key"
                + " once)");
        assertThat(badRequest(get(Map.of("source", "10.10.1.7", "dest", "1.2.3.4:443", "identity", "agent_id"))))
                .startsWith("identity 'agent_id' (expected: KEY=VALUE");
        assertThat(badRequest(get(Map.of("source", "10.10.1.7", "dest", "1.2.3.4:443", "tls", "yes"))))
                .isEqualTo("tls: 'yes' (expected: true or false)");
        assertThat(badRequest(get(Map.of("source", "10.10.1.7", "dest", "1.2.3.4:443", "format", "xml"))))
                .isEqualTo("format: 'xml' (expected: json or text)");
        assertThat(badRequest(get(Map.of("source", "10.10.1.7", "dest", "1.2.3.4:443", "sorce", "x"))))
                .startsWith("unknown query parameter 'sorce' (expected: all, dest, format, host, identity,");
    }
}
