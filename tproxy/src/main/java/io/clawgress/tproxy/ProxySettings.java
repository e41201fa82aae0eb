package io.clawgress.tproxy;

import io.clawgress.tproxy.dns.DnsSettings;
import io.clawgress.tproxy.peek.PeekSettings;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Data-plane settings, validated on construction.
 *
 * @param listen            the transparent listener's address (usually the wildcard) and port
 * @param transport         requested transport; falls back (logged) when it cannot load
 * @param backlog           listen backlog
 * @param eventLoopThreads  data-plane event loops; 0 means one per available processor
 * @param connectTimeout    upstream TCP connect timeout
 * @param idleTimeout       a flow with no bytes in either direction for this long is closed
 * @param connectionLimit   maximum concurrent agent connections; more are reset ({@code connection_limit})
 * @param peek              limits of the ClientHello / HTTP head peek
 * @param dns               the resolvers that bind claimed names to addresses
 */
public record ProxySettings(InetSocketAddress listen, Transport transport, int backlog, int eventLoopThreads,
                            Duration connectTimeout, Duration idleTimeout, int connectionLimit, PeekSettings peek,
                            DnsSettings dns) {

    /** Settings with the default peek limits and the system's resolvers. */
    public ProxySettings(InetSocketAddress listen, Transport transport, int backlog, int eventLoopThreads,
                         Duration connectTimeout, Duration idleTimeout, int connectionLimit) {
        this(listen, transport, backlog, eventLoopThreads, connectTimeout, idleTimeout, connectionLimit,
                PeekSettings.defaults(), DnsSettings.defaults());
    }

    public static final int DEFAULT_PORT = 15001;
    public static final int DEFAULT_BACKLOG = 4096;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    public static final int DEFAULT_CONNECTION_LIMIT = 10_000;

    public ProxySettings {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(peek, "peek");
        Objects.requireNonNull(dns, "dns");
        if (listen.isUnresolved()) {
            throw new IllegalArgumentException("listen: " + listen + " (expected: an IP address literal)");
        }
        if (listen.getPort() == 0) {
            throw new IllegalArgumentException("listen.port: 0 (expected: 1..65535)");
        }
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog: " + backlog + " (expected: > 0)");
        }
        if (eventLoopThreads < 0 || eventLoopThreads > 1024) {
            throw new IllegalArgumentException("eventLoopThreads: " + eventLoopThreads + " (expected: 0..1024)");
        }
        requireBetween("connectTimeout", connectTimeout, Duration.ofMillis(10), Duration.ofMinutes(5));
        requireBetween("idleTimeout", idleTimeout, Duration.ofMillis(100), Duration.ofDays(7));
        if (connectionLimit < 1) {
            throw new IllegalArgumentException("connectionLimit: " + connectionLimit + " (expected: > 0)");
        }
    }

    private static void requireBetween(String field, Duration d, Duration min, Duration max) {
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException(field + ": " + d + " (expected: " + min + " .. " + max + ")");
        }
    }
}
