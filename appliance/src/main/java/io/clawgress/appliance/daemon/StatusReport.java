package io.clawgress.appliance.daemon;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.Version;
import io.clawgress.appliance.admin.AdminJson;
import io.clawgress.appliance.config.ClawgressConfig;
import io.clawgress.enforcement.activation.ActivationResult;
import io.clawgress.enforcement.activation.ActivePolicy;
import io.clawgress.enforcement.activation.source.BundleUrlSource;
import io.clawgress.enforcement.audit.AuditLog;
import io.clawgress.enforcement.net.Addresses;
import io.clawgress.tproxy.TransparentProxy;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * {@code GET /v1/status} (docs/admin-api.md, schema docs/schemas/status.schema.json): what an operator checks first.
 * Built on an admin worker thread from values that are safe to read from any thread.
 */
final class StatusReport {

    private final ClawgressConfig config;
    private final Instant startedAt;
    private final Clock clock;
    private final PolicyService policy;
    private final TransparentProxy proxy;
    private final AuditLog audit;
    private final Supplier<InetSocketAddress> metricsAddress;
    private final Supplier<ObjectNode> lastReload;

    StatusReport(ClawgressConfig config, Instant startedAt, Clock clock, PolicyService policy, TransparentProxy proxy,
                 AuditLog audit, Supplier<InetSocketAddress> metricsAddress, Supplier<ObjectNode> lastReload) {
        this.config = config;
        this.startedAt = startedAt;
        this.clock = clock;
        this.policy = policy;
        this.proxy = proxy;
        this.audit = audit;
        this.metricsAddress = metricsAddress;
        this.lastReload = lastReload;
    }

    ObjectNode build() {
        ObjectNode o = AdminJson.object();
        Instant now = clock.instant();
        o.put("version", Version.get());
        o.put("pid", ProcessHandle.current().pid());
        o.put("started_at", startedAt.toString());
        o.put("uptime_seconds", Duration.between(startedAt, now).toSeconds());
        o.put("config", config.source().toString());
        o.put("config_sha256", config.sha256());
        o.put("transport", proxy.transport().code());
        ObjectNode listeners = o.putObject("listeners");
        listeners.put("proxy", Addresses.hostPort(proxy.localAddress()));
        listeners.put("admin", config.admin().socket().toString());
        InetSocketAddress metrics = metricsAddress.get();
        if (metrics == null) {
            listeners.putNull("metrics");
        } else {
            listeners.put("metrics", Addresses.hostPort(metrics));
        }
        o.set("policy", policy(policy.active()));
        ActivationResult last = policy.activator().map(a -> a.lastResult()).orElse(null);
        if (last == null) {
            o.putNull("last_activation");
        } else {
            o.set("last_activation", activation(last));
        }
        BundleUrlSource url = policy.urlSource().orElse(null);
        if (url == null) {
            o.putNull("bundle_url");
        } else {
            o.set("bundle_url", urlHealth(url));
        }
        o.set("audit", audit());
        ObjectNode conns = o.putObject("connections");
        conns.put("open", proxy.openConnections());
        conns.put("limit", config.proxy().connectionLimit());
        ObjectNode reload = lastReload.get();
        if (reload == null) {
            o.putNull("last_reload");
        } else {
            o.set("last_reload", reload);
        }
        return o;
    }

    static ObjectNode policy(ActivePolicy p) {
        ObjectNode o = AdminJson.object();
        o.put("revision", p.signed() || p.revision() > 0 ? Long.toString(p.revision())
                : ActivePolicy.NO_POLICY_REVISION);
        o.put("signed", p.signed());
        putOrNull(o, "kid", p.kid());
        putOrNull(o, "source", p.source());
        putOrNull(o, "sha256", p.sha256());
        putOrNull(o, "activated_at", p.activatedAt() == null ? null : p.activatedAt().toString());
        putOrNull(o, "expires", p.expires() == null ? null : p.expires().toString());
        return o;
    }

    static ObjectNode activation(ActivationResult r) {
        ObjectNode o = AdminJson.object();
        o.put("outcome", r.outcome().code());
        o.put("revision", r.revision());
        putOrNull(o, "kid", r.kid());
        o.put("source", r.source());
        putOrNull(o, "reason_code", r.reasonCode());
        putOrNull(o, "message", r.message());
        return o;
    }

    private static ObjectNode urlHealth(BundleUrlSource url) {
        BundleUrlSource.Health h = url.health();
        ObjectNode o = AdminJson.object();
        o.put("url", url.settings().url().toString());
        o.put("interval_seconds", url.settings().interval().toSeconds());
        putOrNull(o, "last_attempt", h.lastAttempt() == null ? null : h.lastAttempt().toString());
        putOrNull(o, "last_success", h.lastSuccess() == null ? null : h.lastSuccess().toString());
        putOrNull(o, "last_error", h.lastError());
        o.put("consecutive_failures", h.consecutiveFailures());
        o.put("healthy", h.lastSuccess() != null && h.consecutiveFailures() == 0);
        return o;
    }

    private ObjectNode audit() {
        ObjectNode o = AdminJson.object();
        o.put("enabled", audit != null);
        if (audit == null) {
            return o;
        }
        o.put("dir", config.audit().dir().toString());
        o.put("queue_depth", audit.queueDepth());
        o.put("queue_capacity", config.audit().queueCapacity());
        o.put("written", audit.written());
        o.put("dropped", audit.dropped());
        o.put("write_errors", audit.writeErrors());
        o.put("failing", audit.failing());
        o.put("last_seq", audit.lastSeq());
        return o;
    }

    private static void putOrNull(ObjectNode o, String key, String value) {
        if (value == null) {
            o.putNull(key);
        } else {
            o.put(key, value);
        }
    }
}
