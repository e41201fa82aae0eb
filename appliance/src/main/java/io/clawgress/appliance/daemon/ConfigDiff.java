package io.clawgress.appliance.daemon;

import io.clawgress.appliance.config.AdminSettings;
import io.clawgress.appliance.config.ClawgressConfig;
import io.clawgress.appliance.config.IdentitySettings;
import io.clawgress.appliance.config.MetricsSettings;
import io.clawgress.appliance.config.PolicySettings;
import io.clawgress.enforcement.audit.AuditSettings;
import io.clawgress.enforcement.flowlog.FlowLogSettings;
import io.clawgress.enforcement.net.Addresses;
import io.clawgress.tproxy.ProxySettings;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The differences between the config a daemon runs with and a new one, key by key in the file's vocabulary
 * (docs/config.md), each marked as applied by a reload or needing a restart. Pure: reading files and applying changes
 * is {@link Reloader}'s.
 *
 * <p>Reloadable: the policy's trusted keys and bundle sources (within one policy mode: signed sources, none, or the
 * unsafe directory), the upstream CA and handshake timeout of interception, the flow log's path, and
 * {@code timeouts.drain}. Everything the listener, its event loops, the audit log, the state directory, the admin
 * socket or the metrics endpoint were built with needs a restart.
 */
final class ConfigDiff {

    private ConfigDiff() {
    }

    /**
     * One changed key.
     *
     * @param key        the config key, e.g. {@code listener.port}
     * @param before     its value now in force ({@code unset} when absent)
     * @param after      its value in the new config
     * @param reloadable whether a reload applies it
     */
    record Change(String key, String before, String after, boolean reloadable) {
        Change {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(before, "before");
            Objects.requireNonNull(after, "after");
        }

        /** {@code listener.port changed (15001 -> 15002)}. */
        String what() {
            return key + " changed (" + before + " -> " + after + ")";
        }

        /** For the needs-restart list: {@code listener.port changed (15001 -> 15002): needs a restart (...)}. */
        String restartLine() {
            return what() + ": " + ReloadResult.RESTART_HINT;
        }
    }

    /** Every difference between {@code running} and {@code next}. */
    static List<Change> diff(ClawgressConfig running, ClawgressConfig next) {
        List<Change> out = new ArrayList<>();
        out.addAll(proxy(running.proxy(), next.proxy()));
        out.addAll(drain(running.drainTimeout(), next.drainTimeout()));
        out.addAll(flowLog(running.flowLog(), next.flowLog()));
        out.addAll(policy(running.policy(), next.policy()));
        out.addAll(identity(running.identity(), next.identity()));
        out.addAll(audit(running.audit(), next.audit()));
        out.addAll(admin(running.admin(), next.admin()));
        out.addAll(metrics(running.metrics(), next.metrics()));
        return out;
    }

    static List<Change> proxy(ProxySettings a, ProxySettings b) {
        Keys k = new Keys();
        k.restart("listener.address", a.listen().getAddress().getHostAddress(),
                b.listen().getAddress().getHostAddress());
        k.restart("listener.port", a.listen().getPort(), b.listen().getPort());
        k.restart("listener.transport", a.transport().code(), b.transport().code());
        k.restart("listener.backlog", a.backlog(), b.backlog());
        k.restart("listener.event_loop_threads", a.eventLoopThreads(), b.eventLoopThreads());
        k.restart("connection_limit", a.connectionLimit(), b.connectionLimit());
        k.restart("timeouts.upstream_connect", duration(a.connectTimeout()), duration(b.connectTimeout()));
        k.restart("timeouts.idle", duration(a.idleTimeout()), duration(b.idleTimeout()));
        k.restart("peek.max_bytes", a.peek().maxBytes(), b.peek().maxBytes());
        k.restart("peek.timeout", duration(a.peek().timeout()), duration(b.peek().timeout()));
        k.restart("peek.server_first_ports", a.peek().serverFirstPorts().stream().sorted().toList(),
                b.peek().serverFirstPorts().stream().sorted().toList());
        k.restart("dns.servers", a.dns().servers().stream().map(ConfigDiff::hostPort).toList(),
                b.dns().servers().stream().map(ConfigDiff::hostPort).toList());
        k.restart("dns.query_timeout", duration(a.dns().queryTimeout()), duration(b.dns().queryTimeout()));
        k.restart("dns.max_ttl", duration(a.dns().maxTtl()), duration(b.dns().maxTtl()));
        k.restart("dns.serve_stale", duration(a.dns().serveStale()), duration(b.dns().serveStale()));
        return k.changes;
    }

    static List<Change> drain(Duration a, Duration b) {
        Keys k = new Keys();
        k.reload("timeouts.drain", duration(a), duration(b));
        return k.changes;
    }

    /** Turning the flow log on or off, or changing its queue, needs a restart; a new file path is reopened. */
    static List<Change> flowLog(FlowLogSettings a, FlowLogSettings b) {
        Keys k = new Keys();
        if ((a == null) != (b == null)) {
            k.restart("flow_log", a == null ? null : a.path(), b == null ? null : b.path());
            return k.changes;
        }
        if (a == null) {
            return k.changes;
        }
        boolean stdout = FlowLogSettings.STDOUT.equals(a.path()) || FlowLogSettings.STDOUT.equals(b.path());
        if (stdout) {
            k.restart("flow_log.path", a.path(), b.path());
        } else {
            k.reload("flow_log.path", a.path(), b.path());
        }
        k.restart("flow_log.queue_capacity", a.queueCapacity(), b.queueCapacity());
        return k.changes;
    }

    /**
     * Within signed mode, the trusted keys file and every bundle source reload; switching between signed sources, no
     * policy and the unsafe directory, the state directory and the store's sizes need a restart.
     */
    static List<Change> policy(PolicySettings a, PolicySettings b) {
        Keys k = new Keys();
        k.restart("state_dir", a.stateDir(), b.stateDir());
        k.restart("policy.unsafe_unsigned_policy_dir", a.unsafeUnsignedPolicyDir(), b.unsafeUnsignedPolicyDir());
        boolean sameMode = (a.trustedKeys() == null) == (b.trustedKeys() == null);
        if (sameMode) {
            k.reload("policy.trusted_keys", a.trustedKeys(), b.trustedKeys());
        } else {
            k.restart("policy.trusted_keys", a.trustedKeys(), b.trustedKeys());
        }
        Keys sources = sameMode && b.trustedKeys() != null ? k : k.restarting();
        sources.reload("policy.bundle", a.bundleFile(), b.bundleFile());
        sources.reload("policy.drop_dir", a.dropDir(), b.dropDir());
        sources.reload("policy.bundle_url", a.bundleUrl(), b.bundleUrl());
        sources.reload("policy.bundle_url_ca", a.bundleUrlCa(), b.bundleUrlCa());
        sources.reload("policy.bundle_url_interval", duration(a.bundleUrlInterval()),
                duration(b.bundleUrlInterval()));
        k.restart("policy.generations", a.generations(), b.generations());
        k.restart("policy.max_bundle_size", a.maxBundleBytes(), b.maxBundleBytes());
        return k.changes;
    }

    static List<Change> identity(IdentitySettings a, IdentitySettings b) {
        Keys k = new Keys();
        k.restart("identity.trust_domain", a.trustDomain(), b.trustDomain());
        k.restart("identity.jwt_header", a.jwtHeader(), b.jwtHeader());
        k.restart("identity.jwt_clock_skew", duration(a.jwtClockSkew()), duration(b.jwtClockSkew()));
        k.restart("intercept.client_certificates", a.clientCertificates(), b.clientCertificates());
        k.reload("intercept.upstream_ca", a.upstreamCa(), b.upstreamCa());
        k.reload("intercept.upstream_handshake_timeout", duration(a.upstreamHandshakeTimeout()),
                duration(b.upstreamHandshakeTimeout()));
        return k.changes;
    }

    static List<Change> audit(AuditSettings a, AuditSettings b) {
        Keys k = new Keys();
        if ((a == null) != (b == null)) {
            k.restart("audit.enabled", a != null, b != null);
            return k.changes;
        }
        if (a == null) {
            return k.changes;
        }
        k.restart("audit.dir", a.dir(), b.dir());
        k.restart("audit.queue_capacity", a.queueCapacity(), b.queueCapacity());
        k.restart("audit.segment_max_bytes", a.segmentMaxBytes(), b.segmentMaxBytes());
        k.restart("audit.segment_max_age", duration(a.segmentMaxAge()), duration(b.segmentMaxAge()));
        k.restart("audit.checkpoint_every", a.checkpointEvery(), b.checkpointEvery());
        k.restart("audit.checkpoint_interval", duration(a.checkpointInterval()), duration(b.checkpointInterval()));
        k.restart("audit.on_overflow", a.onOverflow().code(), b.onOverflow().code());
        k.restart("audit.retention_max_mib", a.retentionMaxTotalBytes() >> 20, b.retentionMaxTotalBytes() >> 20);
        k.restart("audit.retention_max_age", duration(a.retentionMaxAge()), duration(b.retentionMaxAge()));
        return k.changes;
    }

    static List<Change> admin(AdminSettings a, AdminSettings b) {
        Keys k = new Keys();
        k.restart("admin.enabled", a.enabled(), b.enabled());
        k.restart("admin.socket", a.socket(), b.socket());
        k.restart("admin.group", a.group(), b.group());
        k.restart("admin.admin_group", a.adminGroup(), b.adminGroup());
        return k.changes;
    }

    static List<Change> metrics(MetricsSettings a, MetricsSettings b) {
        Keys k = new Keys();
        Function<MetricsSettings, String> listen = m -> m.listen() == null ? "off" : hostPort(m.listen());
        k.restart("metrics.listen", listen.apply(a), listen.apply(b));
        return k.changes;
    }

    private static String hostPort(InetSocketAddress a) {
        return Addresses.hostPort(a);
    }

    /** As the config file writes durations: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}. */
    static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms != 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms != 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    /** Collects changed keys. */
    private static final class Keys {
        final List<Change> changes;
        private final boolean forceRestart;

        Keys() {
            this(new ArrayList<>(), false);
        }

        private Keys(List<Change> changes, boolean forceRestart) {
            this.changes = changes;
            this.forceRestart = forceRestart;
        }

        /** The same list, where even reloadable keys need a restart (their section cannot be reloaded now). */
        Keys restarting() {
            return new Keys(changes, true);
        }

        void restart(String key, Object a, Object b) {
            add(key, a, b, false);
        }

        void reload(String key, Object a, Object b) {
            add(key, a, b, !forceRestart);
        }

        private void add(String key, Object a, Object b, boolean reloadable) {
            if (!Objects.equals(a, b)) {
                changes.add(new Change(key, text(a), text(b), reloadable));
            }
        }

        private static String text(Object o) {
            return o == null ? "unset" : o.toString();
        }
    }
}
