package io.clawgress.appliance.agents;

import io.clawgress.enforcement.bundle.Pem;
import io.clawgress.intercept.ca.AgentCertIssuer;
import io.clawgress.intercept.ca.CaException;
import io.clawgress.intercept.ca.InterceptCa;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;

/**
 * The gateway's CA certificates as PEM, for {@code clawgressctl ca export} offline and {@code GET /v1/ca/...}
 * online. Reads only the certificate, never the key, and creates nothing. Blocking (disk).
 */
public final class CaExport {

    private CaExport() {
    }

    /**
     * The intercept root (agents trust it) or, with {@code agents}, the agents' CA (client certificates chain to it).
     *
     * @throws CaException when there is none yet (the message says who creates it) or it cannot be read
     */
    public static String pem(Path stateDir, boolean agents) throws CaException {
        Path caDir = InterceptCa.directoryIn(stateDir);
        try {
            return agents ? certificatePem(AgentCertIssuer.readCaCertificate(caDir)) : InterceptCa.exportPem(caDir);
        } catch (CaException e) {
            if (Files.exists(certFile(stateDir, agents))) {
                throw e;
            }
            String hint = agents
                    ? " (there is no agents' CA yet: clawgressd creates it at its first start, or the first"
                            + " 'clawgressctl agent cert' does)"
                    : " (there is no intercept CA yet: clawgressd creates it at its first start)";
            throw new CaException(e.getMessage() + hint, e);
        }
    }

    /** The certificate file {@link #pem} reads. */
    public static Path certFile(Path stateDir, boolean agents) {
        return InterceptCa.directoryIn(stateDir).resolve(agents ? AgentCertIssuer.CERT_FILE : InterceptCa.CERT_FILE);
    }

    /** PEM as the CA library writes it (RFC 7468 §5: 64-column base64 between the CERTIFICATE boundaries). */
    public static String certificatePem(X509Certificate cert) {
        byte[] der;
        try {
            der = cert.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode a certificate just parsed", e);
        }
        return Pem.encode("CERTIFICATE", der);
    }
}
