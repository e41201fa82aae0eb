package io.clawgress.tproxy.origdst;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Refuses flows whose original destination is one of the gateway's own listener addresses: relaying them would
 * connect the gateway to itself, forever. With a wildcard listener every local address counts; the set of local
 * addresses is a snapshot refreshed off the event loop ({@link #refresh()}), read without locks on it.
 */
public final class LoopGuard {

    private final InetSocketAddress listener;
    private final Supplier<Set<InetAddress>> localAddresses;
    private volatile Set<InetAddress> snapshot;

    public LoopGuard(InetSocketAddress listener) {
        this(listener, LoopGuard::interfaceAddresses);
    }

    LoopGuard(InetSocketAddress listener, Supplier<Set<InetAddress>> localAddresses) {
        this.listener = listener;
        this.localAddresses = localAddresses;
        refresh();
    }

    /** Re-reads the local addresses. Blocking (netlink): call from a background thread, never an event loop. */
    public void refresh() {
        snapshot = Set.copyOf(localAddresses.get());
    }

    /** Whether connecting to {@code destination} would reach our own listener. Runs on an event loop. */
    public boolean isLoop(InetSocketAddress destination) {
        if (destination.getPort() != listener.getPort()) {
            return false;
        }
        InetAddress dst = destination.getAddress();
        InetAddress bound = listener.getAddress();
        if (!bound.isAnyLocalAddress()) {
            return bound.equals(dst) || dst.isAnyLocalAddress() || dst.isLoopbackAddress();
        }
        return dst.isAnyLocalAddress() || dst.isLoopbackAddress() || snapshot.contains(dst);
    }

    private static Set<InetAddress> interfaceAddresses() {
        Set<InetAddress> out = new HashSet<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                out.addAll(Collections.list(nif.getInetAddresses()).stream()
                        .map(LoopGuard::withoutScope).toList());
            }
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list local addresses: " + e.getMessage(), e);
        }
        return out;
    }

    private static InetAddress withoutScope(InetAddress a) {
        try {
            return InetAddress.getByAddress(a.getAddress());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
