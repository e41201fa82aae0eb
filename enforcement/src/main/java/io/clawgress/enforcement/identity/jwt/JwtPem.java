package io.clawgress.enforcement.identity.jwt;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/** PEM (RFC 7468) for SPKI public keys (§13) and PKCS #8 private keys (§10) of the {@link JwtAlg}s. */
final class JwtPem {

    static final String PUBLIC = "PUBLIC KEY";
    static final String PRIVATE = "PRIVATE KEY";

    private JwtPem() {
    }

    static String encode(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    /** An SPKI public key that suits {@code alg}. Any private-key block in the text is refused, never parsed. */
    static PublicKey readPublicKey(String pem, JwtAlg alg) throws GeneralSecurityException {
        if (pem.contains("PRIVATE KEY-----")) {
            throw new GeneralSecurityException("public_key_pem: contains private key material (expected: only a "
                    + "'-----BEGIN PUBLIC KEY-----' block; private keys never go into a bundle)");
        }
        PublicKey key;
        try {
            key = keyFactory(alg).generatePublic(new X509EncodedKeySpec(decode(pem, PUBLIC)));
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException("public_key_pem: not an SPKI public key for " + alg.jwsName() + " ("
                    + e.getMessage() + ")", e);
        }
        String why = alg.unsuitable(key);
        if (why != null) {
            throw new GeneralSecurityException("public_key_pem: " + why);
        }
        return key;
    }

    static PrivateKey readPrivateKey(String pem, JwtAlg alg) throws GeneralSecurityException {
        return keyFactory(alg).generatePrivate(new PKCS8EncodedKeySpec(decode(pem, PRIVATE)));
    }

    private static byte[] decode(String pem, String type) throws GeneralSecurityException {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        if (b < 0 || e < b || pem.indexOf("-----BEGIN ", b + 1) >= 0) {
            throw new GeneralSecurityException("expected exactly one PEM block '" + begin + "'");
        }
        try {
            // RFC 7468 §3: base64 with line breaks and white space; anything else is an error (the MIME decoder
            // would skip it silently).
            return Base64.getDecoder().decode(pem.substring(b + begin.length(), e).replaceAll("[ \t\r\n]", ""));
        } catch (IllegalArgumentException ex) {
            throw new GeneralSecurityException("PEM body is not base64: " + ex.getMessage(), ex);
        }
    }

    private static KeyFactory keyFactory(JwtAlg alg) throws GeneralSecurityException {
        return switch (alg) {
            case EDDSA -> KeyFactory.getInstance("Ed25519");
            case ES256 -> KeyFactory.getInstance("EC");
            case RS256 -> KeyFactory.getInstance("RSA");
        };
    }
}
