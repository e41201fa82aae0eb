package io.clawgress.appliance.config;

import io.clawgress.enforcement.audit.AuditSettings;
import io.clawgress.enforcement.flowlog.FlowLogSettings;
import io.clawgress.tproxy.ProxySettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The daemon's validated configuration: what {@code clawgressd --config FILE} runs with. Built only by
 * {@link ConfigLoader}; every part has already validated itself.
 *
 * @param source       the file it was read from (for logs and {@code --check-config} output)
 * @param proxy        listener, timeouts and connection limit of the data plane
 * @param flowLog      an optional unchained copy of the records (JSON Lines), or {@code null} when the file has no
 *                     {@code flow_log} section
 * @param policy       where signed policy bundles come from, and the state directory that keeps them
 * @param identity     agent identity inside HTTP and intercepted TLS, and upstream verification when intercepting
 * @param audit        the tamper-evident audit log (on by default), or {@code null} when {@code audit.enabled} is
 *                     false
 * @param admin        the admin API's unix socket and who may use it
 * @param metrics      the Prometheus scrape endpoint
 * @param drainTimeout how long a stop (SIGTERM) lets open flows finish before cutting them
 * @param sha256       lower-case hex SHA-256 of the exact text that was parsed
 */
public record ClawgressConfig(Path source, ProxySettings proxy, FlowLogSettings flowLog, PolicySettings policy,
                              IdentitySettings identity, AuditSettings audit, AdminSettings admin,
                              MetricsSettings metrics, Duration drainTimeout, String sha256) {

    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration MAX_DRAIN_TIMEOUT = Duration.ofHours(1);

    public ClawgressConfig {
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(proxy, "proxy");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (drainTimeout.isNegative() || drainTimeout.compareTo(MAX_DRAIN_TIMEOUT) > 0) {
            throw new IllegalArgumentException("drainTimeout: " + drainTimeout + " (expected: 0s..1h)");
        }
    }
}
