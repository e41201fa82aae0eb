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
    /** The agent sent no complete ClientHello or HTTP request head within the peek timeout. */
    PEEK_TIMEOUT("peek_timeout"),
    /** The TLS ClientHello is larger than the peek limit. */
    CLIENT_HELLO_TOO_LARGE("client_hello_too_large"),
    /** The TLS records or the ClientHello inside them break RFC 8446 / RFC 6066 framing. */
    CLIENT_HELLO_MALFORMED("client_hello_malformed"),
    /** The SNI extension names an invalid host name, an IP literal, or two host names (RFC 6066 §3). */
    SNI_INVALID("sni_invalid"),
    /** TLS without SNI, and no address rule allows the destination. */
    SNI_MISSING("sni_missing"),
    /** The HTTP/1.x request head is larger than the peek limit. */
    HTTP_HEAD_TOO_LARGE("http_head_too_large"),
    /** The HTTP/1.x request head breaks RFC 9112 (bad request line, bare LF, folded or duplicate Host, ...). */
    HTTP_MALFORMED("http_malformed"),
    /** The name the agent claimed does not resolve, on our resolvers, to the address it connected to. */
    NAME_ADDRESS_MISMATCH("name_address_mismatch"),
    /** The gateway could not resolve the claimed name (NXDOMAIN, no answer, resolver timeout). */
    NAME_RESOLUTION_FAILED("name_resolution_failed"),
    /** A newly activated policy no longer allows this open flow; it was reset (DESIGN.md §5). */
    POLICY_REVOKED("policy_revoked"),
    /**
     * Intercept: the upstream's certificate did not verify for the name (untrusted, expired, wrong name) or its TLS
     * handshake failed; nothing was minted and the agent got a TLS alert.
     */
    UPSTREAM_TLS_INVALID("upstream_tls_invalid"),
    /** Intercept: no certificate could be minted for the name (no intercept CA, name outside its constraints). */
    INTERCEPT_UNAVAILABLE("intercept_unavailable"),
    /** Intercept: the agent's TLS handshake with the gateway failed (it does not trust the intercept CA, ...). */
    CLIENT_TLS_FAILED("client_tls_failed"),
    /** L7: the agent's identity (JWT, client certificate) was missing or invalid where required; answered 407. */
    IDENTITY_INVALID("identity_invalid"),
    /** L7: the upstream's response could not be framed safely (RFC 9112); answered 502 or reset. */
    UPSTREAM_HTTP_MALFORMED("upstream_http_malformed"),
    /** A {@code hard_stop} rate limit of the deciding rule was exceeded (429 with Retry-After when HTTP is visible). */
    RATE_LIMITED("rate_limited"),
    /**
     * {@code audit.on_overflow: refuse_new_flows}: the audit log could not take the record (queue full, disk
     * failing), so the new flow was refused rather than admitted unrecorded.
     */
    AUDIT_UNAVAILABLE("audit_unavailable"),
    /** An operator ended the open flow through the admin API ({@code clawgressctl flows kill}); reset. */
    ADMIN_KILLED("admin_killed"),
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
