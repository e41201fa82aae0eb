package io.clawgress.api;

/**
 * Hears what happens on the data path that no record carries: how long a peek and a decision took, how each name
 * lookup went, why a presented identity proved nothing. The daemon turns these into metrics; everything a record
 * carries (verdicts, terminations, bytes) is counted from the records instead ({@link AuditSink}).
 *
 * <p>Called on data-plane event loops, once per event: an implementation must not block, throw or allocate per
 * call beyond a lookup of what it already holds. Every method does nothing by default.
 */
public interface DataPathObserver {

    /** Observes nothing. */
    DataPathObserver NONE = new DataPathObserver() {
    };

    /** How a peek ended. The {@link #code()} is stable (a metric label). */
    enum PeekOutcome {
        /** A complete TLS ClientHello. */
        TLS("tls"),
        /** A complete HTTP/1.x request head. */
        HTTP("http"),
        /** Neither: decided on the address. */
        OPAQUE("opaque"),
        /** Broken or oversized input: the flow was denied. */
        MALFORMED("malformed"),
        /** Nothing complete within the peek timeout: the flow was denied. */
        TIMEOUT("timeout");

        private final String code;

        PeekOutcome(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** What a decision was about. The {@link #code()} is stable (a metric label). */
    enum DecisionKind {
        /** A connection, after its peek. */
        FLOW("flow"),
        /** One HTTP request behind the L7 gate. */
        REQUEST("request");

        private final String code;

        DecisionKind(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** How one name lookup on the gateway's own resolvers went. The {@link #code()} is stable (a metric label). */
    enum DnsOutcome {
        /** At least one address came back (whether the gateway may dial it is decided after). */
        OK("ok"),
        /**
         * The resolvers failed (timeout, SERVFAIL, ...) and the name's last good answer, received within
         * {@code dns.serve_stale}, was used instead (RFC 8767).
         */
        STALE("stale"),
        /** The name does not exist (RCODE 3, RFC 1035 §4.1.1). */
        NXDOMAIN("nxdomain"),
        /** No resolver answered within the query timeout. */
        TIMEOUT("timeout"),
        /** Any other failure: SERVFAIL, REFUSED, no address records, an unreadable answer. */
        ERROR("error");

        private final String code;

        DnsOutcome(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /**
     * A peek ended.
     *
     * @param nanos from the start of the peek to its end
     */
    default void peekFinished(PeekOutcome outcome, long nanos) {
    }

    /**
     * The decider answered.
     *
     * @param nanos the time the decider took
     */
    default void decided(DecisionKind kind, long nanos) {
    }

    /** A name lookup for a relay to an allowed name finished. */
    default void dnsLookup(DnsOutcome outcome) {
    }

    /**
     * A request was refused because the agent's identity proved nothing where one was needed (answered 407).
     *
     * @param reasonCode the stable snake_case code the 407 carries ({@code jwt_expired}, {@code jwt_bad_signature},
     *                   {@code client_cert_untrusted}, {@code agent_unknown}, {@code identity_required}, ...)
     */
    default void identityFailure(String reasonCode) {
    }
}
