package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.enforcement.agents.AgentIds;
import io.clawgress.enforcement.policy.RateLimit;
import io.clawgress.enforcement.ratelimit.BucketView;
import io.clawgress.enforcement.ratelimit.RateLimiter;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The rate-limit buckets (docs/admin-api.md): {@code GET /v1/quotas}, optionally {@code ?agent=ID}. A bucket exists
 * from an agent's first request under a rule's limit until it is idle and full again; the limiter's totals since the
 * daemon started come with them. Rate limits count identified agents only, so every bucket names one.
 */
public final class QuotaApi {

    private QuotaApi() {
    }

    /**
     * @param nanoTime the limiter's clock ({@code System::nanoTime} in the daemon)
     * @param clock    the wall clock, for {@code last_seen}
     */
    public static void register(AdminRoutes routes, RateLimiter limiter, LongSupplier nanoTime, Clock clock) {
        Objects.requireNonNull(limiter, "limiter");
        Objects.requireNonNull(nanoTime, "nanoTime");
        Objects.requireNonNull(clock, "clock");
        routes.read("GET", "/v1/quotas", r -> {
            String agent = r.query("agent");
            if (agent != null && !AgentIds.isValid(agent)) {
                throw AdminException.badRequest("agent: " + FlowsApi.quote(agent) + " (expected: an agent id, "
                        + AgentIds.EXPECTED + ")");
            }
            List<BucketView> buckets = limiter.buckets(agent, nanoTime.getAsLong());
            Instant now = clock.instant();
            ObjectNode o = AdminJson.object();
            o.put("total", buckets.size());
            ArrayNode items = o.putArray("buckets");
            buckets.forEach(b -> items.add(json(b, now)));
            RateLimiter.Counts c = limiter.counts();
            ObjectNode totals = o.putObject("totals");
            totals.put("admitted", c.admitted());
            totals.put("limited", c.limited());
            totals.put("would_limit", c.wouldLimit());
            totals.put("cap_rejected", c.capRejected());
            totals.put("evicted", c.evicted());
            totals.put("buckets", c.buckets());
            return AdminResponse.ok(o);
        });
    }

    /** One bucket as the API answers it (docs/schemas/quota-show.schema.json, {@code $defs/bucket}). */
    static ObjectNode json(BucketView b, Instant now) {
        RateLimit l = b.limit();
        ObjectNode o = AdminJson.object();
        o.put("policy", b.policyId());
        o.put("rule", b.ruleId());
        o.put("agent_id", b.agentId());
        o.put("destination", b.destination());
        o.put("per", l.per().code());
        o.put("mode", l.mode().code());
        if (l.rps() > 0) {
            o.put("rps", l.rps());
        } else {
            o.putNull("rps");
        }
        if (l.rpm() > 0) {
            o.put("rpm", l.rpm());
        } else {
            o.putNull("rpm");
        }
        o.put("burst", b.burst());
        o.put("remaining", b.remaining());
        o.put("full_in_ms", Duration.ofNanos(b.fullInNanos()).toMillis());
        o.put("admitted", b.admitted());
        o.put("over_limit", b.overLimit());
        o.put("last_seen", now.minusNanos(b.idleNanos()).toString());
        o.put("idle_ms", Duration.ofNanos(b.idleNanos()).toMillis());
        return o;
    }
}
