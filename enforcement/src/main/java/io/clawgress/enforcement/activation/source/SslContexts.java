package io.clawgress.enforcement.activation.source;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

/** TLS client contexts for {@link BundleUrlSource}: the system trust store, or only the CAs of one PEM file. */
public final class SslContexts {

    /** A CA bundle larger than this is not a CA bundle. */
    static final int MAX_PEM_BYTES = 1024 * 1024;

    private SslContexts() {
    }

    /** The JDK's default context: the system trust store ({@code cacerts}, or {@code javax.net.ssl.trustStore}). */
    public static SSLContext systemDefault() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default SSLContext", e);
        }
    }

    /**
     * A context that trusts exactly the certificates in {@code pemFile} (one or more {@code BEGIN CERTIFICATE} blocks,
     * RFC 7468 §5) as trust anchors, and nothing from the system store. Host names are still verified by the HTTP
     * client against the server certificate (RFC 9110 §4.3.4), so a self-signed server certificate used as its own
     * anchor must name the host (or IP address) of the URL.
     */
    public static SSLContext trustingPemFile(Path pemFile) throws IOException, GeneralSecurityException {
        byte[] pem;
        try (InputStream in = Files.newInputStream(pemFile)) {
            pem = in.readNBytes(MAX_PEM_BYTES + 1);
        }
        if (pem.length > MAX_PEM_BYTES) {
            throw new GeneralSecurityException(pemFile + ": larger than " + MAX_PEM_BYTES + " bytes (expected: PEM "
                    + "certificates)");
        }
        Collection<? extends Certificate> certs;
        try {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException(pemFile + ": not PEM certificates: " + e.getMessage(), e);
        }
        if (certs.isEmpty()) {
            throw new GeneralSecurityException(
                    pemFile + ": no certificate found (expected: -----BEGIN CERTIFICATE-----)");
        }
        KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
        anchors.load(null, null);
        int i = 0;
        for (Certificate c : certs) {
            anchors.setCertificateEntry("ca-" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(anchors);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
