package io.clawgress.testing.peer;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * A server {@link SSLContext} from PEM files as {@code openssl} and {@link io.clawgress.testing.netns.TestPki} write
 * them: a certificate chain (leaf first) and an unencrypted PKCS#8 key ({@code BEGIN PRIVATE KEY}, RFC 7468 §10) of
 * the leaf's key algorithm (EC, RSA, Ed25519 ...).
 */
final class PemCredentials {

    private static final String BEGIN_KEY = "-----BEGIN PRIVATE KEY-----";
    private static final String END_KEY = "-----END PRIVATE KEY-----";
    /** Guards the in-memory key store only; the key never leaves this process. */
    private static final char[] STORE_PASSWORD = "in-memory".toCharArray();

    private PemCredentials() {
    }

    /** A TLS server context serving {@code key} with the chain in {@code certs}. */
    static SSLContext serverContext(Path certs, Path key) throws IOException {
        Certificate[] chain = chain(certs);
        PrivateKey privateKey = privateKey(key, chain[0].getPublicKey().getAlgorithm());
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("origin", privateKey, STORE_PASSWORD, chain);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, STORE_PASSWORD);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IOException("key " + key + " does not fit certificate " + certs + ": " + e, e);
        }
    }

    private static Certificate[] chain(Path certs) throws IOException {
        try (InputStream in = Files.newInputStream(certs)) {
            Certificate[] chain = CertificateFactory.getInstance("X.509").generateCertificates(in)
                    .toArray(Certificate[]::new);
            if (chain.length == 0) {
                throw new IOException(certs + ": no certificate (expected: PEM, leaf first)");
            }
            return chain;
        } catch (GeneralSecurityException e) {
            throw new IOException(certs + ": " + e + " (expected: PEM certificates, leaf first)", e);
        }
    }

    private static PrivateKey privateKey(Path file, String algorithm) throws IOException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        int begin = pem.indexOf(BEGIN_KEY);
        int end = pem.indexOf(END_KEY);
        if (begin < 0 || end < begin) {
            throw new IOException(file + ": no " + BEGIN_KEY + " block (expected: an unencrypted PKCS#8 key; convert"
                    + " with openssl pkcs8 -topk8 -nocrypt)");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + BEGIN_KEY.length(), end));
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException(file + ": " + e + " (expected: a PKCS#8 " + algorithm
                    + " key, the algorithm of the certificate)", e);
        }
    }
}
