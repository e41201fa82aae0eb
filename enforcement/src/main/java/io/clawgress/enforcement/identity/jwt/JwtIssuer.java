package io.clawgress.enforcement.identity.jwt;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * One identity provider the gateway accepts agent tokens from: its {@code iss} value (compared exactly, RFC 7519
 * §4.1.1), the {@code aud} values that mean "this gateway" (a token must name at least one, RFC 7519 §4.1.3), how its
 * claims map to identity fields, and its signing keys. A key belongs to exactly one issuer: a token signed with it
 * must name that issuer. Immutable; any thread.
 */
public record JwtIssuer(String issuer, List<String> audiences, ClaimMapping claims, List<JwtKey> keys) {

    public static final int MAX_ISSUER_LENGTH = 1024;
    public static final int MAX_AUDIENCE_LENGTH = 1024;

    public JwtIssuer {
        Objects.requireNonNull(claims, "claims");
        if (issuer == null || issuer.isEmpty() || issuer.length() > MAX_ISSUER_LENGTH
                || !JwtKey.printableAscii(issuer)) {
            throw new IllegalArgumentException("issuer: " + JwtText.quote(issuer) + " (expected: 1.."
                    + MAX_ISSUER_LENGTH + " printable ASCII characters)");
        }
        audiences = List.copyOf(Objects.requireNonNull(audiences, "audiences"));
        if (audiences.isEmpty()) {
            throw new IllegalArgumentException("audiences of " + issuer + ": [] (expected: at least one)");
        }
        for (String aud : audiences) {
            if (aud.isEmpty() || aud.length() > MAX_AUDIENCE_LENGTH || !JwtKey.printableAscii(aud)) {
                throw new IllegalArgumentException("audiences of " + issuer + ": " + JwtText.quote(aud)
                        + " (expected: 1.." + MAX_AUDIENCE_LENGTH + " printable ASCII characters)");
            }
        }
        if (new HashSet<>(audiences).size() != audiences.size()) {
            throw new IllegalArgumentException("audiences of " + issuer + ": " + audiences
                    + " (expected: no duplicates)");
        }
        keys = List.copyOf(Objects.requireNonNull(keys, "keys"));
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("keys of " + issuer + ": [] (expected: at least one)");
        }
    }

    /** Whether {@code aud} is one of this issuer's accepted audiences (exact, case-sensitive: RFC 7519 §4.1.3). */
    public boolean accepts(String aud) {
        return audiences.contains(aud);
    }
}
