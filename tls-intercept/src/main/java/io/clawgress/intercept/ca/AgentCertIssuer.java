package io.clawgress.intercept.ca;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The agents' CA and the client certificates it issues ({@code clawgressctl agent cert <id>}, DESIGN.md §4). A root
 * of its own, separate from the intercept CA, in the same directory: {@value #KEY_FILE} (mode 0600) and
 * {@value #CERT_FILE}, EC P-256, {@code CN=Clawgress Agents Root <8 hex>, O=Clawgress}, generated at first use.
 *
 * <p>An agent certificate: a fresh EC P-256 key; subject {@code CN=<id>, O=Clawgress} (the CN only when the id fits
 * the 64-character CN bound, RFC 5280 Appendix A); URI subjectAltName {@code spiffe://<trust-domain>/agent/<id>}
 * (an X.509-SVID, SPIFFE X509-SVID spec §2); keyUsage digitalSignature; extendedKeyUsage clientAuth; random 128-bit
 * serial; valid from five minutes ago for the requested time, never past the CA.
 *
 * <p>Threads: everything here blocks (disk, key generation); CLI or start-up only.
 */
public final class AgentCertIssuer {

    public static final String KEY_FILE = "agents-root.key.pem";
    public static final String CERT_FILE = "agents-root.pem";
    public static final String ROOT_CN_PREFIX = "Clawgress Agents Root";

    private static final String ROLE = "agents' CA";

    private final RootCa root;
    private final String trustDomain;
    private final Clock clock;

    private AgentCertIssuer(RootCa root, String trustDomain, Clock clock) {
        this.root = root;
        this.trustDomain = trustDomain;
        this.clock = clock;
    }

    /**
     * Loads the agents' CA from {@code caDir} ({@code state_dir/intercept-ca}), generating it if neither file exists.
     *
     * @param trustDomain the SPIFFE trust domain of issued certificates, e.g. {@code agents.example.com}
     * @throws CaException as {@link InterceptCa#openOrCreate} does
     */
    public static AgentCertIssuer openOrCreate(Path caDir, String trustDomain, Clock clock) throws CaException {
        Objects.requireNonNull(caDir, "caDir");
        Objects.requireNonNull(clock, "clock");
        AgentIds.requireTrustDomain(trustDomain);
        return new AgentCertIssuer(RootCa.openOrCreate(ROLE, caDir, KEY_FILE, CERT_FILE, ROOT_CN_PREFIX, clock),
                trustDomain, clock);
    }

    /**
     * The agents' CA certificate in {@code caDir}, without reading its key or creating anything: what the daemon
     * needs to check client certificates. Blocking.
     */
    public static X509Certificate readCaCertificate(Path caDir) throws CaException {
        Path certFile = caDir.resolve(CERT_FILE);
        if (!CaFiles.isRegularFile(certFile)) {
            throw new CaException(ROLE + ": " + certFile + " does not exist (expected: generated at first start"
                    + " or by the first 'clawgressctl agent cert')");
        }
        return RootCa.readCertificate(ROLE, certFile, "");
    }

    public String trustDomain() {
        return trustDomain;
    }

    public X509Certificate caCertificate() {
        return root.cert();
    }

    public String caCertificatePem() {
        return Pem.certificate(root.cert());
    }

    /** Whether this call generated the agents' CA. */
    public boolean created() {
        return root.created();
    }

    /**
     * Issues a client certificate for {@code agentId}, valid for {@code validity} (cut at the CA's expiry).
     *
     * @throws IllegalArgumentException when {@code agentId} cannot be a SPIFFE ID path segment or {@code validity}
     *                                  is not positive
     */
    public AgentCertificate issue(String agentId, Duration validity) {
        AgentIds.requireAgentId("agentId", agentId);
        Objects.requireNonNull(validity, "validity");
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity: " + validity + " (expected: > 0)");
        }
        Certs.P256Key key = Certs.newP256Key();
        Instant now = clock.instant();
        Instant notAfter = now.plus(validity);
        Instant caNotAfter = root.cert().getNotAfter().toInstant();
        if (notAfter.isAfter(caNotAfter)) {
            notAfter = caNotAfter;
        }
        String spiffeId = AgentIds.spiffeId(trustDomain, agentId);
        X500Name issuer = X500Name.getInstance(root.cert().getSubjectX500Principal().getEncoded());
        X500Name subject = Certs.name(agentId.length() <= 64 ? agentId : null, RootCa.ORGANIZATION);
        X509v3CertificateBuilder b = Certs.builder(issuer, subject, key.publicKeyInfo(), now.minus(Certs.BACKDATE),
                notAfter);
        try {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)));
            b.addExtension(Extension.subjectKeyIdentifier, false, Certs.subjectKeyId(key.publicKeyInfo()));
            b.addExtension(Extension.authorityKeyIdentifier, false, Certs.authorityKeyId(root.cert().getPublicKey()));
        } catch (CertIOException e) {
            throw new IllegalStateException("cannot encode an agent certificate extension", e);
        }
        X509Certificate cert = Certs.sign(b, root.key());
        return new AgentCertificate(agentId, spiffeId, key.privateKey(), cert, root.cert());
    }
}
