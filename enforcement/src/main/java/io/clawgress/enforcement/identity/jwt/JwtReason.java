package io.clawgress.enforcement.identity.jwt;

import java.util.Locale;

/**
 * Why a token was refused. The {@link #code()}s are stable: audit records, metrics and the 407 body use them. Each
 * refusal has exactly one reason, decided by the first failing check in the order of {@link JwtVerifier}. Any
 * thread.
 */
public enum JwtReason {
    /** No header, or an empty one. */
    MISSING,
    /** Longer than {@link JwtSettings#maxTokenBytes()}; nothing was parsed. */
    TOO_LARGE,
    /** Not {@code <scheme> <compact JWS>}: wrong scheme, JWE, bad base64url, header or claims not a JSON object, a
     *  {@code crit}, {@code zip} or {@code b64} header, a nested JWT, an unexpected {@code typ}. */
    MALFORMED,
    /** {@code alg} is {@code none} in any case: an unsecured token (RFC 7519 §6, RFC 8725 §3.1). */
    ALG_NONE,
    /** {@code alg} is an HMAC ({@code HS256} ...): never accepted, the gateway holds only public keys, and an HMAC
     *  "verified" with a public key as the secret is the classic forgery (RFC 8725 §2.1, §3.1). */
    ALG_HMAC,
    /** {@code alg} is anything else but EdDSA, ES256, RS256. */
    ALG_NOT_ALLOWED,
    /** No {@code kid}, or one that is in no configured issuer. */
    UNKNOWN_KID,
    /** {@code alg} differs from the one pinned for the kid. */
    ALG_MISMATCH,
    /** The signature does not verify with the kid's key. */
    BAD_SIGNATURE,
    /** A signed claim has the wrong type: {@code exp} missing or not a NumericDate, {@code aud} not a string or
     *  array of strings, an identity claim that is not a valid id, ... */
    INVALID_CLAIMS,
    /** {@code exp} is not after now minus the skew. */
    EXPIRED,
    /** {@code nbf} is after now plus the skew. */
    NOT_YET_VALID,
    /** {@code iss} is missing or is not the issuer the kid belongs to. */
    WRONG_ISSUER,
    /** {@code aud} is missing or names none of the issuer's accepted audiences. */
    WRONG_AUDIENCE,
    /** The claim that carries the agent id is missing. */
    NO_IDENTITY;

    private final String code = "jwt_" + name().toLowerCase(Locale.ROOT);

    /** The stable reason code, e.g. {@code jwt_bad_signature}. */
    public String code() {
        return code;
    }

    /** By code; {@code null} when unknown. */
    public static JwtReason fromCode(String code) {
        for (JwtReason r : values()) {
            if (r.code.equals(code)) {
                return r;
            }
        }
        return null;
    }
}
