package io.clawgress.enforcement.bundle;

import java.util.Optional;

/**
 * The only JWS algorithms a bundle may be signed with (RFC 7518 §3.4 ES256, RFC 8037 §3.1 EdDSA with Ed25519).
 * {@code none} and the HMAC family are absent on purpose: a gateway verifies with public keys only (RFC 8725 §3.1).
 */
public enum SigningAlg {
    EDDSA("EdDSA"),
    ES256("ES256");

    private final String jwsName;

    SigningAlg(String jwsName) {
        this.jwsName = jwsName;
    }

    /** The JWS {@code alg} header value. */
    public String jwsName() {
        return jwsName;
    }

    /** By JWS name, case-sensitively (RFC 7515 §4.1.1); empty for anything else, including "none" and "HS256". */
    public static Optional<SigningAlg> fromJwsName(String name) {
        for (SigningAlg alg : values()) {
            if (alg.jwsName.equals(name)) {
                return Optional.of(alg);
            }
        }
        return Optional.empty();
    }
}
