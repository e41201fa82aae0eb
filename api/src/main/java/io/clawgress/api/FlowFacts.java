package io.clawgress.api;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * What the data path knows about a flow (or, behind the L7 gate, one request of it) when it asks for a decision.
 *
 * @param flowId              unique id of the flow within this daemon's lifetime
 * @param source              the agent's address and port
 * @param originalDestination where the agent was connecting to (the accepted socket's local address under TPROXY)
 * @param peek                what the first bytes claimed (or, per request, that request's Host, method and target)
 * @param presented           an identity the agent proved on this flow (mTLS client certificate, verified JWT), which
 *                            takes precedence over the source's subnet binding; empty when it proved none
 */
public record FlowFacts(String flowId, InetSocketAddress source, InetSocketAddress originalDestination,
                        PeekFacts peek, Optional<Identity> presented) {
    public FlowFacts {
        Objects.requireNonNull(flowId, "flowId");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(originalDestination, "originalDestination");
        Objects.requireNonNull(peek, "peek");
        Objects.requireNonNull(presented, "presented");
    }

    /** Facts of a flow with what its first bytes claimed and no proven identity. */
    public FlowFacts(String flowId, InetSocketAddress source, InetSocketAddress originalDestination,
                     PeekFacts peek) {
        this(flowId, source, originalDestination, peek, Optional.empty());
    }

    /** Facts of a flow whose bytes were not peeked. */
    public FlowFacts(String flowId, InetSocketAddress source, InetSocketAddress originalDestination) {
        this(flowId, source, originalDestination, PeekFacts.none());
    }

    /** The same flow with what its first bytes claimed. */
    public FlowFacts withPeek(PeekFacts peeked) {
        return new FlowFacts(flowId, source, originalDestination, peeked, presented);
    }

    /** The same flow with an identity the agent proved (mTLS, JWT). */
    public FlowFacts withPresented(Identity identity) {
        return new FlowFacts(flowId, source, originalDestination, peek, Optional.of(identity));
    }
}
