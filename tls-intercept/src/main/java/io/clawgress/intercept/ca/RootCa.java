package io.clawgress.intercept.ca;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;

/**
 * A self-signed EC P-256 root CA kept as two PEM files in a private directory: the key (PKCS #8, mode 0600) and
 * the certificate (mode 0644). Created once, then only ever loaded and checked. Blocking: start-up or CLI only.
 *
 * @param role     what the CA is for, as messages name it ({@code intercept CA}, {@code agents' CA})
 * @param keyFile  the private key file
 * @param certFile the certificate file
 * @param key      the private key
 * @param cert     the certificate
 * @param created  whether this call generated the CA
 */
record RootCa(String role, Path keyFile, Path certFile, PrivateKey key, X509Certificate cert, boolean created) {

    static final Duration LIFETIME = Duration.ofDays(3650);
    static final String ORGANIZATION = "Clawgress";

    RootCa {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(keyFile, "keyFile");
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(cert, "cert");
    }

    /**
     * Loads the CA from {@code dir}, or generates it when neither file exists. Refuses, with a message saying what
     * to do, a directory or key others can read, one file without the other, a corrupted file, a key that does not
     * match the certificate, a certificate that is not a CA, or one outside its validity period.
     *
     * @param cnPrefix the subject CN without the random tag, e.g. {@code Clawgress Intercept Root}
     */
    static RootCa openOrCreate(String role, Path dir, String keyName, String certName, String cnPrefix, Clock clock)
            throws CaException {
        CaFiles.ensurePrivateDirectory(dir);
        Path keyFile = dir.resolve(keyName);
        Path certFile = dir.resolve(certName);
        boolean haveKey = CaFiles.exists(keyFile);
        boolean haveCert = CaFiles.exists(certFile);
        if (haveKey && haveCert) {
            return load(role, keyFile, certFile, clock);
        }
        if (haveKey || haveCert) {
            Path present = haveKey ? keyFile : certFile;
            Path missing = haveKey ? certFile : keyFile;
            throw new CaException(role + ": " + present + " exists but " + missing + " does not (expected: both or"
                    + " neither). Restore the missing file from a backup, or move " + present + " aside to generate a"
                    + " new CA (agents must then trust the new one)");
        }
        return create(role, keyFile, certFile, cnPrefix, clock);
    }

    private static RootCa create(String role, Path keyFile, Path certFile, String cnPrefix, Clock clock)
            throws CaException {
        Certs.P256Key key = Certs.newP256Key();
        Instant now = clock.instant();
        X500Name subject = Certs.name(cnPrefix + " " + Certs.randomTag(), ORGANIZATION);
        X509v3CertificateBuilder b = Certs.builder(subject, subject, key.publicKeyInfo(), now.minus(Certs.BACKDATE),
                now.plus(LIFETIME));
        try {
            // pathLen 1: the root signs intermediates, and they sign leaves only (RFC 5280 §4.2.1.9).
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(1));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, Certs.subjectKeyId(key.publicKeyInfo()));
        } catch (CertIOException e) {
            throw new IllegalStateException("cannot encode a root CA extension", e);
        }
        X509Certificate cert = Certs.sign(b, key.signingKey());
        try {
            // Key first: a crash in between leaves a key without a certificate, which the next start refuses
            // with a message, rather than a certificate nobody holds the key for.
            CaFiles.writeNew(keyFile, Pem.privateKey(key.privateKey()), CaFiles.KEY_0600);
            CaFiles.writeNew(certFile, Pem.certificate(cert), CaFiles.CERT_0644);
        } catch (FileAlreadyExistsException e) {
            throw new CaException(role + ": " + e.getFile() + " appeared while the CA was being generated (another"
                    + " process generating it at the same time?); not overwriting it. Start again to load it", e);
        } catch (IOException e) {
            throw new CaException(role + ": cannot write " + keyFile.getParent() + ": " + e, e);
        }
        return new RootCa(role, keyFile, certFile, key.privateKey(), cert, true);
    }

    private static RootCa load(String role, Path keyFile, Path certFile, Clock clock) throws CaException {
        String moveAside = " Move " + keyFile.getParent() + " aside to generate a new CA (agents must then trust the"
                + " new one), or restore it from a backup";
        if (!CaFiles.isRegularFile(keyFile) || !CaFiles.isRegularFile(certFile)) {
            throw new CaException(role + ": " + keyFile + " and " + certFile + " must be regular files (not links"
                    + " or directories)");
        }
        CaFiles.requireNoGroupOrOtherAccess(keyFile, role + " key", "chmod 600 " + keyFile);
        X509Certificate cert = readCertificate(role, certFile, moveAside);
        PrivateKey key;
        try {
            key = Pem.readEcPrivateKey(CaFiles.readSmallText(keyFile));
        } catch (IOException | GeneralSecurityException e) {
            throw new CaException(role + ": " + keyFile + " is not a readable EC private key: " + e.getMessage()
                    + "." + moveAside, e);
        }
        if (!Certs.isP256(key) || !Certs.isP256(cert.getPublicKey())) {
            throw new CaException(role + ": " + keyFile + " / " + certFile + " hold a key that is not EC P-256"
                    + " (expected: the P-256 key Clawgress generated)." + moveAside);
        }
        if (!Certs.keyMatches(key, cert)) {
            throw new CaException(role + ": the key in " + keyFile + " does not match the certificate in " + certFile
                    + "." + moveAside);
        }
        try {
            cert.checkValidity(Date.from(clock.instant()));
        } catch (CertificateExpiredException e) {
            throw new CaException(role + ": " + certFile + " expired on " + cert.getNotAfter().toInstant() + "."
                    + moveAside, e);
        } catch (CertificateNotYetValidException e) {
            throw new CaException(role + ": " + certFile + " is not valid before " + cert.getNotBefore().toInstant()
                    + " (is the system clock right?)", e);
        }
        return new RootCa(role, keyFile, certFile, key, cert, false);
    }

    /**
     * Reads and checks a root certificate file: exactly one self-signed CA certificate that may sign certificates.
     * Validity is the caller's to check.
     */
    static X509Certificate readCertificate(String role, Path certFile, String remedy) throws CaException {
        List<X509Certificate> certs;
        try {
            certs = Pem.readCertificates(CaFiles.readSmallText(certFile));
        } catch (IOException | GeneralSecurityException e) {
            throw new CaException(role + ": " + certFile + " is not a readable PEM certificate: " + e.getMessage()
                    + "." + remedy, e);
        }
        if (certs.size() != 1) {
            throw new CaException(role + ": " + certFile + " holds " + certs.size() + " certificates (expected: 1)."
                    + remedy);
        }
        X509Certificate cert = certs.getFirst();
        boolean[] ku = cert.getKeyUsage();
        if (cert.getBasicConstraints() < 0 || ku == null || ku.length <= 5 || !ku[5]) {
            throw new CaException(role + ": " + certFile + " is not a CA certificate (expected: basicConstraints"
                    + " cA=true and keyUsage keyCertSign)." + remedy);
        }
        try {
            if (!cert.getIssuerX500Principal().equals(cert.getSubjectX500Principal())) {
                throw new GeneralSecurityException("issuer differs from subject");
            }
            cert.verify(cert.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new CaException(role + ": " + certFile + " is not a self-signed root (" + e.getMessage() + ")."
                    + remedy, e);
        }
        return cert;
    }
}
