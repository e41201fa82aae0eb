package io.clawgress.enforcement.bundle;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.util.Objects;

/** A private key that signs bundles, with the key id and algorithm gateways know it by. */
public record SigningKey(String kid, SigningAlg alg, PrivateKey privateKey) {

    public SigningKey {
        Objects.requireNonNull(kid, "kid");
        Objects.requireNonNull(alg, "alg");
        Objects.requireNonNull(privateKey, "privateKey");
        if (kid.isBlank() || kid.length() > 128) {
            throw new IllegalArgumentException("kid: \"" + kid + "\" (expected: 1..128 non-blank chars)");
        }
        try {
            Pem.requireMatches(privateKey, alg);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("privateKey of kid " + kid + ": " + e.getMessage(), e);
        }
    }

    /** From a PKCS #8 PEM, as written by {@link KeyGen}. */
    public static SigningKey fromPem(String kid, SigningAlg alg, String privateKeyPem) throws GeneralSecurityException {
        return new SigningKey(kid, alg, Pem.readPrivateKey(privateKeyPem, alg));
    }

    @Override
    public String toString() {
        return "SigningKey[kid=" + kid + ", alg=" + alg.jwsName() + "]";
    }
}
