package io.clawgress.enforcement.bundle;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/** PEM (RFC 7468) for SPKI public keys and PKCS #8 private keys of the {@link SigningAlg}s, and key-type checks. */
public final class Pem {

    static final String PUBLIC = "PUBLIC KEY";
    static final String PRIVATE = "PRIVATE KEY";
    /** Order of the P-256 base point (SEC 2 §2.4.2); together with the field size it identifies the curve. */
    private static final BigInteger P256_ORDER =
            new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

    private Pem() {
    }

    public static String encode(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    static byte[] decode(String pem, String type) throws GeneralSecurityException {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        if (b < 0 || e < b || pem.indexOf(begin, b + 1) >= 0) {
            throw new GeneralSecurityException("expected exactly one PEM block '" + begin + "'");
        }
        try {
            return Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e).strip());
        } catch (IllegalArgumentException ex) {
            throw new GeneralSecurityException("PEM body is not base64: " + ex.getMessage(), ex);
        }
    }

    /** An SPKI public key for {@code alg}; Ed448 or curves other than P-256 are refused. */
    public static PublicKey readPublicKey(String pem, SigningAlg alg) throws GeneralSecurityException {
        PublicKey key = keyFactory(alg).generatePublic(new X509EncodedKeySpec(decode(pem, PUBLIC)));
        requireMatches(key, alg);
        return key;
    }

    /** A PKCS #8 private key for {@code alg}. */
    public static PrivateKey readPrivateKey(String pem, SigningAlg alg) throws GeneralSecurityException {
        PrivateKey key = keyFactory(alg).generatePrivate(new PKCS8EncodedKeySpec(decode(pem, PRIVATE)));
        requireMatches(key, alg);
        return key;
    }

    /** The algorithm a key can sign or verify with, judged by its type and curve. */
    public static SigningAlg algOf(Key key) throws GeneralSecurityException {
        if (key instanceof EdECKey ed && "Ed25519".equalsIgnoreCase(ed.getParams().getName())) {
            return SigningAlg.EDDSA;
        }
        if (key instanceof ECKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256
                && ec.getParams().getOrder().equals(P256_ORDER)) {
            return SigningAlg.ES256;
        }
        throw new GeneralSecurityException("unsupported key " + key.getAlgorithm()
                + " (expected: Ed25519 for EdDSA or P-256 for ES256)");
    }

    static void requireMatches(Key key, SigningAlg alg) throws GeneralSecurityException {
        SigningAlg actual = algOf(key);
        if (actual != alg) {
            throw new GeneralSecurityException("key is for " + actual.jwsName() + " (expected: " + alg.jwsName() + ")");
        }
    }

    static KeyFactory keyFactory(SigningAlg alg) throws GeneralSecurityException {
        return switch (alg) {
            case EDDSA -> KeyFactory.getInstance("Ed25519");
            case ES256 -> KeyFactory.getInstance("EC");
        };
    }
}
