package io.clawgress.tproxy.flow;

import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What an open flow looks like at one moment (admin API {@code GET /v1/flows}): taken on the flow's event loop, then
 * immutable, so any thread may read it.
 *
 * @param flowId              the flow id, as its record will have it
 * @param start               when the connection was accepted
 * @param source              the agent's address and port
 * @param originalDestination where the agent was connecting
 * @param peek                what the first bytes claimed so far ({@link PeekFacts#none()} while peeking)
 * @param identity            the agent, once identified
 * @param state               where the flow is in its pipeline
 * @param verdict             {@code relay}, {@code intercept} or {@code deny}, or {@code null} before the decision
 * @param rule                the deciding rule, or {@code null} before the decision
 * @param policyRevision      the revision of the latest decision on this flow, or {@code none}
 * @param dialled             the address the relay dials, or {@code null} before the dial
 * @param bytesUp             bytes read from the agent so far
 * @param bytesDown           bytes handed to the agent so far
 * @param requests            HTTP requests decided behind the L7 gate so far
 */
public record OpenFlow(String flowId, Instant start, InetSocketAddress source, InetSocketAddress originalDestination,
                       PeekFacts peek, Optional<Identity> identity, State state, String verdict, String rule,
                       String policyRevision, InetSocketAddress dialled, long bytesUp, long bytesDown, int requests) {

    /** Where an open flow is in its pipeline (FlowPipeline's stages). */
    public enum State {
        /** Waiting for the ClientHello or request head. */
        PEEKING("peeking"),
        /** Peeked; the decision (or the name resolution before the dial) is under way. */
        DECIDING("deciding"),
        /** Allowed; the upstream's TCP handshake is under way. */
        CONNECTING("connecting"),
        /** Relaying bytes both ways (behind the L7 gate for plaintext HTTP). */
        RELAYING("relaying"),
        /** TLS terminated by the gateway, each request decided behind the L7 gate. */
        INTERCEPTING("intercepting"),
        /** Denied: the gateway's own answer is on its way, then the connection closes. */
        DENYING("denying"),
        /** Its ending is decided; the sockets are closing and the record is about to be written. */
        CLOSING("closing");

        private final String code;

        State(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    public OpenFlow {
        Objects.requireNonNull(flowId, "flowId");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(originalDestination, "originalDestination");
        Objects.requireNonNull(peek, "peek");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(policyRevision, "policyRevision");
        if (bytesUp < 0 || bytesDown < 0 || requests < 0) {
            throw new IllegalArgumentException("bytesUp " + bytesUp + ", bytesDown " + bytesDown + ", requests "
                    + requests + " (expected: >= 0)");
        }
    }

    /** The agent id, or {@code null} while the flow has no identity. */
    public String agentId() {
        return identity.map(Identity::agentId).orElse(null);
    }
}
