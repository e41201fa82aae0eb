package io.clawgress.tproxy.identity;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;

/**
 * Names the agent behind a client certificate presented to the gateway when it terminates TLS (DESIGN.md §4: the
 * URI SAN {@code spiffe://<trust-domain>/agent/<id>} or the CN, chained to the agents' CA, the agent known to the
 * registry). The TLS handshake itself only proves possession of the key; trust is decided here, after it, so each
 * failure gets its own reason code instead of a bare handshake alert.
 */
public interface ClientCertIdentifier {

    /** The CA names sent in the CertificateRequest (RFC 8446 §4.2.4) so clients pick the right certificate. */
    X509Certificate[] acceptedIssuers();

    /** Checks a presented chain (leaf first): path validation, so CPU work; the gate runs it on a worker thread. */
    IdentityCheck identify(Certificate[] chain);
}
