package io.clawgress.enforcement.bundle;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.Objects;

/**
 * One key a gateway accepts bundle signatures from. The algorithm is pinned: a token naming any other {@code alg}
 * under this {@code kid} is refused before its signature is checked.
 */
public record TrustedKey(String kid, SigningAlg alg, PublicKey publicKey) {

    public TrustedKey {
        Objects.requireNonNull(kid, "kid");
        Objects.requireNonNull(alg, "alg");
        Objects.requireNonNull(publicKey, "publicKey");
        if (kid.isBlank() || kid.length() > 128) {
            throw new IllegalArgumentException("kid: \"" + kid + "\" (expected: 1..128 non-blank chars)");
        }
        try {
            Pem.requireMatches(publicKey, alg);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("publicKey of kid " + kid + ": " + e.getMessage(), e);
        }
    }
}
