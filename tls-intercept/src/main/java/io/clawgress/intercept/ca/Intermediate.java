package io.clawgress.intercept.ca;

import org.bouncycastle.crypto.params.ECPrivateKeyParameters;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A short-lived intermediate CA, issued by {@link InterceptCa#issueIntermediate}, whose nameConstraints permit only
 * the intercepted {@link #names()}; if its key leaked, it could vouch for no other name. The key exists only in this
 * object's memory. Immutable and thread-safe.
 */
public final class Intermediate {

    private final InterceptNames names;
    private final ECPrivateKeyParameters key;
    private final X509Certificate certificate;
    private final X509Certificate root;

    Intermediate(InterceptNames names, ECPrivateKeyParameters key, X509Certificate certificate, X509Certificate root) {
        this.names = Objects.requireNonNull(names, "names");
        this.key = Objects.requireNonNull(key, "key");
        this.certificate = Objects.requireNonNull(certificate, "certificate");
        this.root = Objects.requireNonNull(root, "root");
    }

    /** The names it was issued for. */
    public InterceptNames names() {
        return names;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The intercept root that signed it. */
    public X509Certificate root() {
        return root;
    }

    public String certificatePem() {
        return Pem.certificate(certificate);
    }

    public Instant notBefore() {
        return certificate.getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return certificate.getNotAfter().toInstant();
    }

    /** Half-way through its validity: from then on {@link #needsReissue} says yes. */
    public Instant halfLife() {
        Duration lifetime = Duration.between(notBefore(), notAfter());
        return notBefore().plus(lifetime.dividedBy(2));
    }

    /** Whether a leaf may be minted for {@code host}: see {@link InterceptNames#permits(String)}. */
    public boolean permits(String host) {
        return names.permits(host);
    }

    /** Whether it should be replaced: {@code wanted} differs from its names, or {@code now} is past half life. */
    public boolean needsReissue(InterceptNames wanted, Instant now) {
        return !names.equals(wanted) || !now.isBefore(halfLife());
    }

    /** The key that signs leaves, in the form BouncyCastle signs with. */
    ECPrivateKeyParameters signingKey() {
        return key;
    }

    @Override
    public String toString() {
        return "Intermediate[" + certificate.getSubjectX500Principal().getName() + ", names=" + names.patterns()
                + ", notAfter=" + notAfter() + "]";
    }
}
