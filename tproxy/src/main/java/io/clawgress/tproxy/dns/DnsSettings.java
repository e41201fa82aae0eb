package io.clawgress.tproxy.dns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The gateway's own resolvers: names agents claim are resolved here, never trusted from the agent.
 *
 * @param servers      DNS servers (IP and port); empty means those in {@code /etc/resolv.conf}
 * @param queryTimeout how long one query may take before the next server is tried
 * @param maxTtl       cap on how long an answer is cached (answers are cached for their TTL, at most this)
 * @param serveStale   how long after it was received the last good answer for a name may still be used when the
 *                     resolvers fail (time out, SERVFAIL, unreadable answer; never after NXDOMAIN or an empty
 *                     answer, which are answers): RFC 8767. Zero turns it off.
 */
public record DnsSettings(List<InetSocketAddress> servers, Duration queryTimeout, Duration maxTtl,
                          Duration serveStale) {

    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_MAX_TTL = Duration.ofMinutes(5);
    public static final Duration DEFAULT_SERVE_STALE = Duration.ofMinutes(10);

    public DnsSettings {
        Objects.requireNonNull(queryTimeout, "queryTimeout");
        Objects.requireNonNull(maxTtl, "maxTtl");
        Objects.requireNonNull(serveStale, "serveStale");
        servers = List.copyOf(servers);
        for (InetSocketAddress s : servers) {
            if (s.isUnresolved()) {
                throw new IllegalArgumentException("servers: " + s + " (expected: an IP address and port)");
            }
        }
        if (queryTimeout.toMillis() < 10 || queryTimeout.compareTo(Duration.ofSeconds(30)) > 0) {
            throw new IllegalArgumentException("queryTimeout: " + queryTimeout + " (expected: 10ms .. 30s)");
        }
        if (maxTtl.isNegative() || maxTtl.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("maxTtl: " + maxTtl + " (expected: 0 .. 1d)");
        }
        if (serveStale.isNegative() || serveStale.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("serveStale: " + serveStale + " (expected: 0 .. 1d)");
        }
    }

    /** With the default {@link #DEFAULT_SERVE_STALE}. */
    public DnsSettings(List<InetSocketAddress> servers, Duration queryTimeout, Duration maxTtl) {
        this(servers, queryTimeout, maxTtl, DEFAULT_SERVE_STALE);
    }

    public static DnsSettings defaults() {
        return new DnsSettings(List.of(), DEFAULT_QUERY_TIMEOUT, DEFAULT_MAX_TTL, DEFAULT_SERVE_STALE);
    }
}
