package io.clawgress.api;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What the data path knows about a flow when it asks for a decision. Later stages (SNI, Host, JWT) add fields.
 *
 * @param flowId              unique id of the flow within this daemon's lifetime
 * @param source              the agent's address and port
 * @param originalDestination where the agent was connecting to (the accepted socket's local address under TPROXY)
 * @param peek                what the first bytes claimed
 */
public record FlowFacts(String flowId, InetSocketAddress source, InetSocketAddress originalDestination,
                        PeekFacts peek) {
    public FlowFacts {
        Objects.requireNonNull(flowId, "flowId");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(originalDestination, "originalDestination");
        Objects.requireNonNull(peek, "peek");
    }

    /** Facts of a flow whose bytes were not peeked. */
    public FlowFacts(String flowId, InetSocketAddress source, InetSocketAddress originalDestination) {
        this(flowId, source, originalDestination, PeekFacts.none());
    }

    /** The same flow with what its first bytes claimed. */
    public FlowFacts withPeek(PeekFacts peeked) {
        return new FlowFacts(flowId, source, originalDestination, peeked);
    }
}
