package io.clawgress.enforcement.policy;

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
 */
public record Destination(HostPattern host, Cidr cidr, PortSet ports) {

    public Destination {
        Objects.requireNonNull(ports, "ports");
        if ((host == null) == (cidr == null)) {
            throw new IllegalArgumentException("host: " + host + ", cidr: " + cidr
                    + " (expected: exactly one of host and cidr)");
        }
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
        return (host != null ? host.toString() : cidr.toString()) + (ports == PortSet.ANY ? "" : " port " + ports);
    }
}
