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
import io.netty.util.concurrent.Promise;

import java.net.InetAddress;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's own name resolution, asynchronous on the flow's event loop (the loop never blocks on DNS). One
 * Netty {@link DnsNameResolver} per event loop, all sharing one cache that honours TTLs (capped); concurrent lookups
 * of one name on one loop share one query. Not consulted: the hosts file and search domains — a claimed name is
 * resolved exactly as sent, in the DNS.
 *
 * <p>Serve stale (RFC 8767): when the resolvers fail for a name — no answer in time, SERVFAIL, an unreadable answer —
 * its last good answer is used if it was received within {@link DnsSettings#serveStale()}. An NXDOMAIN or an empty
 * answer is an answer, not a failure, and is never papered over.
 */
public final class NameResolution implements AutoCloseable {

    /** Names whose last good answer is kept for serve-stale; past it, expired ones are swept, then none is added. */
    static final int STALE_CAPACITY = 4096;
    /** In-flight lookups consolidated per event loop (distinct names). */
    private static final int CONSOLIDATE = 1024;

    private final DnsSettings settings;
    private final Class<? extends DatagramChannel> datagramChannel;
    private final DefaultDnsCache cache;
    private final DnsServerAddressStreamProvider servers;
    private final Map<EventLoop, DnsNameResolver> resolvers = new ConcurrentHashMap<>();
    private final long serveStaleNanos;
    private final Map<String, GoodAnswer> lastGood = new ConcurrentHashMap<>();

    /** A name's last good answer and when it arrived ({@link System#nanoTime()}). */
    private record GoodAnswer(List<InetAddress> addresses, long receivedNanos) {
    }

    /** The addresses of a stale answer: a list like any other, marked so {@link #outcome} can count it. */
    private static final class StaleAnswer extends AbstractList<InetAddress> {
        private final List<InetAddress> addresses;

        StaleAnswer(List<InetAddress> addresses) {
            this.addresses = addresses;
        }

        @Override
        public InetAddress get(int index) {
            return addresses.get(index);
        }

        @Override
        public int size() {
            return addresses.size();
        }
    }

    public NameResolution(DnsSettings settings, Class<? extends DatagramChannel> datagramChannel) {
        this.settings = settings;
        this.datagramChannel = datagramChannel;
        int maxTtl = (int) Math.min(Integer.MAX_VALUE, settings.maxTtl().toSeconds());
        this.cache = new DefaultDnsCache(0, maxTtl, Math.min(maxTtl, 10));
        this.servers = settings.servers().isEmpty()
                ? DnsServerAddressStreamProviders.platformDefault()
                : new SequentialDnsServerAddressStreamProvider(settings.servers());
        this.serveStaleNanos = settings.serveStale().toNanos();
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
        Future<List<InetAddress>> lookup = resolvers.computeIfAbsent(loop, this::newResolver).resolveAll(host);
        if (serveStaleNanos == 0) {
            return lookup;
        }
        Promise<List<InetAddress>> result = loop.newPromise();
        lookup.addListener((Future<List<InetAddress>> f) -> finished(host, f, result));
        return result;
    }

    private void finished(String host, Future<List<InetAddress>> f, Promise<List<InetAddress>> result) {
        long now = System.nanoTime();
        if (f.isSuccess()) {
            remember(host, f.getNow(), now);
            result.setSuccess(f.getNow());
            return;
        }
        GoodAnswer last = lastGood.get(host);
        if (last != null && now - last.receivedNanos() <= serveStaleNanos && resolversFailed(f.cause())) {
            result.setSuccess(new StaleAnswer(last.addresses()));
        } else {
            result.setFailure(f.cause());
        }
    }

    private void remember(String host, List<InetAddress> addresses, long now) {
        if (addresses.isEmpty()) {
            return;
        }
        if (lastGood.size() >= STALE_CAPACITY && !lastGood.containsKey(host)) {
            lastGood.values().removeIf(g -> now - g.receivedNanos() > serveStaleNanos);
            if (lastGood.size() >= STALE_CAPACITY) {
                return; // wildcard rules may allow unbounded names: memory stays bounded, these just get no stale
            }
        }
        lastGood.put(host, new GoodAnswer(List.copyOf(addresses), now));
    }

    /**
     * Whether a failed lookup is the resolvers' failure (RFC 8767 §4: no answer, SERVFAIL), not an answer that says
     * there is nothing (NXDOMAIN, RFC 1035 §4.1.1; or no address records, which Netty reports without a cause).
     */
    static boolean resolversFailed(Throwable cause) {
        boolean any = false;
        for (Throwable t = cause; t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof DnsNameResolverTimeoutException) {
                return true;
            }
            if (t instanceof DnsErrorCauseException e) {
                return !DnsResponseCode.NXDOMAIN.equals(e.getCode());
            }
            any |= t != cause;
        }
        return any; // a cause beneath the UnknownHostException: an I/O error or an unreadable answer
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
                .consolidateCacheSize(CONSOLIDATE)
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
    public static DataPathObserver.DnsOutcome outcome(Future<? extends List<InetAddress>> lookup) {
        if (lookup.isSuccess()) {
            return lookup.getNow() instanceof StaleAnswer ? DataPathObserver.DnsOutcome.STALE
                    : DataPathObserver.DnsOutcome.OK;
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
