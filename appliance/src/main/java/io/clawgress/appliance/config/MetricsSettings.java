package io.clawgress.appliance.config;

import java.net.InetSocketAddress;

/**
 * The Prometheus scrape endpoint (docs/metrics.md). The same text is always available through the admin socket
 * ({@code GET /v1/metrics}); this is only the TCP endpoint.
 *
 * @param listen where {@code GET /metrics} is served, or {@code null} when the endpoint is off; port 0 picks a free
 *               port (tests)
 */
public record MetricsSettings(InetSocketAddress listen) {

    public static final int DEFAULT_PORT = 9464;

    public MetricsSettings {
        if (listen != null && listen.isUnresolved()) {
            throw new IllegalArgumentException("listen: " + listen + " (expected: an IP address literal)");
        }
    }

    public static MetricsSettings defaults() {
        return new MetricsSettings(new InetSocketAddress("127.0.0.1", DEFAULT_PORT));
    }

    public boolean enabled() {
        return listen != null;
    }
}
