package io.clawgress.api;

/**
 * How a flow ended. The {@link #code()} is stable: it is used in flow/audit records, metrics and the CLI.
 * Never rename a code; add new ones.
 */
public enum Termination {
    /** Both directions finished with FIN and everything was relayed. */
    COMPLETED("completed"),
    /** The policy denied the flow. */
    POLICY_DENIED("policy_denied"),
    /** The original destination is one of the gateway's own listener addresses. */
    LOOP("loop"),
    /** The global connection cap ({@code connection_limit}) was reached. */
    CONNECTION_LIMIT("connection_limit"),
    /** The upstream did not complete the TCP handshake within the connect timeout. */
    UPSTREAM_CONNECT_TIMEOUT("upstream_connect_timeout"),
    /** The upstream refused the connection or was unreachable. */
    UPSTREAM_CONNECT_FAILED("upstream_connect_failed"),
    /** The upstream reset the connection or failed with an I/O error after connecting. */
    UPSTREAM_RESET("upstream_reset"),
    /** The agent reset the connection or failed with an I/O error. */
    CLIENT_RESET("client_reset"),
    /** No bytes moved in either direction for the idle timeout. */
    IDLE_TIMEOUT("idle_timeout"),
    /** The daemon stopped while the flow was open. */
    SHUTDOWN("shutdown"),
    /** A bug: an unexpected exception in our own code. The flow was reset. */
    INTERNAL_ERROR("internal_error");

    private final String code;

    Termination(String code) {
        this.code = code;
    }

    /** The stable snake_case code. */
    public String code() {
        return code;
    }
}
