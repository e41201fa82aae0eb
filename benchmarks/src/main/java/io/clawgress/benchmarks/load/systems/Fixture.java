package io.clawgress.benchmarks.load.systems;

import io.clawgress.testing.netns.Topology;

import java.nio.file.Path;

/**
 * What every system needs to know about the benchmark's network and certificates.
 *
 * @param topology       the three namespaces; systems run in {@code topology.gateway()}
 * @param dir            a directory for the systems' configs, state and logs (world-readable: Squid drops to its
 *                       own user)
 * @param upstreamIp     the upstream server's address (198.18.2.2)
 * @param dnsIp          the DNS server (in the upstream namespace) that resolves the benchmark's names
 * @param passthroughSni the name the passthrough scenarios use (splice after the SNI peek)
 * @param interceptSni   the name the intercept scenarios use
 * @param upstreamCa     the CA that issued the upstream server's certificate (PEM)
 * @param mitmCaCert     the CA HAProxy and Squid mint intercept certificates with (PEM)
 * @param mitmCaKey      its key (PEM)
 * @param mitmDefault    a default certificate + key PEM for HAProxy's TLS bind
 */
public record Fixture(Topology topology, Path dir, String upstreamIp, String dnsIp, String passthroughSni,
                      String interceptSni, Path upstreamCa, Path mitmCaCert, Path mitmCaKey, Path mitmDefault) {

    /** The agent subnet the TPROXY rules and the policies name. */
    public static final String AGENT_CIDR = Topology.AGENT_CIDR;
}
