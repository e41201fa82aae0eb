package io.clawgress.intercept.ca;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * A client certificate for one agent and its key, as {@code clawgressctl agent cert <id>} hands them out.
 *
 * @param agentId       the agent id
 * @param spiffeId      {@code spiffe://<trust-domain>/agent/<id>}, the certificate's URI subjectAltName
 * @param privateKey    the agent's key (EC P-256)
 * @param certificate   the agent's certificate
 * @param caCertificate the agents' CA that issued it
 */
public record AgentCertificate(String agentId, String spiffeId, PrivateKey privateKey, X509Certificate certificate,
                               X509Certificate caCertificate) {

    public AgentCertificate {
        AgentIds.requireAgentId("agentId", agentId);
        Objects.requireNonNull(spiffeId, "spiffeId");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(caCertificate, "caCertificate");
    }

    /** The certificate alone, PEM ({@code curl --cert}). */
    public String certificatePem() {
        return Pem.certificate(certificate);
    }

    /** The key, unencrypted PKCS #8 PEM ({@code curl --key}); write it mode 0600. */
    public String privateKeyPem() {
        return Pem.privateKey(privateKey);
    }

    /**
     * Key and chain (certificate, agents' CA) as PKCS #12 under the alias {@code agentId}, protected with
     * {@code password} (the JDK's defaults: PBES2 AES-256 and an HMAC-SHA256 MAC, which OpenSSL 1.1.1 and later
     * read).
     *
     * @throws IllegalArgumentException when the password is empty
     */
    public byte[] pkcs12(char[] password) {
        Objects.requireNonNull(password, "password");
        if (password.length == 0) {
            throw new IllegalArgumentException("password: empty (expected: a PKCS#12 password)");
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(agentId, privateKey, password, new Certificate[] {certificate, caCertificate});
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ks.store(out, password);
            return out.toByteArray();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot write PKCS#12: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "AgentCertificate[" + spiffeId + ", serial=" + certificate.getSerialNumber().toString(16)
                + ", notAfter=" + certificate.getNotAfter().toInstant() + "]";
    }
}
