package io.clawgress.enforcement.identity.jwt;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import io.jsonwebtoken.Jwts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.clawgress.enforcement.identity.jwt.JwtFixture.AUD;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.EC;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.EC_KID;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.ED;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.ED_KID;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.IMPOSTOR;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.ISS;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.KEYS;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.NOW;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.OTHER;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.OTHER_ISS;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.OTHER_KID;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.RSA;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.RSA_KID;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.b64;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.bearer;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.claims;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.ed;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.edToken;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.es256;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.header;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.hmac;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.none;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.pem;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.rs256;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Header values in, verdicts and reason codes out. Each case says what bytes it sends and why it must be refused. */
class JwtVerifierTest {

    /** Cache off, so every case runs the full check. */
    private static final JwtVerifier VERIFIER = new JwtVerifier(KEYS, JwtSettings.DEFAULTS.withCache(0,
            JwtSettings.DEFAULT_CACHE_TTL));

    /** One header value and what must happen to it: a reason, or {@code null} for verified. */
    record Case(String name, String headerValue, JwtReason reason) {
        @Override
        public String toString() {
            return name + " -> " + (reason == null ? "verified" : reason.code());
        }
    }

    private static Map<String, Object> with(String claim, Object value) {
        Map<String, Object> c = claims();
        c.put(claim, value);
        return c;
    }

    private static Map<String, Object> without(String claim) {
        Map<String, Object> c = claims();
        c.remove(claim);
        return c;
    }

    private static Map<String, Object> headerWith(String alg, String kid, String name, Object value) {
        Map<String, Object> h = header(alg, kid);
        h.put(name, value);
        return h;
    }

    /** The signed part of a token plus a different last part. */
    private static String resigned(String token, String signature) {
        return token.substring(0, token.lastIndexOf('.') + 1) + signature;
    }

    static Stream<Case> cases() {
        long now = NOW.getEpochSecond();
        String good = edToken(claims());
        byte[] rsaPem = pem(RSA).getBytes(StandardCharsets.US_ASCII);
        byte[] ecPem = pem(EC).getBytes(StandardCharsets.US_ASCII);
        byte[] flipped = java.util.Base64.getUrlDecoder().decode(good.substring(good.lastIndexOf('.') + 1));
        flipped[10] ^= 1;
        String oversizedClaim = "x".repeat(8200);
        return Stream.of(
                // Valid tokens, each algorithm; the ES256 key came from a JWK, the others from PEM.
                new Case("EdDSA", bearer(good), null),
                new Case("ES256 (key from a JWK)", bearer(token(header("ES256", EC_KID), claims(), es256(EC))), null),
                new Case("RS256", bearer(token(header("RS256", RSA_KID), claims(), rs256(RSA))), null),
                new Case("scheme is case-insensitive, several spaces", "bEARER   " + good, null),
                new Case("aud array with one of ours", bearer(edToken(with("aud", List.of("x", "gateway-b")))), null),
                new Case("no typ header", bearer(token("{\"alg\":\"EdDSA\",\"kid\":\"ed-1\"}",
                        JwtFixture.json(claims()), ed(ED))), null),
                new Case("typ application/at+jwt (RFC 9068)", bearer(token(headerWith("EdDSA", ED_KID, "typ",
                        "application/at+jwt"), claims(), ed(ED))), null),
                new Case("expired 30 s ago, within the 60 s skew", bearer(edToken(with("exp", now - 30))), null),
                new Case("nbf 30 s ahead, within the skew", bearer(edToken(with("nbf", now + 30))), null),
                new Case("fractional NumericDates", bearer(edToken(with("exp", now + 0.5))), null),
                new Case("no nbf, no iat", bearer(edToken(without("nbf"))), null),
                new Case("mapped claim names of the other issuer", bearer(token(header("EdDSA", OTHER_KID),
                        Map.of("iss", OTHER_ISS, "aud", "other-aud", "client_id", "svc-1", "team", "ops",
                                "exp", now + 60), ed(OTHER))), null),

                // Missing, scheme and size: decided before any parsing.
                new Case("no header", null, JwtReason.MISSING),
                new Case("empty header", "", JwtReason.MISSING),
                new Case("Basic scheme", "Basic dXNlcjpwYXNz", JwtReason.MALFORMED),
                new Case("scheme only", "Bearer", JwtReason.MALFORMED),
                new Case("scheme and spaces only", "Bearer   ", JwtReason.MALFORMED),
                new Case("no space after the scheme", "Bearer" + good, JwtReason.MALFORMED),
                new Case("token without a scheme", good, JwtReason.MALFORMED),
                new Case("oversized: a token > 8 KiB", bearer(edToken(with("pad", oversizedClaim))),
                        JwtReason.TOO_LARGE),
                new Case("oversized garbage is not parsed", bearer("!".repeat(9000)), JwtReason.TOO_LARGE),

                // Structure (RFC 7515 §7.1, RFC 7516 §7.1).
                new Case("JWE-shaped: five parts", bearer("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"), JwtReason.MALFORMED),
                new Case("two parts", bearer(good.substring(0, good.lastIndexOf('.'))), JwtReason.MALFORMED),
                new Case("garbage base64", bearer("abc$.def.ghi"), JwtReason.MALFORMED),
                new Case("garbage base64 in the payload", bearer(good.replaceFirst("\\.", ".%")), JwtReason.MALFORMED),
                new Case("padded base64", bearer(resigned(good, b64(new byte[64]) + "==")), JwtReason.MALFORMED),
                new Case("non-canonical last character", bearer(resigned(good,
                        b64(new byte[64]).substring(0, 85) + "B")), JwtReason.MALFORMED),
                new Case("non-ASCII character", bearer(good + "\u00e9"), JwtReason.MALFORMED),
                new Case("header not JSON", bearer(b64("alg=EdDSA") + "." + b64("{}") + ".AAAA"), JwtReason.MALFORMED),
                new Case("header a JSON array", bearer(b64("[\"EdDSA\"]") + "." + b64("{}") + ".AAAA"),
                        JwtReason.MALFORMED),
                new Case("header with a duplicate alg", bearer(token("{\"alg\":\"HS256\",\"alg\":\"EdDSA\",\"kid\":"
                        + "\"ed-1\"}", JwtFixture.json(claims()), ed(ED))), JwtReason.MALFORMED),
                new Case("header without alg", bearer(token("{\"kid\":\"ed-1\"}", JwtFixture.json(claims()), ed(ED))),
                        JwtReason.MALFORMED),
                new Case("header with enc (a JWE header)", bearer(token(headerWith("EdDSA", ED_KID, "enc",
                        "A256GCM"), claims(), ed(ED))), JwtReason.MALFORMED),
                new Case("crit header", bearer(token(headerWith("EdDSA", ED_KID, "crit", List.of("exp")), claims(),
                        ed(ED))), JwtReason.MALFORMED),
                new Case("b64 header (RFC 7797)", bearer(token(headerWith("EdDSA", ED_KID, "b64", false), claims(),
                        ed(ED))), JwtReason.MALFORMED),
                new Case("zip header", bearer(token(headerWith("EdDSA", ED_KID, "zip", "DEF"), claims(), ed(ED))),
                        JwtReason.MALFORMED),
                new Case("nested JWT (cty JWT)", bearer(token(headerWith("EdDSA", ED_KID, "cty", "JWT"), claims(),
                        ed(ED))), JwtReason.MALFORMED),
                new Case("typ of a bundle signature", bearer(token(headerWith("EdDSA", ED_KID, "typ",
                        "clawgress-bundle+jws"), claims(), ed(ED))), JwtReason.MALFORMED),
                new Case("signed claims that are not JSON", bearer(token(JwtFixture.json(header("EdDSA", ED_KID)),
                        "hello", ed(ED))), JwtReason.MALFORMED),
                new Case("signed claims with a duplicate sub", bearer(token(JwtFixture.json(header("EdDSA", ED_KID)),
                        "{\"iss\":\"" + ISS + "\",\"aud\":\"" + AUD + "\",\"exp\":" + (now + 60)
                                + ",\"sub\":\"agent-7\",\"sub\":\"admin\"}", ed(ED))), JwtReason.MALFORMED),

                // Algorithms (RFC 8725 §2.1, §3.1).
                new Case("alg none, empty signature", bearer(token(header("none", null), claims(), none())),
                        JwtReason.ALG_NONE),
                new Case("alg none with a trusted kid", bearer(token(header("none", ED_KID), claims(), none())),
                        JwtReason.ALG_NONE),
                new Case("alg NoNe", bearer(token(header("NoNe", ED_KID), claims(), none())),
                        JwtReason.ALG_NONE),
                new Case("HS256 signed with the RSA public key PEM as secret", bearer(token(header("HS256", RSA_KID),
                        claims(), hmac(rsaPem))), JwtReason.ALG_HMAC),
                new Case("HS256 signed with the RSA public key DER as secret", bearer(token(header("HS256", RSA_KID),
                        claims(), hmac(RSA.getPublic().getEncoded()))), JwtReason.ALG_HMAC),
                new Case("HS256 signed with the EC public key PEM as secret", bearer(token(header("HS256", EC_KID),
                        claims(), hmac(ecPem))), JwtReason.ALG_HMAC),
                new Case("HS512", bearer(token(header("HS512", ED_KID), claims(), hmac(new byte[64]))),
                        JwtReason.ALG_HMAC),
                new Case("PS256 (not offered)", bearer(token(header("PS256", RSA_KID), claims(), rs256(RSA))),
                        JwtReason.ALG_NOT_ALLOWED),
                new Case("alg is case-sensitive: eddsa", bearer(token(header("eddsa", ED_KID), claims(), ed(ED))),
                        JwtReason.ALG_NOT_ALLOWED),
                new Case("alg mismatch: token says ES256, key pinned EdDSA", bearer(token(header("ES256", ED_KID),
                        claims(), es256(EC))), JwtReason.ALG_MISMATCH),
                new Case("alg mismatch: token says RS256, key pinned ES256", bearer(token(header("RS256", EC_KID),
                        claims(), rs256(RSA))), JwtReason.ALG_MISMATCH),

                // Keys and signatures.
                new Case("unknown kid", bearer(token(header("EdDSA", "who"), claims(), ed(ED))),
                        JwtReason.UNKNOWN_KID),
                new Case("no kid", bearer(token(header("EdDSA", null), claims(), ed(ED))), JwtReason.UNKNOWN_KID),
                new Case("kid is a number", bearer(token(headerWith("EdDSA", null, "kid", 1), claims(), ed(ED))),
                        JwtReason.UNKNOWN_KID),
                new Case("embedded jwk header is ignored, kid decides", bearer(token(headerWith("EdDSA", ED_KID, "jwk",
                        Map.of("kty", "OKP", "crv", "Ed25519", "x", b64(IMPOSTOR.getPublic().getEncoded()))), claims(),
                        ed(IMPOSTOR))), JwtReason.BAD_SIGNATURE),
                new Case("bad signature: signed by another key under a trusted kid", bearer(token(header("EdDSA",
                        ED_KID), claims(), ed(IMPOSTOR))), JwtReason.BAD_SIGNATURE),
                new Case("bad signature: one bit flipped", bearer(resigned(good, b64(flipped))),
                        JwtReason.BAD_SIGNATURE),
                new Case("bad signature: claims changed after signing", bearer(good.substring(0, good.indexOf('.') + 1)
                        + b64(JwtFixture.json(with("sub", "admin"))) + good.substring(good.lastIndexOf('.'))),
                        JwtReason.BAD_SIGNATURE),
                new Case("bad signature: empty", bearer(resigned(good, "")), JwtReason.BAD_SIGNATURE),
                new Case("bad signature: ES256 in DER, not R||S", bearer(token(header("ES256", EC_KID), claims(),
                        JwtFixture.jca("SHA256withECDSA", EC.getPrivate()))), JwtReason.BAD_SIGNATURE),
                new Case("bad signature: ES256 all zero (CVE-2022-21449)", bearer(resigned(token(header("ES256",
                        EC_KID), claims(), es256(EC)), b64(new byte[64]))), JwtReason.BAD_SIGNATURE),
                new Case("bad signature: RS256 signed by another RSA key", bearer(token(header("RS256", RSA_KID),
                        claims(), rs256(JwtFixture.OTHER_RSA))), JwtReason.BAD_SIGNATURE),

                // Time (RFC 7519 §4.1.4, §4.1.5), skew 60 s.
                new Case("expired", bearer(edToken(with("exp", now - 61))), JwtReason.EXPIRED),
                new Case("expired exactly at now - skew", bearer(edToken(with("exp", now - 60))), JwtReason.EXPIRED),
                new Case("exp far in the past", bearer(edToken(with("exp", 0))), JwtReason.EXPIRED),
                new Case("exp a huge negative number", bearer(edToken(with("exp", new java.math.BigInteger("-1"
                        + "0".repeat(40))))), JwtReason.EXPIRED),
                new Case("not yet valid", bearer(edToken(with("nbf", now + 61))), JwtReason.NOT_YET_VALID),
                new Case("exp missing", bearer(edToken(without("exp"))), JwtReason.INVALID_CLAIMS),
                new Case("exp a string", bearer(edToken(with("exp", "tomorrow"))), JwtReason.INVALID_CLAIMS),
                new Case("nbf a boolean", bearer(edToken(with("nbf", true))), JwtReason.INVALID_CLAIMS),
                new Case("iat a string", bearer(edToken(with("iat", "1"))), JwtReason.INVALID_CLAIMS),

                // Issuer and audience (RFC 7519 §4.1.1, §4.1.3).
                new Case("wrong iss", bearer(edToken(with("iss", "https://evil.example/"))), JwtReason.WRONG_ISSUER),
                new Case("iss differs by a trailing slash", bearer(edToken(with("iss", "https://idp.example.com"))),
                        JwtReason.WRONG_ISSUER),
                new Case("iss missing", bearer(edToken(without("iss"))), JwtReason.WRONG_ISSUER),
                new Case("iss of another configured issuer", bearer(edToken(with("iss", OTHER_ISS))),
                        JwtReason.WRONG_ISSUER),
                new Case("iss a number", bearer(edToken(with("iss", 7))), JwtReason.INVALID_CLAIMS),
                new Case("wrong aud", bearer(edToken(with("aud", "someone-else"))), JwtReason.WRONG_AUDIENCE),
                new Case("aud of another issuer", bearer(edToken(with("aud", "other-aud"))), JwtReason.WRONG_AUDIENCE),
                new Case("aud missing", bearer(edToken(without("aud"))), JwtReason.WRONG_AUDIENCE),
                new Case("aud empty array", bearer(edToken(with("aud", List.of()))), JwtReason.WRONG_AUDIENCE),
                new Case("aud array with a number", bearer(edToken(with("aud", List.of(AUD, 3)))),
                        JwtReason.INVALID_CLAIMS),
                new Case("aud an object", bearer(edToken(with("aud", Map.of("a", AUD)))), JwtReason.INVALID_CLAIMS),

                // Identity (DESIGN.md §4).
                new Case("no sub", bearer(edToken(without("sub"))), JwtReason.NO_IDENTITY),
                new Case("sub null", bearer(edToken(with("sub", null))), JwtReason.NO_IDENTITY),
                new Case("sub not an id", bearer(edToken(with("sub", "user@example.com"))), JwtReason.INVALID_CLAIMS),
                new Case("sub a number", bearer(edToken(with("sub", 7))), JwtReason.INVALID_CLAIMS),
                new Case("team_id not an id", bearer(edToken(with("team_id", "../etc"))), JwtReason.INVALID_CLAIMS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void table(Case c) {
        JwtVerifier.Result result = VERIFIER.verify(c.headerValue(), NOW);
        if (c.reason() == null) {
            assertThat(result).as(String.valueOf(result)).isInstanceOf(JwtVerifier.Verified.class);
            JwtVerifier.Verified v = (JwtVerifier.Verified) result;
            assertThat(v.identity().auth()).isEqualTo(AuthMethod.JWT);
            assertThat(v.identity().active()).isTrue();
        } else {
            assertThat(result).isInstanceOf(JwtVerifier.Refused.class);
            JwtVerifier.Refused refused = (JwtVerifier.Refused) result;
            assertThat(refused.reasonCode()).as(refused.message()).isEqualTo(c.reason().code());
            assertThat(refused.reason()).isEqualTo(c.reason());
            assertThat(refused.message()).isNotBlank().doesNotContain("\n");
        }
    }

    @Test
    void everyReasonIsReachableAndEveryCodeDistinct() {
        Set<JwtReason> reached = cases().map(Case::reason).filter(r -> r != null)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(JwtReason.class)));
        assertThat(reached).containsExactlyInAnyOrder(JwtReason.values());
        Map<String, JwtReason> byCode = Arrays.stream(JwtReason.values())
                .collect(Collectors.toMap(JwtReason::code, Function.identity()));
        assertThat(byCode).hasSize(JwtReason.values().length);
        assertThat(byCode.keySet()).allMatch(code -> code.matches("jwt_[a-z_]+"));
        assertThat(byCode.keySet()).contains("jwt_missing", "jwt_too_large", "jwt_malformed", "jwt_alg_not_allowed",
                "jwt_unknown_kid", "jwt_alg_mismatch", "jwt_bad_signature", "jwt_expired", "jwt_not_yet_valid",
                "jwt_wrong_issuer", "jwt_wrong_audience", "jwt_no_identity", "jwt_invalid_claims");
    }

    @Test
    void claimsMapToTheCanonicalIdentity() {
        JwtVerifier.Verified v = (JwtVerifier.Verified) VERIFIER.verify(bearer(edToken(claims())), NOW);
        assertThat(v.identity()).isEqualTo(new Identity("agent-7", "research", "llm-evals", "dev", "t2",
                AuthMethod.JWT, true));
        assertThat(v.expires()).isEqualTo(NOW.plusSeconds(600));
        assertThat(v.kid()).isEqualTo(ED_KID);

        JwtVerifier.Verified other = (JwtVerifier.Verified) VERIFIER.verify(bearer(token(header("EdDSA", OTHER_KID),
                Map.of("iss", OTHER_ISS, "aud", List.of("other-aud"), "client_id", "svc-1", "team", "ops",
                        "sub", "ignored", "exp", NOW.getEpochSecond() + 60), ed(OTHER))), NOW);
        assertThat(other.identity()).isEqualTo(new Identity("svc-1", "ops", null, null, null, AuthMethod.JWT, true));
        assertThat(other.kid()).isEqualTo(OTHER_KID);
    }

    @Test
    @SuppressWarnings("deprecation") // audience().single(): the only way to make jjwt write aud as a plain string
    void tokensFromAnIndependentEncoderVerify() {
        Date iat = Date.from(NOW);
        Date exp = Date.from(NOW.plusSeconds(300));
        String rs = Jwts.builder().header().keyId(RSA_KID).and().issuer(ISS).audience().add(AUD).and()
                .subject("agent-9").issuedAt(iat).expiration(exp).signWith(RSA.getPrivate(), Jwts.SIG.RS256).compact();
        String es = Jwts.builder().header().keyId(EC_KID).and().issuer(ISS).audience().single(AUD)
                .subject("agent-9").expiration(exp).signWith(EC.getPrivate(), Jwts.SIG.ES256).compact();
        String eddsa = Jwts.builder().header().keyId(ED_KID).and().issuer(ISS).audience().add(AUD).and()
                .subject("agent-9").expiration(exp).signWith(ED.getPrivate(), Jwts.SIG.EdDSA).compact();
        for (String t : List.of(rs, es, eddsa)) {
            assertThat(VERIFIER.verify(bearer(t), NOW)).isInstanceOfSatisfying(JwtVerifier.Verified.class,
                    v -> assertThat(v.identity().agentId()).isEqualTo("agent-9"));
        }
    }

    @Test
    void theCapIsOnTheTokenAndInclusive() {
        JwtSettings small = JwtSettings.DEFAULTS.withMaxTokenBytes(1024).withCache(0, JwtSettings.DEFAULT_CACHE_TTL);
        JwtVerifier verifier = new JwtVerifier(KEYS, small);
        int estimate = (1024 - edToken(with("pad", "")).length()) * 3 / 4;
        String exact = null;
        for (int pad = estimate - 4; exact == null && pad < estimate + 4; pad++) {
            String t = edToken(with("pad", "p".repeat(pad)));
            if (t.length() == 1024) {
                exact = t;
            }
        }
        assertThat(exact).isNotNull();
        assertThat(verifier.verify(bearer(exact), NOW)).isInstanceOf(JwtVerifier.Verified.class);
        String over = edToken(with("pad", "p".repeat(700)));
        assertThat(over.length()).isGreaterThan(1024);
        assertThat(verifier.verify(bearer(over), NOW)).isInstanceOfSatisfying(JwtVerifier.Refused.class,
                r -> assertThat(r.reasonCode()).isEqualTo("jwt_too_large"));
    }

    @Test
    void aConfiguredSchemeIsTheOnlyOneAccepted() {
        JwtVerifier verifier = new JwtVerifier(KEYS, JwtSettings.DEFAULTS.withHeader("X-Agent-Token", "Agent"));
        String t = edToken(claims());
        assertThat(verifier.verify("Agent " + t, NOW)).isInstanceOf(JwtVerifier.Verified.class);
        assertThat(verifier.verify("Bearer " + t, NOW)).isInstanceOfSatisfying(JwtVerifier.Refused.class,
                r -> assertThat(r.reasonCode()).isEqualTo("jwt_malformed"));
        assertThat(verifier.verify(null, NOW)).isInstanceOfSatisfying(JwtVerifier.Refused.class,
                r -> assertThat(r.message()).contains("X-Agent-Token: Agent <jwt>"));
    }

    @Test
    void untrustedTextInMessagesIsQuotedAndBounded() {
        String kid = "evil\r\nX-Injected: 1" + "k".repeat(200);
        JwtVerifier.Refused r = (JwtVerifier.Refused) VERIFIER.verify(bearer(token(header("EdDSA", kid), claims(),
                ed(ED))), NOW);
        assertThat(r.reasonCode()).isEqualTo("jwt_unknown_kid");
        assertThat(r.message()).doesNotContain("\r").doesNotContain("\n").contains("\\u000d\\u000a").contains("...");
        assertThat(r.message().length()).isLessThan(150);
    }

    @Test
    void resultsValidateThemselves() {
        assertThatThrownBy(() -> new JwtVerifier.Refused("nope", "m")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reasonCode: \"nope\" (expected: a JwtReason code)");
        assertThatThrownBy(() -> new JwtVerifier.Verified(null, NOW, "k")).isInstanceOf(NullPointerException.class);
        assertThat(JwtReason.fromCode("jwt_expired")).isEqualTo(JwtReason.EXPIRED);
        assertThat(JwtReason.fromCode("expired")).isNull();
        assertThatThrownBy(() -> VERIFIER.verify("Bearer x", null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aSettingsDurationOfZeroSkewIsExact() {
        JwtVerifier strict = new JwtVerifier(KEYS, JwtSettings.DEFAULTS.withClockSkew(Duration.ZERO));
        long now = NOW.getEpochSecond();
        assertThat(strict.verify(bearer(edToken(with("exp", now))), NOW)).isInstanceOf(JwtVerifier.Refused.class);
        assertThat(strict.verify(bearer(edToken(with("exp", now + 1))), NOW)).isInstanceOf(JwtVerifier.Verified.class);
        assertThat(strict.verify(bearer(edToken(with("nbf", now + 1))), NOW)).isInstanceOfSatisfying(
                JwtVerifier.Refused.class, r -> assertThat(r.reasonCode()).isEqualTo("jwt_not_yet_valid"));
    }
}
