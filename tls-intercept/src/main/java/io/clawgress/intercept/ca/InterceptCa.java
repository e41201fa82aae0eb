package io.clawgress.intercept.ca;

import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The intercept root CA: agents trust it, and it signs the short-lived {@link Intermediate}s that sign the minted
 * leaves. Generated at first start in {@code state_dir/intercept-ca/} (mode 0700) as an EC P-256 key
 * ({@value #KEY_FILE}, PKCS #8 PEM, mode 0600) and a self-signed certificate ({@value #CERT_FILE}, mode 0644):
 * {@code CN=Clawgress Intercept Root <8 hex>, O=Clawgress}, pathLen 1, keyCertSign and cRLSign, ten years. Later
 * starts load and check it; nothing ever overwrites it.
 *
 * <p>Threads: {@link #openOrCreate} and {@link #exportPem(Path)} block on the disk and generate keys, so they run at
 * start-up or in the CLI. {@link #issueIntermediate} generates a key: call it off the event loop (bundle activation).
 * The other methods are cheap and thread-safe.
 */
public final class InterceptCa {

    /** The CA directory's name under {@code state_dir}. */
    public static final String DIRECTORY = "intercept-ca";
    public static final String KEY_FILE = "intercept-root.key.pem";
    public static final String CERT_FILE = "intercept-root.pem";
    public static final String ROOT_CN_PREFIX = "Clawgress Intercept Root";
    public static final String INTERMEDIATE_CN_PREFIX = "Clawgress Intercept Intermediate";
    /** Intermediates live a week, and {@link InterceptIssuer} re-issues them at half life. */
    public static final Duration DEFAULT_INTERMEDIATE_LIFETIME = Duration.ofDays(7);

    private static final String ROLE = "intercept CA";

    private final RootCa root;
    private final Clock clock;

    private InterceptCa(RootCa root, Clock clock) {
        this.root = root;
        this.clock = clock;
    }

    /** {@code stateDir/intercept-ca}. */
    public static Path directoryIn(Path stateDir) {
        return stateDir.resolve(DIRECTORY);
    }

    /**
     * Loads the intercept CA from {@code caDir}, generating it if the directory has neither file. Blocking.
     *
     * @throws CaException with a message that names the file and the remedy when the directory or the key is
     *                     readable by others, one file is missing, a file is corrupted, the key does not match the
     *                     certificate, or the certificate is not a CA or is expired
     */
    public static InterceptCa openOrCreate(Path caDir, Clock clock) throws CaException {
        Objects.requireNonNull(caDir, "caDir");
        Objects.requireNonNull(clock, "clock");
        return new InterceptCa(RootCa.openOrCreate(ROLE, caDir, KEY_FILE, CERT_FILE, ROOT_CN_PREFIX, clock), clock);
    }

    /**
     * The root certificate in {@code caDir} as PEM, for {@code clawgressctl ca export}: reads only the certificate
     * (the key may belong to another user), checks that it is one self-signed CA certificate, and does not create
     * anything. Blocking.
     */
    public static String exportPem(Path caDir) throws CaException {
        Path certFile = caDir.resolve(CERT_FILE);
        if (!CaFiles.isRegularFile(certFile)) {
            throw new CaException(ROLE + ": " + certFile + " does not exist (expected: clawgressd generates it at"
                    + " first start; is state_dir right?)");
        }
        return Pem.certificate(RootCa.readCertificate(ROLE, certFile, ""));
    }

    /** The root certificate that agents trust. */
    public X509Certificate certificate() {
        return root.cert();
    }

    /** The root certificate as PEM, what {@code clawgressctl ca export} prints. */
    public String exportPem() {
        return Pem.certificate(root.cert());
    }

    public Path certificateFile() {
        return root.certFile();
    }

    /** Whether this start generated the CA (then agents do not trust it yet: log how to export it). */
    public boolean created() {
        return root.created();
    }

    /**
     * Issues an intermediate for {@code names}, with a fresh P-256 key that lives only in memory. Validity: from
     * five minutes ago for {@code lifetime}, cut at the root's own expiry. Extensions: basicConstraints cA, pathLen
     * 0; keyUsage keyCertSign, cRLSign; extendedKeyUsage serverAuth (it can vouch for TLS servers only);
     * nameConstraints, critical (RFC 5280 §4.2.1.10), as {@link InterceptNames} describes, plus every IPv4 and IPv6
     * address excluded. Generates a key: off the event loop.
     *
     * @throws IllegalArgumentException when {@code names} is empty (RFC 5280 forbids an empty permittedSubtrees;
     *                                  with nothing to intercept there is no intermediate) or {@code lifetime} is
     *                                  not positive
     */
    public Intermediate issueIntermediate(InterceptNames names, Duration lifetime) {
        Objects.requireNonNull(names, "names");
        Objects.requireNonNull(lifetime, "lifetime");
        if (names.isEmpty()) {
            throw new IllegalArgumentException("names: empty (expected: at least one intercepted name)");
        }
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("lifetime: " + lifetime + " (expected: > 0)");
        }
        Certs.P256Key key = Certs.newP256Key();
        Instant now = clock.instant();
        Instant notBefore = now.minus(Certs.BACKDATE);
        Instant notAfter = now.plus(lifetime);
        Instant rootNotAfter = root.cert().getNotAfter().toInstant();
        if (notAfter.isAfter(rootNotAfter)) {
            notAfter = rootNotAfter;
        }
        X500Name issuer = X500Name.getInstance(root.cert().getSubjectX500Principal().getEncoded());
        X500Name subject = Certs.name(INTERMEDIATE_CN_PREFIX + " " + Certs.randomTag(), RootCa.ORGANIZATION);
        X509v3CertificateBuilder b = Certs.builder(issuer, subject, key.publicKeyInfo(), notBefore, notAfter);
        try {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.nameConstraints, true, nameConstraints(names));
            b.addExtension(Extension.subjectKeyIdentifier, false, Certs.subjectKeyId(key.publicKeyInfo()));
            b.addExtension(Extension.authorityKeyIdentifier, false, Certs.authorityKeyId(root.cert().getPublicKey()));
        } catch (CertIOException e) {
            throw new IllegalStateException("cannot encode an intermediate extension", e);
        }
        X509Certificate cert = Certs.sign(b, root.key());
        return new Intermediate(names, key.signingKey(), cert, root.cert());
    }

    /** Permitted and excluded subtrees for {@code names}: the mapping {@link InterceptNames} documents. */
    static NameConstraints nameConstraints(InterceptNames names) {
        List<GeneralSubtree> permitted = new ArrayList<>();
        for (String dns : names.permittedDnsSubtrees()) {
            permitted.add(new GeneralSubtree(new GeneralName(GeneralName.dNSName, dns)));
        }
        List<GeneralSubtree> excluded = new ArrayList<>();
        for (String dns : names.excludedDnsSubtrees()) {
            excluded.add(new GeneralSubtree(new GeneralName(GeneralName.dNSName, dns)));
        }
        // iPAddress constraints are address and mask (RFC 5280 §4.2.1.10): all zeros is every address.
        excluded.add(new GeneralSubtree(new GeneralName(GeneralName.iPAddress, new DEROctetString(new byte[8]))));
        excluded.add(new GeneralSubtree(new GeneralName(GeneralName.iPAddress, new DEROctetString(new byte[32]))));
        return new NameConstraints(permitted.toArray(GeneralSubtree[]::new), excluded.toArray(GeneralSubtree[]::new));
    }
}
