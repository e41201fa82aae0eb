package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.enforcement.policy.RateLimit;
import io.clawgress.enforcement.policy.RateLimit.LimitMode;
import io.clawgress.enforcement.policy.RateLimit.Per;
import io.clawgress.enforcement.ratelimit.RateLimiter;
import io.clawgress.testing.JsonSchemaValidator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link QuotaApi} over a real {@link RateLimiter} on a test clock. */
class QuotaApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MS = 1_000_000L;
    private static final Instant NOW = Instant.parse("2026-11-21T12:00:10Z");
    private static final Caller READER = new Caller(1000, 1000, 77, Caller.Role.READER);

    private static JsonSchemaValidator schema;

    private final RateLimiter limiter = new RateLimiter();
    private final AtomicLong nanos = new AtomicLong(1_000 * MS);
    private final AdminRoutes routes = new AdminRoutes();

    @BeforeAll
    static void load() throws Exception {
        schema = JsonSchemaValidator.load(Path.of("..", "docs", "schemas", "quota-show.schema.json"));
    }

    @BeforeEach
    void register() {
        QuotaApi.register(routes, limiter, nanos::get, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private AdminResponse call(Map<String, List<String>> query) {
        AdminRoutes.Match m = routes.match("GET", "/v1/quotas");
        assertThat(m.route().change()).as("a read route").isFalse();
        try {
            return m.route().handler().handle(new AdminRequest("GET", "/v1/quotas", m.params(), query, new byte[0],
                    READER));
        } catch (AdminException e) {
            return AdminHandler.error(e.status(), e.code(), e.getMessage());
        }
    }

    private JsonNode show(Map<String, List<String>> query) throws Exception {
        AdminResponse r = call(query);
        assertThat(r.status()).isEqualTo(200);
        JsonNode n = JSON.readTree(r.body());
        assertThat(schema.validate(n)).as(n.toPrettyString()).isEmpty();
        return n;
    }

    @Test
    void noRequestsNoBuckets() throws Exception {
        JsonNode r = show(Map.of());
        assertThat(r.get("total").asInt()).isZero();
        assertThat(r.get("buckets")).isEmpty();
        assertThat(r.get("totals").get("admitted").asLong()).isZero();
    }

    @Test
    void eachBucketShowsItsLimitWhatIsLeftAndItsCounts() throws Exception {
        RateLimit five = new RateLimit(5, 0, LimitMode.HARD_STOP);
        for (int i = 0; i < 7; i++) {
            limiter.check("agents", "api", five, "agent-a", null, nanos.get());
        }
        RateLimit perDest = new RateLimit(2, 100, LimitMode.ALERT_ONLY, Per.DESTINATION);
        limiter.check("agents", "web", perDest, "agent-b", "web.test", nanos.get());
        nanos.addAndGet(250 * MS);

        JsonNode r = show(Map.of());
        assertThat(r.get("total").asInt()).isEqualTo(2);
        JsonNode api = r.get("buckets").get(0);
        assertThat(api.get("policy").asText()).isEqualTo("agents");
        assertThat(api.get("rule").asText()).isEqualTo("api");
        assertThat(api.get("agent_id").asText()).isEqualTo("agent-a");
        assertThat(api.get("destination").isNull()).isTrue();
        assertThat(api.get("per").asText()).isEqualTo("agent");
        assertThat(api.get("mode").asText()).isEqualTo("hard_stop");
        assertThat(api.get("rps").asInt()).isEqualTo(5);
        assertThat(api.get("rpm").isNull()).isTrue();
        assertThat(api.get("burst").asInt()).isEqualTo(5);
        assertThat(api.get("remaining").asInt()).as("one refilled in 250 ms at 5/s").isEqualTo(1);
        assertThat(api.get("full_in_ms").asLong()).isEqualTo(750);
        assertThat(api.get("admitted").asLong()).isEqualTo(5);
        assertThat(api.get("over_limit").asLong()).isEqualTo(2);
        assertThat(api.get("idle_ms").asLong()).isEqualTo(250);
        assertThat(api.get("last_seen").asText()).isEqualTo("2026-11-21T12:00:09.750Z");

        JsonNode web = r.get("buckets").get(1);
        assertThat(web.get("destination").asText()).isEqualTo("web.test");
        assertThat(web.get("per").asText()).isEqualTo("destination");
        assertThat(web.get("mode").asText()).isEqualTo("alert_only");
        assertThat(web.get("rpm").asInt()).isEqualTo(100);

        JsonNode totals = r.get("totals");
        assertThat(totals.get("admitted").asLong()).isEqualTo(6);
        assertThat(totals.get("limited").asLong()).isEqualTo(2);
        assertThat(totals.get("would_limit").asLong()).isZero();
        assertThat(totals.get("buckets").asLong()).isEqualTo(2);
    }

    @Test
    void theAgentFilterSelectsAndABadOneIsRefused() throws Exception {
        RateLimit five = new RateLimit(5, 0, LimitMode.HARD_STOP);
        limiter.check("p", "r", five, "agent-a", null, nanos.get());
        limiter.check("p", "r", five, "agent-b", null, nanos.get());
        JsonNode r = show(Map.of("agent", List.of("agent-b")));
        assertThat(r.get("total").asInt()).isEqualTo(1);
        assertThat(r.get("buckets").get(0).get("agent_id").asText()).isEqualTo("agent-b");
        assertThat(r.get("totals").get("buckets").asLong()).as("totals are for every agent").isEqualTo(2);

        AdminResponse bad = call(Map.of("agent", List.of("no spaces")));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).get("error").get("message").asText()).contains("agent: 'no spaces'");
    }
}
