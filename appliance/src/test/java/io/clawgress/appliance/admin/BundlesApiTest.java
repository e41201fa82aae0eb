package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.enforcement.activation.Activator;
import io.clawgress.enforcement.activation.ActivePolicy;
import io.clawgress.enforcement.bundle.BundleBuilder;
import io.clawgress.enforcement.bundle.KeyGen;
import io.clawgress.enforcement.bundle.Limits;
import io.clawgress.enforcement.bundle.SigningAlg;
import io.clawgress.enforcement.store.PolicyStore;
import io.clawgress.enforcement.store.StoreSettings;
import io.clawgress.enforcement.store.StoredBundle;
import io.clawgress.testing.JsonSchemaValidator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link BundlesApi} on a real activator and store: push, history, rollback, and every refusal's status and code. */
class BundlesApiTest {

    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final Caller ADMIN = new Caller(1234, 990, 4242, Caller.Role.ADMIN);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX = 64 * 1024;

    private static JsonSchemaValidator pushSchema;
    private static JsonSchemaValidator historySchema;
    private static JsonSchemaValidator rollbackSchema;

    @TempDir
    Path dir;

    private KeyGen.GeneratedKey signer;
    private PolicyStore store;
    private Activator activator;
    private AdminRoutes routes;

    @BeforeAll
    static void schemas() throws Exception {
        Path schemas = Path.of("..", "docs", "schemas");
        pushSchema = JsonSchemaValidator.load(schemas.resolve("bundle-push.schema.json"));
        historySchema = JsonSchemaValidator.load(schemas.resolve("bundle-history.schema.json"));
        rollbackSchema = JsonSchemaValidator.load(schemas.resolve("bundle-rollback.schema.json"));
    }

    @BeforeEach
    void open() throws Exception {
        signer = KeyGen.generate(SigningAlg.EDDSA, "ops-1");
        Path keys = dir.resolve("keys.json");
        Files.writeString(keys, KeyGen.keySetJson(List.of(signer)));
        store = PolicyStore.open(dir.resolve("policy.lmdb"), StoreSettings.DEFAULTS);
        activator = new Activator(store, keys, Limits.DEFAULTS, CLOCK);
        activator.restore();
        routes = new AdminRoutes();
        BundlesApi.register(routes, activator::active, Optional.of(activator), MAX, CLOCK);
    }

    @AfterEach
    void close() {
        activator.close();
        store.close();
    }

    private byte[] bundle(long revision) throws Exception {
        return bundle(revision, """
                apiVersion: clawgress.io/v1
                kind: Policy
                id: p
                priority: 1
                subjects: {}
                rules:
                  - {id: web, action: allow, destinations: [{cidr: 10.0.0.0/8, ports: [%d]}]}
                """.formatted(8000 + revision));
    }

    private byte[] bundle(long revision, String yaml) throws Exception {
        return BundleBuilder.build(Map.of("policies/p.yaml", yaml.getBytes(StandardCharsets.UTF_8)),
                signer.signingKey(), revision, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(1)));
    }

    private AdminResponse call(AdminRoutes r, String method, String path, byte[] body) {
        int q = path.indexOf('?');
        String p = q < 0 ? path : path.substring(0, q);
        AdminRoutes.Match m = r.match(method, p);
        assertThat(m.route()).as(method + " " + path).isNotNull();
        Map<String, List<String>> query = q < 0 ? Map.of()
                : Map.of(path.substring(q + 1).split("=")[0], List.of(path.substring(q + 1).split("=")[1]));
        AdminRequest req = new AdminRequest(method, p, m.params(), query, body == null ? new byte[0] : body, ADMIN);
        try {
            return m.route().handler().handle(req);
        } catch (AdminException e) {
            return AdminHandler.error(e.status(), e.code(), e.getMessage());
        }
    }

    private AdminResponse call(String method, String path, byte[] body) {
        return call(routes, method, path, body);
    }

    private AdminResponse rollback(String body) {
        return call("POST", "/v1/bundles/rollback", body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode ok(AdminResponse r) throws Exception {
        assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(r.contentType()).isEqualTo(AdminResponse.JSON);
        return JSON.readTree(r.body());
    }

    private static JsonNode error(AdminResponse r, int status, String code) throws Exception {
        assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(status);
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertThat(e.get("code").asText()).isEqualTo(code);
        return e;
    }

    @Test
    void theRoutesArePushAndRollbackChangesAndAHistoryRead() {
        assertThat(routes.routes()).extracting(r -> r.method() + " " + r.pattern() + " " + r.action())
                .containsExactly("POST /v1/bundles bundle.push", "GET /v1/bundles null",
                        "POST /v1/bundles/rollback bundle.rollback");
    }

    @Test
    void aPushIsActivatedAsThePushersUidAndAnsweredWithTheResultAndTheActivePolicy() throws Exception {
        byte[] b = bundle(1);
        JsonNode r = ok(call("POST", "/v1/bundles", b));
        pushSchema.requireValid(r, "POST /v1/bundles");
        assertThat(r.get("outcome").asText()).isEqualTo("activated");
        assertThat(r.get("revision").asLong()).isEqualTo(1);
        assertThat(r.get("kid").asText()).isEqualTo("ops-1");
        assertThat(r.get("source").asText()).isEqualTo("push:uid=1234");
        assertThat(r.get("sha256").asText()).isEqualTo(StoredBundle.sha256Hex(b));
        assertThat(r.at("/active/revision").asLong()).isEqualTo(1);
        assertThat(r.at("/active/policy_revision").asText()).isEqualTo("1");
        assertThat(r.at("/active/source").asText()).isEqualTo("push:uid=1234");
        assertThat(r.at("/active/activated_at").asText()).isEqualTo("2026-11-21T12:00:00Z");
        assertThat(r.at("/active/expires").asText()).isEqualTo("2026-11-22T12:00:00Z");
        assertThat(activator.active().revision()).isEqualTo(1);

        JsonNode again = ok(call("POST", "/v1/bundles", b));
        pushSchema.requireValid(again, "the same bytes again");
        assertThat(again.get("outcome").asText()).isEqualTo("unchanged");
        assertThat(again.get("message").asText()).isEqualTo("already active");
    }

    @Test
    void eachRefusalHasItsStatusAndReasonCodeAndLeavesTheActivePolicy() throws Exception {
        ok(call("POST", "/v1/bundles", bundle(2)));
        KeyGen.GeneratedKey stranger = KeyGen.generate(SigningAlg.EDDSA, "stranger");
        byte[] unknownKid = BundleBuilder.build(Map.of("p.yaml", new byte[] {'a'}), stranger.signingKey(), 3,
                NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(1)));

        JsonNode stale = error(call("POST", "/v1/bundles", bundle(1)), 409, "revision_not_newer");
        assertThat(stale.get("message").asText()).contains("revision 1");
        error(call("POST", "/v1/bundles", unknownKid), 422, "unknown_kid");
        error(call("POST", "/v1/bundles", "not a bundle".getBytes(StandardCharsets.UTF_8)), 422,
                "malformed_archive");
        JsonNode invalid = error(call("POST", "/v1/bundles", bundle(3, "kind: [Policy\n")), 422, "policy_invalid");
        assertThat(invalid.get("message").asText()).startsWith("revision 3: ").contains("p.yaml");
        JsonNode empty = error(call("POST", "/v1/bundles", new byte[0]), 400, "bad_request");
        assertThat(empty.get("message").asText()).contains("empty");
        JsonNode big = error(call("POST", "/v1/bundles", new byte[(int) MAX + 1]), 413, "too_large");
        assertThat(big.get("message").asText()).isEqualTo("bundle: 65537 bytes (expected: at most"
                + " policy.max_bundle_size, 65536 bytes)");

        assertThat(activator.active().revision()).isEqualTo(2);
        JsonNode h = ok(call("GET", "/v1/bundles", null));
        assertThat(h.at("/last_result/outcome").asText()).isEqualTo("rejected");
        assertThat(h.at("/last_result/reason_code").asText()).isEqualTo("policy_invalid");
    }

    @Test
    void aBrokenKeySetIsTheGatewaysProblemNotTheBundles() throws Exception {
        Files.writeString(dir.resolve("keys.json"), "{not json");
        error(call("POST", "/v1/bundles", bundle(1)), 503, "malformed_key_set");
    }

    @Test
    void historyListsTheGenerationsTheActiveOneTheLastResultAndTheActivations() throws Exception {
        JsonNode empty = ok(call("GET", "/v1/bundles", null));
        historySchema.requireValid(empty, "GET /v1/bundles before any bundle");
        assertThat(empty.get("generations")).isEmpty();
        assertThat(empty.at("/active/signed").asBoolean()).isFalse();
        assertThat(empty.at("/active/policy_revision").asText()).isEqualTo("none");

        byte[] one = bundle(1);
        ok(call("POST", "/v1/bundles", one));
        ok(call("POST", "/v1/bundles", bundle(2)));
        call("POST", "/v1/bundles", bundle(1, "kind: [\n"));

        JsonNode h = ok(call("GET", "/v1/bundles", null));
        historySchema.requireValid(h, "GET /v1/bundles");
        assertThat(h.get("signed_bundles").asBoolean()).isTrue();
        assertThat(h.get("generations")).extracting(g -> g.get("revision").asLong()).containsExactly(2L, 1L);
        assertThat(h.get("generations")).extracting(g -> g.get("active").asBoolean()).containsExactly(true, false);
        JsonNode g1 = h.get("generations").get(1);
        assertThat(g1.get("sha256").asText()).isEqualTo(StoredBundle.sha256Hex(one));
        assertThat(g1.get("bytes").asLong()).isEqualTo(one.length);
        assertThat(g1.get("kid").asText()).isEqualTo("ops-1");
        assertThat(g1.get("source").asText()).isEqualTo("push:uid=1234");
        assertThat(h.get("activations")).extracting(e -> e.get("result").asText())
                .containsExactly("rejected", "activated", "activated");
        assertThat(h.at("/activations/0/reason_code").asText()).isEqualTo("revision_not_newer");
        assertThat(h.at("/last_result/reason_code").asText()).isEqualTo("revision_not_newer");

        assertThat(ok(call("GET", "/v1/bundles?limit=1", null)).get("activations")).hasSize(1);
        error(call("GET", "/v1/bundles?limit=1001", null), 400, "bad_request");
        error(call("GET", "/v1/bundles?limit=x", null), 400, "bad_request");
    }

    @Test
    void rollbackGoesToThePreviousGenerationOrTheNamedOneAndSaysWhenThereIsNone() throws Exception {
        ok(call("POST", "/v1/bundles", bundle(1)));
        ok(call("POST", "/v1/bundles", bundle(2)));
        ok(call("POST", "/v1/bundles", bundle(3)));

        JsonNode back = ok(rollback(null));
        rollbackSchema.requireValid(back, "POST /v1/bundles/rollback");
        assertThat(back.get("outcome").asText()).isEqualTo("rolled_back");
        assertThat(back.get("revision").asLong()).isEqualTo(2);
        assertThat(back.get("source").asText()).isEqualTo("rollback:uid=1234");
        assertThat(back.at("/active/revision").asLong()).isEqualTo(2);

        JsonNode to1 = ok(rollback("{\"revision\": 1}"));
        rollbackSchema.requireValid(to1, "rollback to 1");
        assertThat(activator.active().revision()).isEqualTo(1);
        JsonNode forward = ok(rollback("{\"revision\": 3}"));
        rollbackSchema.requireValid(forward, "rollback to 3");
        assertThat(forward.get("outcome").asText()).isEqualTo("activated");

        assertThat(error(rollback("{\"revision\": 9}"), 404, "revision_not_stored").get("message").asText())
                .isEqualTo("revision 9: revision 9 is not stored (stored: [1, 2, 3])");
        ok(rollback("{\"revision\": 1}"));
        assertThat(error(rollback(""), 409, "no_previous_generation").get("message").asText())
                .isEqualTo("nothing to roll back to: no stored revision below revision 1 (stored: [1, 2, 3])");
        error(rollback("{\"revision\": 0}"), 400, "bad_request");
        error(rollback("{\"revision\": \"2\"}"), 400, "bad_request");
        error(rollback("{\"rev\": 2}"), 400, "bad_request");
        error(rollback("[2]"), 400, "bad_request");
        assertThat(activator.active().revision()).isEqualTo(1);
    }

    @Test
    void withoutAnActivatorPushesAndRollbacksAreRefusedAndHistorySaysSo() throws Exception {
        AdminRoutes none = new AdminRoutes();
        BundlesApi.register(none, () -> ActivePolicy.denyAll(NOW), Optional.empty(), MAX, CLOCK);

        JsonNode e = error(call(none, "POST", "/v1/bundles", bundle(1)), 409, "no_signed_policy");
        assertThat(e.get("message").asText()).contains("policy.trusted_keys is not set");
        error(call(none, "POST", "/v1/bundles/rollback", null), 409, "no_signed_policy");
        JsonNode h = ok(call(none, "GET", "/v1/bundles", null));
        historySchema.requireValid(h, "GET /v1/bundles without an activator");
        assertThat(h.get("signed_bundles").asBoolean()).isFalse();
        assertThat(h.get("last_result").isNull()).isTrue();
    }
}
