package io.clawgress.api;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What the data path knows about a flow when it asks for a decision. Later stages (SNI, Host, JWT) add fields.
 *
 * @param flowId              unique id of the flow within this daemon's lifetime
 * @param source              the agent's address and port
 * @param originalDestination where the agent was connecting to (the accepted socket's local address under TPROXY)
 */
public record FlowFacts(String flowId, InetSocketAddress source, InetSocketAddress originalDestination) {
    public FlowFacts {
        Objects.requireNonNull(flowId, "flowId");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(originalDestination, "originalDestination");
    }
}
