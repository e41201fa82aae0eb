package io.clawgress.enforcement.policy;

import io.clawgress.api.DialMode;
import io.clawgress.enforcement.net.Cidr;
import io.clawgress.enforcement.net.HostPattern;
import io.clawgress.enforcement.net.PortSet;

import java.util.Objects;

/**
 * Where a rule applies: a host name (exact or {@code *.suffix}, matched against the name the flow claimed: TLS SNI
 * or HTTP Host) or an address prefix (matched against the original destination), on {@code ports}.
 *
 * @param host  the host pattern, or {@code null} for an address destination
 * @param cidr  the prefix, or {@code null} for a host destination
 * @param ports the destination ports, {@link PortSet#ANY} when omitted
 * @param dial  how a flow allowed by a host destination is dialled: {@link DialMode#RESOLVED} (default) or
 *              {@link DialMode#ORIGINAL_IF_RESOLVED}; always {@link DialMode#ORIGINAL} for an address destination
 */
public record Destination(HostPattern host, Cidr cidr, PortSet ports, DialMode dial) {

    public Destination {
        Objects.requireNonNull(ports, "ports");
        Objects.requireNonNull(dial, "dial");
        if ((host == null) == (cidr == null)) {
            throw new IllegalArgumentException("host: " + host + ", cidr: " + cidr
                    + " (expected: exactly one of host and cidr)");
        }
        if ((host == null) != (dial == DialMode.ORIGINAL)) {
            throw new IllegalArgumentException("dial: " + dial.code() + " on " + (host != null ? host : cidr)
                    + " (expected: resolved or original_if_resolved on a host, original on a cidr)");
        }
    }

    /** A destination with its default dial mode: resolved for a host, original for a prefix. */
    public Destination(HostPattern host, Cidr cidr, PortSet ports) {
        this(host, cidr, ports, host != null ? DialMode.RESOLVED : DialMode.ORIGINAL);
    }

    public static Destination host(String pattern, PortSet ports) {
        return new Destination(HostPattern.parse(pattern), null, ports);
    }

    public static Destination cidr(String prefix, PortSet ports) {
        return new Destination(null, Cidr.parse(prefix), ports);
    }

    public boolean isHost() {
        return host != null;
    }

    @Override
    public String toString() {
        return (host != null ? host.toString() : cidr.toString()) + (ports == PortSet.ANY ? "" : " port " + ports)
                + (dial == DialMode.ORIGINAL_IF_RESOLVED ? " dial " + dial.code() : "");
    }
}
