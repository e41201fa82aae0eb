package io.clawgress.tproxy.dns;

import io.clawgress.api.DataPathObserver;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.channel.socket.DatagramChannel;
import io.netty.resolver.HostsFileEntriesResolver;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DefaultDnsCache;
import io.netty.resolver.dns.DnsErrorCauseException;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's own name resolution, asynchronous on the flow's event loop (the loop never blocks on DNS). One
 * Netty {@link DnsNameResolver} per event loop, all sharing one cache that honours TTLs (capped). Not consulted:
 * the hosts file and search domains — a claimed name is resolved exactly as sent, in the DNS.
 */
public final class NameResolution implements AutoCloseable {

    private final DnsSettings settings;
    private final Class<? extends DatagramChannel> datagramChannel;
    private final DefaultDnsCache cache;
    private final DnsServerAddressStreamProvider servers;
    private final Map<EventLoop, DnsNameResolver> resolvers = new ConcurrentHashMap<>();

    public NameResolution(DnsSettings settings, Class<? extends DatagramChannel> datagramChannel) {
        this.settings = settings;
        this.datagramChannel = datagramChannel;
        int maxTtl = (int) Math.min(Integer.MAX_VALUE, settings.maxTtl().toSeconds());
        this.cache = new DefaultDnsCache(0, maxTtl, Math.min(maxTtl, 10));
        this.servers = settings.servers().isEmpty()
                ? DnsServerAddressStreamProviders.platformDefault()
                : new SequentialDnsServerAddressStreamProvider(settings.servers());
    }

    /** Where names are resolved, for logs. */
    public String describeServers() {
        return settings.servers().isEmpty() ? "/etc/resolv.conf" : settings.servers().toString();
    }

    /**
     * Resolves every address of {@code host} (A and AAAA, IPv4 first). Call on {@code loop}; the future completes
     * on it.
     */
    public Future<List<InetAddress>> resolveAll(String host, EventLoop loop) {
        return resolvers.computeIfAbsent(loop, this::newResolver).resolveAll(host);
    }

    private DnsNameResolver newResolver(EventLoop loop) {
        return new DnsNameResolverBuilder(loop)
                .datagramChannelType(datagramChannel)
                .nameServerProvider(servers)
                .resolveCache(cache)
                .queryTimeoutMillis(settings.queryTimeout().toMillis())
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .hostsFileEntriesResolver((name, types) -> null)
                .searchDomains(List.of())
                .ndots(1)
                .build();
    }

    /**
     * The addresses a relay may dial for a name: everything but loopback, unspecified, link-local (which holds the
     * cloud metadata service, 169.254.169.254) and multicast — a DNS answer must not steer the gateway into itself
     * or its host's metadata endpoint. (An IPv4-mapped IPv6 answer arrives as an Inet4Address: the JDK maps it.)
     */
    public static List<InetAddress> dialable(List<InetAddress> answers) {
        List<InetAddress> out = new ArrayList<>(answers.size());
        for (InetAddress a : answers) {
            if (!(a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isLinkLocalAddress()
                    || a.isMulticastAddress())) {
                out.add(a);
            }
        }
        return out;
    }

    /**
     * How a finished lookup went, for metrics: NXDOMAIN (RFC 1035 §4.1.1 RCODE 3) and resolver timeouts are told
     * apart from every other failure by the cause Netty attaches. Walks the cause chain; allocates nothing.
     */
    public static DataPathObserver.DnsOutcome outcome(Future<?> lookup) {
        if (lookup.isSuccess()) {
            return DataPathObserver.DnsOutcome.OK;
        }
        Throwable t = lookup.cause();
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
            if (t instanceof DnsNameResolverTimeoutException) {
                return DataPathObserver.DnsOutcome.TIMEOUT;
            }
            if (t instanceof DnsErrorCauseException e && DnsResponseCode.NXDOMAIN.equals(e.getCode())) {
                return DataPathObserver.DnsOutcome.NXDOMAIN;
            }
        }
        return DataPathObserver.DnsOutcome.ERROR;
    }

    @Override
    public void close() {
        resolvers.values().forEach(DnsNameResolver::close);
        resolvers.clear();
    }
}
