package io.clawgress.intercept.ca;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** PEM (RFC 7468): certificates, and PKCS #8 private keys. */
final class Pem {

    private Pem() {
    }

    static String certificate(X509Certificate cert) {
        try {
            return encode("CERTIFICATE", cert.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode a certificate we hold", e);
        }
    }

    static String certificates(X509Certificate... certs) {
        StringBuilder sb = new StringBuilder();
        for (X509Certificate c : certs) {
            sb.append(certificate(c));
        }
        return sb.toString();
    }

    /** An unencrypted PKCS #8 {@code PRIVATE KEY} block (RFC 5208, RFC 7468 §10). */
    static String privateKey(PrivateKey key) {
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalStateException("private key format " + key.getFormat() + " (expected: PKCS#8)");
        }
        return encode("PRIVATE KEY", key.getEncoded());
    }

    static String encode(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    /**
     * The one EC private key in {@code pem}: PKCS #8 {@code PRIVATE KEY}, or SEC 1 {@code EC PRIVATE KEY}. Anything
     * else (encrypted keys, several blocks, other objects) is refused.
     */
    static PrivateKey readEcPrivateKey(String pem) throws GeneralSecurityException {
        List<Object> objects = parse(pem);
        if (objects.size() != 1) {
            throw new GeneralSecurityException(objects.size() + " PEM objects (expected: exactly one private key)");
        }
        PrivateKeyInfo info = switch (objects.getFirst()) {
            case PrivateKeyInfo pki -> pki;
            case PEMKeyPair pair -> pair.getPrivateKeyInfo();
            default -> throw new GeneralSecurityException("PEM object " + objects.getFirst().getClass().getSimpleName()
                    + " (expected: an unencrypted PRIVATE KEY)");
        };
        try {
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (IOException e) {
            throw new GeneralSecurityException("private key does not re-encode: " + e.getMessage(), e);
        }
    }

    /** The certificates in {@code pem}, in order; any other PEM object is refused. */
    static List<X509Certificate> readCertificates(String pem) throws GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>();
        for (Object o : parse(pem)) {
            if (!(o instanceof X509CertificateHolder holder)) {
                throw new GeneralSecurityException("PEM object " + o.getClass().getSimpleName()
                        + " (expected: only CERTIFICATE blocks)");
            }
            try {
                out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(holder.getEncoded())));
            } catch (IOException | CertificateException e) {
                throw new GeneralSecurityException("certificate does not parse: " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static List<Object> parse(String pem) throws GeneralSecurityException {
        List<Object> out = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                out.add(o);
            }
        } catch (IOException | RuntimeException e) {
            // PEMParser reports malformed base64 or DER as IOException, some ASN.1 errors as runtime exceptions.
            throw new GeneralSecurityException("malformed PEM: " + e.getMessage(), e);
        }
        return out;
    }
}
