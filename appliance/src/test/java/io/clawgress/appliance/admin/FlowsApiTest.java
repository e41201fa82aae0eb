package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.testing.JsonSchemaValidator;
import io.clawgress.tproxy.flow.OpenFlow;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link FlowsApi}'s handlers over a fake data plane: filters, limits, the kill and every refusal. */
class FlowsApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-21T12:00:10Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final Caller ROOT = new Caller(0, 0, 4242, Caller.Role.ADMIN);
    private static final Identity AGENT_A = new Identity("agent-a", "team", null, null, null, AuthMethod.MTLS, true);
    private static final Identity AGENT_B = new Identity("agent-b", null, null, null, null, AuthMethod.SUBNET, true);

    /** Newest first, as the proxy answers. */
    private static final OpenFlow PEEKING = new OpenFlow("9f3a0c12-0000000000000003", Instant.parse(
            "2026-11-21T12:00:09.5Z"), addr("198.18.1.3", 40003), addr("2001:db8::7", 443), PeekFacts.none(),
            Optional.empty(), OpenFlow.State.PEEKING, null, null, "none", null, 0, 0, 0);
    private static final OpenFlow TLS = new OpenFlow("9f3a0c12-0000000000000002", Instant.parse(
            "2026-11-21T12:00:05Z"), addr("198.18.1.2", 40002), addr("198.18.2.2", 443),
            PeekFacts.tls("api.test", List.of("http/1.1"), false), Optional.of(AGENT_A), OpenFlow.State.RELAYING,
            "relay", "api", "7", addr("198.18.2.2", 443), 1234, 56789, 0);
    private static final OpenFlow HTTP = new OpenFlow("9f3a0c12-0000000000000001", Instant.parse(
            "2026-11-21T12:00:00Z"), addr("198.18.1.4", 40001), addr("198.18.2.2", 80),
            PeekFacts.http("web.test", "GET", "/"), Optional.of(AGENT_B), OpenFlow.State.RELAYING, "relay", "web",
            "7", addr("198.18.2.2", 80), 100, 200, 3);

    private static JsonSchemaValidator listSchema;
    private static JsonSchemaValidator killSchema;

    private final List<OpenFlow> open = new ArrayList<>(List.of(PEEKING, TLS, HTTP));
    private final Map<String, String> kills = new LinkedHashMap<>();
    private CompletableFuture<List<OpenFlow>> listAnswer;
    private AdminRoutes routes;

    @BeforeAll
    static void schemas() throws Exception {
        listSchema = JsonSchemaValidator.load(Path.of("..", "docs", "schemas", "flows-list.schema.json"));
        killSchema = JsonSchemaValidator.load(Path.of("..", "docs", "schemas", "flows-kill.schema.json"));
    }

    @BeforeEach
    void register() {
        routes = new AdminRoutes();
        FlowsApi.register(routes, new FlowsApi.Flows() {
            @Override
            public CompletableFuture<List<OpenFlow>> list() {
                return listAnswer != null ? listAnswer : CompletableFuture.completedFuture(List.copyOf(open));
            }

            @Override
            public CompletableFuture<Optional<OpenFlow>> kill(String flowId, String detail) {
                kills.put(flowId, detail);
                return CompletableFuture.completedFuture(open.stream().filter(f -> f.flowId().equals(flowId))
                        .findFirst());
            }
        }, CLOCK);
    }

    private static InetSocketAddress addr(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    private AdminResponse call(String method, String path, Map<String, String> query, String body) {
        AdminRoutes.Match m = routes.match(method, path);
        assertThat(m.route()).as(method + " " + path).isNotNull();
        Map<String, List<String>> q = new LinkedHashMap<>();
        query.forEach((k, v) -> q.put(k, List.of(v)));
        AdminRequest req = new AdminRequest(method, path, m.params(), q,
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8), ROOT);
        try {
            return m.route().handler().handle(req);
        } catch (AdminException e) {
            return AdminHandler.error(e.status(), e.code(), e.getMessage());
        }
    }

    private JsonNode list(Map<String, String> query) throws Exception {
        AdminResponse r = call("GET", "/v1/flows", query, null);
        assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        JsonNode n = JSON.readTree(r.body());
        assertThat(listSchema.validate(n)).as(n.toPrettyString()).isEmpty();
        return n;
    }

    private static List<String> ids(JsonNode list) {
        List<String> ids = new ArrayList<>();
        list.get("flows").forEach(f -> ids.add(f.get("flow_id").asText()));
        return ids;
    }

    private static JsonNode error(AdminResponse r, int status, String code) throws Exception {
        assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(status);
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertThat(e.get("code").asText()).isEqualTo(code);
        return e;
    }

    @Test
    void theListHasEveryOpenFlowNewestFirstWithWhatItKnowsSoFar() throws Exception {
        JsonNode r = list(Map.of());
        assertThat(r.get("open").asInt()).isEqualTo(3);
        assertThat(r.get("total").asInt()).isEqualTo(3);
        assertThat(r.get("returned").asInt()).isEqualTo(3);
        assertThat(r.get("limit").asInt()).isEqualTo(FlowsApi.DEFAULT_LIMIT);
        assertThat(r.get("truncated").asBoolean()).isFalse();
        assertThat(ids(r)).containsExactly(PEEKING.flowId(), TLS.flowId(), HTTP.flowId());

        JsonNode peeking = r.get("flows").get(0);
        assertThat(peeking.get("state").asText()).isEqualTo("peeking");
        assertThat(peeking.get("original_destination").asText()).isEqualTo("[2001:db8::7]:443");
        assertThat(peeking.get("age_ms").asLong()).isEqualTo(500);
        for (String absent : List.of("agent_id", "auth", "verdict", "rule", "dialled", "sni", "http_host")) {
            assertThat(peeking.get(absent).isNull()).as(absent).isTrue();
        }
        JsonNode tls = r.get("flows").get(1);
        assertThat(tls.get("flow_id").asText()).isEqualTo("9f3a0c12-0000000000000002");
        assertThat(tls.get("start").asText()).isEqualTo("2026-11-21T12:00:05Z");
        assertThat(tls.get("source").asText()).isEqualTo("198.18.1.2:40002");
        assertThat(tls.get("peek").asText()).isEqualTo("tls");
        assertThat(tls.get("sni").asText()).isEqualTo("api.test");
        assertThat(tls.get("http_host").isNull()).isTrue();
        assertThat(tls.get("agent_id").asText()).isEqualTo("agent-a");
        assertThat(tls.get("auth").asText()).isEqualTo("mtls");
        assertThat(tls.get("verdict").asText()).isEqualTo("relay");
        assertThat(tls.get("rule").asText()).isEqualTo("api");
        assertThat(tls.get("policy_revision").asText()).isEqualTo("7");
        assertThat(tls.get("dialled").asText()).isEqualTo("198.18.2.2:443");
        assertThat(tls.get("bytes_up").asLong()).isEqualTo(1234);
        assertThat(tls.get("bytes_down").asLong()).isEqualTo(56789);
        JsonNode http = r.get("flows").get(2);
        assertThat(http.get("http_host").asText()).isEqualTo("web.test");
        assertThat(http.get("requests").asInt()).isEqualTo(3);
    }

    @Test
    void filtersSelectByAgentAndOriginalDestination() throws Exception {
        assertThat(ids(list(Map.of("agent", "agent-a")))).containsExactly(TLS.flowId());
        assertThat(ids(list(Map.of("agent", "nobody")))).isEmpty();
        assertThat(ids(list(Map.of("dest", "198.18.2.2")))).containsExactly(TLS.flowId(), HTTP.flowId());
        assertThat(ids(list(Map.of("dest", "198.18.2.2:80")))).containsExactly(HTTP.flowId());
        assertThat(ids(list(Map.of("dest", "[2001:db8::7]:443")))).containsExactly(PEEKING.flowId());
        assertThat(ids(list(Map.of("dest", "2001:DB8:0::7")))).as("any spelling of the address")
                .containsExactly(PEEKING.flowId());
        assertThat(ids(list(Map.of("dest", "[2001:db8::7]:444")))).isEmpty();
        JsonNode both = list(Map.of("agent", "agent-b", "dest", "198.18.2.2"));
        assertThat(ids(both)).containsExactly(HTTP.flowId());
        assertThat(both.get("total").asInt()).isEqualTo(1);
        assertThat(both.get("open").asInt()).isEqualTo(3);
    }

    @Test
    void theLimitKeepsTheNewestAndSaysItTruncated() throws Exception {
        JsonNode r = list(Map.of("limit", "2"));
        assertThat(ids(r)).containsExactly(PEEKING.flowId(), TLS.flowId());
        assertThat(r.get("total").asInt()).isEqualTo(3);
        assertThat(r.get("returned").asInt()).isEqualTo(2);
        assertThat(r.get("truncated").asBoolean()).isTrue();
        assertThat(list(Map.of("limit", "3")).get("truncated").asBoolean()).isFalse();
    }

    @Test
    void badFiltersAreRefusedWithWhatIsExpected() throws Exception {
        assertThat(error(call("GET", "/v1/flows", Map.of("agent", "-bad"), null), 400, "bad_request")
                .get("message").asText()).contains("agent: '-bad'");
        for (String dest : List.of("example.com", "example.com:443", "198.18.2.2:0", "198.18.2.2:65536",
                "198.18.2.2:+80", "[2001:db8::7", "[2001:db8::7]443", "[198.18.2.2]:80", "1.2.3", "")) {
            assertThat(error(call("GET", "/v1/flows", Map.of("dest", dest), null), 400, "bad_request")
                    .get("message").asText()).as(dest).contains("expected: " + FlowsApi.Destination.EXPECTED);
        }
        for (String limit : List.of("0", "-1", "100001", "ten", "1e3")) {
            assertThat(error(call("GET", "/v1/flows", Map.of("limit", limit), null), 400, "bad_request")
                    .get("message").asText()).as(limit).contains("limit: '" + limit + "'");
        }
    }

    @Test
    void oneFlowByIdOr404() throws Exception {
        AdminResponse r = call("GET", "/v1/flows/" + TLS.flowId(), Map.of(), null);
        assertThat(r.status()).isEqualTo(200);
        JsonNode f = JSON.readTree(r.body());
        assertThat(listSchema.validate(f, "#/$defs/flow")).isEmpty();
        assertThat(f.get("flow_id").asText()).isEqualTo(TLS.flowId());
        assertThat(error(call("GET", "/v1/flows/nope", Map.of(), null), 404, "not_found").get("message").asText())
                .contains("no open flow 'nope'");
    }

    @Test
    void aKillIsAChangeThatNamesTheCallerAndTheReasonInTheFlowsDetail() throws Exception {
        AdminRoutes.Match m = routes.match("POST", "/v1/flows/" + TLS.flowId() + "/kill");
        assertThat(m.route().change()).isTrue();
        assertThat(m.route().action()).isEqualTo("flows.kill");

        AdminResponse r = call("POST", "/v1/flows/" + TLS.flowId() + "/kill", Map.of(),
                "{\"reason\":\"runaway agent, ticket 42\"}");
        assertThat(r.status()).isEqualTo(200);
        JsonNode k = JSON.readTree(r.body());
        assertThat(killSchema.validate(k)).as(k.toPrettyString()).isEmpty();
        String detail = "killed through the admin API by uid 0 (pid 4242): runaway agent, ticket 42";
        assertThat(kills).containsExactly(Map.entry(TLS.flowId(), detail));
        assertThat(k.get("termination").asText()).isEqualTo("admin_killed");
        assertThat(k.get("detail").asText()).isEqualTo(detail);
        assertThat(k.get("flow").get("flow_id").asText()).isEqualTo(TLS.flowId());

        kills.clear();
        assertThat(call("POST", "/v1/flows/" + HTTP.flowId() + "/kill", Map.of(), null).status()).isEqualTo(200);
        assertThat(kills).as("no body: no reason").containsExactly(Map.entry(HTTP.flowId(),
                "killed through the admin API by uid 0 (pid 4242)"));
    }

    @Test
    void killingWhatIsNotOpenOrAlreadyClosingIsRefused() throws Exception {
        error(call("POST", "/v1/flows/9f3a0c12-00000000000000ff/kill", Map.of(), null), 404, "not_found");
        OpenFlow closing = new OpenFlow("9f3a0c12-0000000000000009", NOW, addr("198.18.1.2", 1), addr("198.18.2.2",
                22), PeekFacts.none(), Optional.empty(), OpenFlow.State.CLOSING, "deny", "default", "7", null, 0, 0,
                0);
        open.add(closing);
        assertThat(error(call("POST", "/v1/flows/" + closing.flowId() + "/kill", Map.of(), null), 409, "conflict")
                .get("message").asText()).contains("already closing");
    }

    @Test
    void aBadKillBodyIsRefusedBeforeAnythingIsKilled() throws Exception {
        String path = "/v1/flows/" + TLS.flowId() + "/kill";
        assertThat(error(call("POST", path, Map.of(), "{\"reason\":42}"), 400, "bad_request").get("message")
                .asText()).contains("expected: a string");
        assertThat(error(call("POST", path, Map.of(), "{\"reason\":\"a\\u001b[2Jb\"}"), 400, "bad_request")
                .get("message").asText()).contains("control characters");
        assertThat(error(call("POST", path, Map.of(), "{\"reason\":\"  \"}"), 400, "bad_request").get("message")
                .asText()).contains("non-blank");
        assertThat(error(call("POST", path, Map.of(), "{\"why\":\"x\"}"), 400, "bad_request").get("message")
                .asText()).contains("unknown member 'why'");
        error(call("POST", path, Map.of(), "[1]"), 400, "bad_request");
        assertThat(kills).isEmpty();
    }

    @Test
    void aDataPlaneThatFailsIsAnInternalError() throws Exception {
        listAnswer = CompletableFuture.failedFuture(new IllegalStateException("boom"));
        assertThat(error(call("GET", "/v1/flows", Map.of(), null), 500, "internal_error").get("message").asText())
                .contains("boom");
    }
}
