package io.clawgress.enforcement.identity.jwt;

import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.SignatureAlgorithm;

import java.math.BigInteger;
import java.security.Key;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Optional;

/**
 * The JWS algorithms an agent token may be signed with, each pinned per key (RFC 8725 §3.1): EdDSA with Ed25519
 * (RFC 8037 §3.1), ES256 with P-256 (RFC 7518 §3.4) and RS256 with RSA of 2048 to 8192 bits (RFC 7518 §3.3).
 * {@code none} and the HMAC family are absent on purpose: the gateway verifies with public keys only, and an HMAC
 * "verification" with a public key as the secret is the classic forgery (RFC 8725 §2.1, §3.1). Stateless; any
 * thread.
 */
public enum JwtAlg {
    EDDSA("EdDSA"),
    ES256("ES256"),
    RS256("RS256");

    /** RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used". */
    public static final int MIN_RSA_BITS = 2048;
    /** Larger moduli only make verification slower (a cheap CPU attack through the key set); none are in use. */
    public static final int MAX_RSA_BITS = 8192;
    /** Order of the P-256 base point (SEC 2 §2.4.2); with the field size it identifies the curve. */
    private static final BigInteger P256_ORDER =
            new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

    private final String jwsName;

    JwtAlg(String jwsName) {
        this.jwsName = jwsName;
    }

    /** The JWS {@code alg} header value. */
    public String jwsName() {
        return jwsName;
    }

    /** By JWS name, case-sensitively (RFC 7515 §4.1.1); empty for anything else, including "none" and "HS256". */
    public static Optional<JwtAlg> fromJwsName(String name) {
        for (JwtAlg alg : values()) {
            if (alg.jwsName.equals(name)) {
                return Optional.of(alg);
            }
        }
        return Optional.empty();
    }

    /** jjwt's implementation of this algorithm; it does the signature check itself. */
    SignatureAlgorithm jjwt() {
        return switch (this) {
            case EDDSA -> Jwts.SIG.EdDSA;
            case ES256 -> Jwts.SIG.ES256;
            case RS256 -> Jwts.SIG.RS256;
        };
    }

    /**
     * The exact signature length for {@code key}: 64 bytes for Ed25519 (RFC 8032 §5.1.6) and for ES256 as R || S
     * (RFC 7518 §3.4, never DER), the modulus length for RSA (RFC 8017 §8.2.2 step 1).
     */
    int signatureLength(Key key) {
        return switch (this) {
            case EDDSA, ES256 -> 64;
            case RS256 -> (((RSAKey) key).getModulus().bitLength() + 7) / 8;
        };
    }

    /**
     * Why {@code key} cannot be used with this algorithm, or {@code null} when it can. Checks the key type and curve,
     * and for RSA the size and the public exponent (an exponent of 1 would make every message its own signature).
     */
    String unsuitable(Key key) {
        return switch (this) {
            case EDDSA -> key instanceof EdECKey ed && "Ed25519".equalsIgnoreCase(ed.getParams().getName()) ? null
                    : "key " + describe(key) + " (expected: Ed25519 for EdDSA)";
            case ES256 -> key instanceof ECKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256
                    && ec.getParams().getOrder().equals(P256_ORDER) ? null
                    : "key " + describe(key) + " (expected: P-256 for ES256)";
            case RS256 -> {
                if (!(key instanceof RSAPublicKey rsa)) {
                    yield "key " + describe(key) + " (expected: an RSA public key for RS256)";
                }
                int bits = rsa.getModulus().bitLength();
                if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
                    yield "RSA key of " + bits + " bits (expected: " + MIN_RSA_BITS + ".." + MAX_RSA_BITS
                            + ", RFC 7518 §3.3)";
                }
                BigInteger e = rsa.getPublicExponent();
                if (!e.testBit(0) || e.compareTo(BigInteger.valueOf(3)) < 0 || e.bitLength() > 256) {
                    yield "RSA public exponent " + e + " (expected: odd, >= 3, at most 256 bits)";
                }
                yield null;
            }
        };
    }

    private static String describe(Key key) {
        if (key instanceof EdECKey ed) {
            return ed.getParams().getName();
        }
        if (key instanceof ECKey ec) {
            return "EC of " + ec.getParams().getCurve().getField().getFieldSize() + " bits";
        }
        if (key instanceof RSAKey rsa) {
            return "RSA of " + rsa.getModulus().bitLength() + " bits";
        }
        return key.getAlgorithm();
    }
}
