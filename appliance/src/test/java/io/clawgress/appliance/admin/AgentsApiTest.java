package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentStatus;
import io.clawgress.intercept.ca.AgentCertIssuer;
import io.clawgress.intercept.ca.InterceptCa;
import io.clawgress.testing.JsonSchemaValidator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link AgentsApi} and {@link CaApi} handlers on a real registry and CA in a temp state dir. */
class AgentsApiTest {

    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final Caller ROOT = new Caller(0, 0, 4242, Caller.Role.ADMIN);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TRUST_DOMAIN = "agents.test";

    private static JsonSchemaValidator listSchema;
    private static JsonSchemaValidator showSchema;

    @TempDir
    Path state;

    private AgentRegistry registry;
    private final AtomicReference<AgentRegistry> current = new AtomicReference<>();
    private AdminRoutes routes;

    @BeforeAll
    static void schemas() throws Exception {
        listSchema = JsonSchemaValidator.load(Path.of("..", "docs", "schemas", "agent-list.schema.json"));
        showSchema = JsonSchemaValidator.load(Path.of("..", "docs", "schemas", "agent-show.schema.json"));
    }

    @BeforeEach
    void open() throws Exception {
        registry = AgentRegistry.open(AgentRegistry.directoryIn(state), CLOCK);
        current.set(registry);
        routes = new AdminRoutes();
        AgentsApi.register(routes, current::get, state, TRUST_DOMAIN, CLOCK);
        CaApi.register(routes, state);
    }

    @AfterEach
    void close() {
        registry.close();
    }

    /** Routes and runs one call as the admin server would, answering errors as it does. */
    private AdminResponse call(String method, String path, String body) {
        AdminRoutes.Match m = routes.match(method, path);
        assertThat(m.route()).as(method + " " + path).isNotNull();
        AdminRequest req = new AdminRequest(method, path, m.params(), Map.of(),
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8), ROOT);
        try {
            return m.route().handler().handle(req);
        } catch (AdminException e) {
            return AdminHandler.error(e.status(), e.code(), e.getMessage());
        }
    }

    private static JsonNode json(AdminResponse r) throws Exception {
        assertThat(r.contentType()).isEqualTo(AdminResponse.JSON);
        return JSON.readTree(r.body());
    }

    private static JsonNode error(AdminResponse r, int status, String code) throws Exception {
        assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(status);
        JsonNode e = json(r).get("error");
        assertThat(e.get("status").asInt()).isEqualTo(status);
        assertThat(e.get("code").asText()).isEqualTo(code);
        return e;
    }

    @Test
    void theRoutesAreReadsAndAuditedChanges() {
        assertThat(routes.routes()).extracting(r -> r.method() + " " + r.pattern() + " " + r.action())
                .containsExactly("GET /v1/agents null", "GET /v1/agents/{id} null", "POST /v1/agents agent.add",
                        "POST /v1/agents/{id}/disable agent.disable", "POST /v1/agents/{id}/enable agent.enable",
                        "POST /v1/agents/{id}/cert agent.cert", "GET /v1/ca/intercept null", "GET /v1/ca/agents null");
    }

    @Test
    void addListShowDisableEnableInTheShapesOfTheOfflineVerbs() throws Exception {
        AdminResponse added = call("POST", "/v1/agents", """
                {"agent_id": "research-bot", "team_id": "research", "project_id": "crawler", "environment": "dev",
                 "trust_tier": "gold", "note": "nightly — Zoë"}""");
        assertThat(added.status()).isEqualTo(201);
        JsonNode a = json(added);
        showSchema.requireValid(a, "POST /v1/agents");
        assertThat(a.get("registry").asText()).isEqualTo(AgentRegistry.directoryIn(state).toString());
        assertThat(a.get("generation").asLong()).isEqualTo(1);
        assertThat(a.at("/agent/created_at").asText()).isEqualTo("2026-11-21T12:00:00Z");
        assertThat(a.at("/agent/note").asText()).isEqualTo("nightly — Zoë");
        assertThat(call("POST", "/v1/agents", "{\"agent_id\": \"billing-bot\"}").status()).isEqualTo(201);

        JsonNode list = json(call("GET", "/v1/agents", null));
        listSchema.requireValid(list, "GET /v1/agents");
        assertThat(list.get("generation").asLong()).isEqualTo(2);
        assertThat(list.get("agents")).extracting(n -> n.get("agent_id").asText())
                .containsExactly("billing-bot", "research-bot");
        assertThat(list.at("/agents/0/team_id").isNull()).as("unset is null, never missing").isTrue();

        JsonNode disabled = json(call("POST", "/v1/agents/research-bot/disable", "{\"reason\": \"leaked key\"}"));
        assertThat(disabled.get("changed").asBoolean()).isTrue();
        assertThat(disabled.get("generation").asLong()).isEqualTo(3);
        assertThat(disabled.at("/agent/status").asText()).isEqualTo("disabled");
        assertThat(disabled.at("/agent/status_reason").asText()).isEqualTo("leaked key");
        assertThat(registry.get("research-bot").orElseThrow().status()).isEqualTo(AgentStatus.DISABLED);
        JsonNode again = json(call("POST", "/v1/agents/research-bot/disable", null));
        assertThat(again.get("changed").asBoolean()).as("idempotent").isFalse();
        assertThat(again.get("generation").asLong()).isEqualTo(3);
        assertThat(again.at("/agent/status_reason").asText()).as("the first reason stays").isEqualTo("leaked key");

        JsonNode show = json(call("GET", "/v1/agents/research-bot", null));
        showSchema.requireValid(show, "GET /v1/agents/{id}");
        assertThat(show.get("agent")).isEqualTo(disabled.get("agent"));

        JsonNode enabled = json(call("POST", "/v1/agents/research-bot/enable", "{}"));
        assertThat(enabled.get("changed").asBoolean()).isTrue();
        assertThat(enabled.at("/agent/status").asText()).isEqualTo("active");
        assertThat(enabled.at("/agent/status_reason").isNull()).isTrue();
        assertThat(registry.generation()).isEqualTo(4);
    }

    @Test
    void refusalsSayWhyWithTheOfflineMessages() throws Exception {
        call("POST", "/v1/agents", "{\"agent_id\": \"bot\"}");
        JsonNode exists = error(call("POST", "/v1/agents", "{\"agent_id\": \"bot\", \"team_id\": \"x\"}"), 409,
                "conflict");
        assertThat(exists.get("message").asText()).isEqualTo(AgentRegistry.directoryIn(state)
                + ": already_exists: agent 'bot' (active, added 2026-11-21T12:00:00Z)");
        JsonNode missing = error(call("GET", "/v1/agents/ghost", null), 404, "not_found");
        assertThat(missing.get("message").asText())
                .isEqualTo(AgentRegistry.directoryIn(state) + ": not_found: agent 'ghost' (1 registered)");
        error(call("POST", "/v1/agents/ghost/disable", null), 404, "not_found");
        error(call("POST", "/v1/agents/ghost/enable", null), 404, "not_found");

        assertThat(error(call("POST", "/v1/agents", "{\"agent_id\": \"-bad\"}"), 400, "bad_request")
                .get("message").asText()).isEqualTo("agent_id '-bad' (expected: 1-128 characters of A-Z a-z 0-9 . _"
                + " : -, starting with a letter or digit)");
        assertThat(error(call("POST", "/v1/agents", "{}"), 400, "bad_request").get("message").asText())
                .startsWith("agent_id: missing (expected: ");
        assertThat(error(call("POST", "/v1/agents", "{\"agent_id\": \"b2\", \"team_id\": \"a b\"}"), 400,
                "bad_request").get("message").asText()).startsWith("team_id 'a b' (expected: ");
        assertThat(error(call("POST", "/v1/agents", "{\"agent_id\": \"b2\", \"note\": \"two\\nlines\"}"), 400,
                "bad_request").get("message").asText()).startsWith("note: U+000A at index 3");
        assertThat(error(call("POST", "/v1/agents", "{\"agent_id\": \"b2\", \"team\": \"x\"}"), 400,
                "bad_request").get("message").asText()).contains("unknown member 'team'");
        assertThat(error(call("POST", "/v1/agents", "{\"agent_id\": 7}"), 400, "bad_request")
                .get("message").asText()).isEqualTo("agent_id: number (expected: a string or null)");
        error(call("POST", "/v1/agents", "[1]"), 400, "bad_request");
        error(call("POST", "/v1/agents/bot/disable", "{\"reason\": \"\"}"), 400, "bad_request");
        error(call("POST", "/v1/agents/bot/enable", "{\"reason\": \"x\"}"), 400, "bad_request");
        error(call("GET", "/v1/agents/bad%20id", null), 400, "bad_request");
        assertThat(registry.generation()).as("no refused call wrote anything").isEqualTo(1);
    }

    @Test
    void withoutARegistryTheAgentRoutesAreUnavailable() throws Exception {
        current.set(null);
        assertThat(error(call("GET", "/v1/agents", null), 503, "unavailable").get("message").asText())
                .contains("no agent registry");
        error(call("POST", "/v1/agents", "{\"agent_id\": \"bot\"}"), 503, "unavailable");
    }

    @Test
    void certIssuesWithTheAgentsCaAndTheKeyMatches() throws Exception {
        call("POST", "/v1/agents", "{\"agent_id\": \"research-bot\"}");
        AdminResponse r = call("POST", "/v1/agents/research-bot/cert", "{\"valid_for_seconds\": 3600}");
        assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        JsonNode c = json(r);
        assertThat(c.get("agent_id").asText()).isEqualTo("research-bot");
        assertThat(c.get("registered").asBoolean()).isTrue();
        assertThat(c.get("spiffe_id").asText()).isEqualTo("spiffe://agents.test/agent/research-bot");
        assertThat(c.get("ca_created").asBoolean()).as("the first use creates the agents' CA").isTrue();
        assertThat(c.get("ca_directory").asText()).isEqualTo(InterceptCa.directoryIn(state).toString());
        X509Certificate cert = cert(c.get("certificate_pem").asText());
        X509Certificate ca = cert(c.get("ca_certificate_pem").asText());
        assertThat(ca).isEqualTo(AgentCertIssuer.readCaCertificate(InterceptCa.directoryIn(state)));
        cert.verify(ca.getPublicKey());
        assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()))
                .isEqualTo(Duration.ofMinutes(65)); // five minutes' backdating plus the hour asked for
        assertThat(cert.getSerialNumber().toString(16)).isEqualTo(c.get("serial").asText());
        assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        byte[] der = Base64.getMimeDecoder().decode(c.get("private_key_pem").asText()
                .replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", ""));
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der)));
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        s.initVerify(cert.getPublicKey());
        s.update(new byte[] {1, 2, 3});
        assertThat(s.verify(sig)).as("the key answered is the certificate's").isTrue();

        JsonNode second = json(call("POST", "/v1/agents/research-bot/cert", "{\"trust_domain\": \"agents.test\"}"));
        assertThat(second.get("ca_created").asBoolean()).isFalse();
        assertThat(cert(second.get("ca_certificate_pem").asText())).isEqualTo(ca);
        assertThat(second.get("serial").asText()).isNotEqualTo(c.get("serial").asText());

        AdminResponse pem = call("GET", "/v1/ca/agents", null);
        assertThat(pem.contentType()).isEqualTo(AdminResponse.PEM);
        assertThat(new String(pem.body(), StandardCharsets.US_ASCII)).isEqualTo(c.get("ca_certificate_pem").asText());
    }

    @Test
    void certRefusesUnknownDisabledAndForeignRequests() throws Exception {
        call("POST", "/v1/agents", "{\"agent_id\": \"old-bot\"}");
        call("POST", "/v1/agents/old-bot/disable", "{\"reason\": \"retired\"}");
        call("POST", "/v1/agents", "{\"agent_id\": \"a:b\"}");
        assertThat(error(call("POST", "/v1/agents/ghost/cert", null), 404, "not_found").get("message").asText())
                .contains("not_found: agent 'ghost'").contains("allow_unregistered skips this check");
        assertThat(error(call("POST", "/v1/agents/old-bot/cert", null), 409, "agent_disabled").get("message")
                .asText()).startsWith("agent old-bot is disabled (reason: retired)");
        assertThat(error(call("POST", "/v1/agents/old-bot/cert", "{\"allow_unregistered\": true}"), 409,
                "agent_disabled")).isNotNull();
        assertThat(error(call("POST", "/v1/agents/old-bot/cert", "{\"trust_domain\": \"evil.test\"}"), 400,
                "bad_request").get("message").asText()).contains("not this gateway's");
        assertThat(error(call("POST", "/v1/agents/a:b/cert", null), 400, "bad_request").get("message").asText())
                .contains("cannot be put in a certificate");
        for (String bad : List.of("0", "-5", "1.5", "\"90d\"")) {
            error(call("POST", "/v1/agents/old-bot/cert", "{\"valid_for_seconds\": " + bad + "}"), 400,
                    "bad_request");
        }
        error(call("POST", "/v1/agents/old-bot/cert", "{\"password\": \"x\"}"), 400, "bad_request");
        assertThat(Files.exists(InterceptCa.directoryIn(state).resolve(AgentCertIssuer.KEY_FILE)))
                .as("no refused call created the CA").isFalse();

        JsonNode unregistered = json(call("POST", "/v1/agents/ghost/cert", "{\"allow_unregistered\": true}"));
        assertThat(unregistered.get("registered").asBoolean()).isFalse();
        assertThat(unregistered.get("spiffe_id").asText()).isEqualTo("spiffe://agents.test/agent/ghost");
    }

    @Test
    void caRoutesAnswerPemOr404WithTheHint() throws Exception {
        JsonNode none = error(call("GET", "/v1/ca/intercept", null), 404, "not_found");
        assertThat(none.get("message").asText()).contains("clawgressd creates it at its first start");
        error(call("GET", "/v1/ca/agents", null), 404, "not_found");
        InterceptCa.openOrCreate(InterceptCa.directoryIn(state), CLOCK);
        AdminResponse r = call("GET", "/v1/ca/intercept", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType()).isEqualTo(AdminResponse.PEM);
        String pem = new String(r.body(), StandardCharsets.US_ASCII);
        assertThat(pem).isEqualTo(InterceptCa.exportPem(InterceptCa.directoryIn(state)));
        assertThat(cert(pem).getSubjectX500Principal().getName()).contains("Clawgress Intercept Root");
    }

    private static X509Certificate cert(String pem) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }
}
