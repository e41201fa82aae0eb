package io.clawgress.intercept.ca;

/**
 * Why a presented client certificate proves no agent identity. The {@link #code()} is stable: it goes into audit
 * records, metrics and 407 bodies. Never rename a code; add new ones.
 */
public enum ClientCertFailure {
    /** No certificate, a chain that does not lead to the agents' CA, a bad signature, or not for client auth. */
    UNTRUSTED("client_cert_untrusted"),
    /** The certificate, or a CA above it, expired. */
    EXPIRED("client_cert_expired"),
    /** The certificate, or a CA above it, is not valid yet: usually a clock out of step. */
    NOT_YET_VALID("client_cert_not_yet_valid"),
    /** Trusted, but carries neither an agent SPIFFE ID nor a CN that is an agent id. */
    NO_IDENTITY("client_cert_no_identity"),
    /** Trusted, but its SPIFFE ID names another trust domain. */
    WRONG_TRUST_DOMAIN("client_cert_wrong_trust_domain");

    private final String code;

    ClientCertFailure(String code) {
        this.code = code;
    }

    /** The stable snake_case code. */
    public String code() {
        return code;
    }
}
