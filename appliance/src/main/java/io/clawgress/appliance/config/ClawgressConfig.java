package io.clawgress.appliance.config;

import io.clawgress.enforcement.flowlog.FlowLogSettings;
import io.clawgress.enforcement.staticpolicy.StaticPolicy;
import io.clawgress.tproxy.ProxySettings;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The daemon's validated configuration: what {@code clawgressd --config FILE} runs with. Built only by
 * {@link ConfigLoader}; every part has already validated itself.
 *
 * @param source       the file it was read from (for logs and {@code --check-config} output)
 * @param proxy        listener, timeouts and connection limit of the data plane
 * @param flowLog      where flow records are written
 * @param staticPolicy subnet bindings and ordered L4 rules; deny-all when the file has none
 * @param sha256       lower-case hex SHA-256 of the exact text that was parsed: names the static policy revision
 */
public record ClawgressConfig(Path source, ProxySettings proxy, FlowLogSettings flowLog, StaticPolicy staticPolicy,
                              String sha256) {
    public ClawgressConfig {
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(proxy, "proxy");
        Objects.requireNonNull(flowLog, "flowLog");
        Objects.requireNonNull(staticPolicy, "staticPolicy");
    }
}
