package io.clawgress.enforcement.identity.jwt;

import java.security.PublicKey;
import java.util.Objects;

/**
 * One public key agent tokens may be signed with, under the key id a token names in its {@code kid} header. The
 * algorithm is pinned: a token naming another {@code alg} under this kid is refused before its signature is checked
 * (RFC 8725 §3.1: the key, not the token, chooses the algorithm). Immutable; any thread.
 */
public record JwtKey(String kid, JwtAlg alg, PublicKey publicKey) {

    /** Longest accepted key id; real ones are thumbprints or short names. */
    public static final int MAX_KID_LENGTH = 256;

    public JwtKey {
        Objects.requireNonNull(alg, "alg");
        Objects.requireNonNull(publicKey, "publicKey");
        requireKid(kid);
        String why = alg.unsuitable(publicKey);
        if (why != null) {
            throw new IllegalArgumentException("publicKey of kid " + kid + ": " + why);
        }
    }

    static void requireKid(String kid) {
        if (kid == null || kid.isBlank() || kid.length() > MAX_KID_LENGTH || !printableAscii(kid)) {
            throw new IllegalArgumentException("kid: " + JwtText.quote(kid) + " (expected: 1.." + MAX_KID_LENGTH
                    + " printable ASCII characters)");
        }
    }

    static boolean printableAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "JwtKey[kid=" + kid + ", alg=" + alg.jwsName() + "]";
    }
}
