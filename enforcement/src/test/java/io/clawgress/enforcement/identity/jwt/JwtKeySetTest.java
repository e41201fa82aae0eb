package io.clawgress.enforcement.identity.jwt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.List;
import java.util.stream.Stream;

import static io.clawgress.enforcement.identity.jwt.JwtFixture.EC;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.ED;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.KEYS;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.RSA;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.jwk;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.pem;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.quoted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class JwtKeySetTest {

    @Test
    void theFixtureKeySetParses() {
        assertThat(KEYS.size()).isEqualTo(4);
        assertThat(KEYS.issuers()).extracting(JwtIssuer::issuer)
                .containsExactly(JwtFixture.ISS, JwtFixture.OTHER_ISS);
        JwtIssuer idp = KEYS.issuer(JwtFixture.ISS).orElseThrow();
        assertThat(idp.audiences()).containsExactly("clawgress", "gateway-b");
        assertThat(idp.claims()).isEqualTo(ClaimMapping.DEFAULT);
        assertThat(KEYS.key("ed-1").orElseThrow().publicKey()).isEqualTo(ED.getPublic());
        assertThat(KEYS.key("ec-1").orElseThrow().publicKey()).isEqualTo(EC.getPublic());
        assertThat(KEYS.key("rsa-1").orElseThrow().alg()).isEqualTo(JwtAlg.RS256);
        assertThat(KEYS.key("nobody")).isEmpty();
        JwtIssuer other = KEYS.issuer(JwtFixture.OTHER_ISS).orElseThrow();
        assertThat(other.claims()).isEqualTo(new ClaimMapping("client_id", "team", "project_id", "environment",
                "trust_tier"));
        assertThat(KEYS.toString()).contains("ed-1").doesNotContain("BEGIN");
    }

    @Test
    void jwksOfEveryTypeAndPemsOfEveryTypeParse() {
        String json = """
                {"issuers": [{"iss": "i", "aud": ["a"], "keys": [
                  {"kid": "j-ed", "alg": "EdDSA", "jwk": %s},
                  {"kid": "j-rsa", "alg": "RS256", "jwk": %s},
                  {"kid": "p-ec", "alg": "ES256", "public_key_pem": %s},
                  {"kid": "j-ec", "alg": "ES256", "jwk": {"kty": "EC", "kid": "j-ec", "alg": "ES256", "use": "sig",
                   "key_ops": ["verify"], "crv": "P-256", "x": %s, "y": %s}}]}]}
                """.formatted(jwk(ED), jwk(RSA), quoted(pem(EC)), jwkMember(EC, "x"), jwkMember(EC, "y"));
        JwtKeySet keys = JwtFixture.parseKeys(json);
        assertThat(keys.key("j-ed").orElseThrow().publicKey()).isEqualTo(ED.getPublic());
        assertThat(keys.key("j-rsa").orElseThrow().publicKey()).isEqualTo(RSA.getPublic());
        assertThat(keys.key("p-ec").orElseThrow().publicKey()).isEqualTo(EC.getPublic());
        assertThat(keys.key("j-ec").orElseThrow().publicKey()).isEqualTo(EC.getPublic());
    }

    @Test
    void anEmptyIssuerListIsAKeySetThatAcceptsNothing() {
        JwtKeySet empty = JwtFixture.parseKeys("{\"issuers\": []}");
        assertThat(empty.size()).isZero();
        assertThat(new JwtVerifier(empty, JwtSettings.DEFAULTS).verify("Bearer " + JwtFixture.edToken(
                JwtFixture.claims()), JwtFixture.NOW)).isInstanceOfSatisfying(JwtVerifier.Refused.class,
                r -> assertThat(r.reasonCode()).isEqualTo("jwt_unknown_kid"));
        assertThat(JwtKeySet.EMPTY.size()).isZero();
    }

    @Test
    void readsAFileAndBoundsItsSize(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("jwt-keys.json");
        Files.writeString(file, JwtFixture.KEY_SET_JSON);
        assertThat(JwtKeySet.read(file).size()).isEqualTo(4);
        Files.write(file, new byte[JwtKeySet.MAX_FILE_BYTES + 1]);
        assertThatThrownBy(() -> JwtKeySet.read(file)).isInstanceOf(JwtKeySetException.class)
                .hasMessageContaining("larger than");
    }

    private static String jwkMember(java.security.KeyPair pair, String member) {
        try {
            return quoted(JwtFixture.JSON.readTree(jwk(pair)).get(member).textValue());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    record Bad(String name, String json, String messageContains) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static String issuerWith(String keyJson) {
        return "{\"issuers\":[{\"iss\":\"i\",\"aud\":[\"a\"],\"keys\":[" + keyJson + "]}]}";
    }

    private static String key(String kid, String alg, String material) {
        return "{\"kid\":\"" + kid + "\",\"alg\":\"" + alg + "\"," + material + "}";
    }

    private static String pemOf(java.security.KeyPair pair) {
        return "\"public_key_pem\":" + quoted(pem(pair));
    }

    static Stream<Bad> badKeySets() throws Exception {
        String ed = pemOf(ED);
        String weakRsa = pemOf(JwtFixture.rsa(1024));
        RSAPublicKey rsa = (RSAPublicKey) RSA.getPublic();
        PublicKey evenExponent = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(rsa.getModulus(),
                BigInteger.valueOf(65536)));
        String privatePem = JwtPem.encode(JwtPem.PRIVATE, ED.getPrivate().getEncoded());
        String edJwk = jwk(ED);
        String edX = edJwk.replaceAll(".*\"x\":\"([^\"]+)\".*", "$1");
        return Stream.of(
                new Bad("not JSON", "{issuers:", "not valid JSON"),
                new Bad("trailing data", "{\"issuers\":[]} {}", "not valid JSON"),
                new Bad("duplicate member", "{\"issuers\":[],\"issuers\":[]}", "not valid JSON"),
                new Bad("a bare list", "[]", "expected a JSON object"),
                new Bad("unknown top-level field", "{\"issuers\":[],\"unsafe\":1}", "unknown field \"unsafe\""),
                new Bad("issuers missing", "{}", "issuers missing"),
                new Bad("issuer unknown field", "{\"issuers\":[{\"iss\":\"i\",\"aud\":[\"a\"],\"jwks_uri\":\"x\","
                        + "\"keys\":[" + key("k", "EdDSA", ed) + "]}]}", "unknown field \"jwks_uri\""),
                new Bad("iss missing", "{\"issuers\":[{\"aud\":[\"a\"],\"keys\":[" + key("k", "EdDSA", ed) + "]}]}",
                        "field iss missing"),
                new Bad("aud missing", "{\"issuers\":[{\"iss\":\"i\",\"keys\":[" + key("k", "EdDSA", ed) + "]}]}",
                        "field aud missing"),
                new Bad("aud empty", "{\"issuers\":[{\"iss\":\"i\",\"aud\":[],\"keys\":[" + key("k", "EdDSA", ed)
                        + "]}]}", "field aud missing or not a non-empty array"),
                new Bad("aud a string", "{\"issuers\":[{\"iss\":\"i\",\"aud\":\"a\",\"keys\":[" + key("k", "EdDSA", ed)
                        + "]}]}", "field aud missing"),
                new Bad("aud with a number", "{\"issuers\":[{\"iss\":\"i\",\"aud\":[1],\"keys\":["
                        + key("k", "EdDSA", ed) + "]}]}", "aud 1 (expected: a string)"),
                new Bad("aud duplicated", "{\"issuers\":[{\"iss\":\"i\",\"aud\":[\"a\",\"a\"],\"keys\":["
                        + key("k", "EdDSA", ed) + "]}]}", "expected: no duplicates"),
                new Bad("keys empty", "{\"issuers\":[{\"iss\":\"i\",\"aud\":[\"a\"],\"keys\":[]}]}",
                        "field keys missing or not a non-empty array"),
                new Bad("duplicate iss", "{\"issuers\":[{\"iss\":\"i\",\"aud\":[\"a\"],\"keys\":[" + key("k1", "EdDSA",
                        ed) + "]},{\"iss\":\"i\",\"aud\":[\"a\"],\"keys\":[" + key("k2", "EdDSA", ed) + "]}]}",
                        "issuer \"i\": duplicate"),
                new Bad("duplicate kid in one issuer", issuerWith(key("k", "EdDSA", ed) + "," + key("k", "EdDSA", ed)),
                        "kid \"k\": duplicate"),
                new Bad("duplicate kid across issuers", "{\"issuers\":[{\"iss\":\"i\",\"aud\":[\"a\"],\"keys\":["
                        + key("k", "EdDSA", ed) + "]},{\"iss\":\"j\",\"aud\":[\"a\"],\"keys\":[" + key("k", "EdDSA", ed)
                        + "]}]}", "kid \"k\": duplicate"),
                new Bad("claims unknown field", "{\"issuers\":[{\"iss\":\"i\",\"aud\":[\"a\"],\"claims\":{\"role\":"
                        + "\"r\"},\"keys\":[" + key("k", "EdDSA", ed) + "]}]}", "unknown field \"role\""),
                new Bad("claims mapping agent_id to exp", "{\"issuers\":[{\"iss\":\"i\",\"aud\":[\"a\"],\"claims\":"
                        + "{\"agent_id\":\"exp\"},\"keys\":[" + key("k", "EdDSA", ed) + "]}]}", "agentId: \"exp\""),
                new Bad("alg none", issuerWith(key("k", "none", ed)), "alg \"none\""),
                new Bad("alg HS256", issuerWith(key("k", "HS256", ed)), "alg \"HS256\""),
                new Bad("alg RS384", issuerWith(key("k", "RS384", pemOf(RSA))), "alg \"RS384\""),
                new Bad("unknown key field", issuerWith("{\"kid\":\"k\",\"alg\":\"EdDSA\",\"use\":\"sig\"," + ed + "}"),
                        "unknown field \"use\""),
                new Bad("neither PEM nor JWK", issuerWith("{\"kid\":\"k\",\"alg\":\"EdDSA\"}"),
                        "exactly one of public_key_pem, jwk"),
                new Bad("both PEM and JWK", issuerWith(key("k", "EdDSA", ed + ",\"jwk\":" + edJwk)),
                        "exactly one of public_key_pem, jwk"),
                new Bad("kid empty", issuerWith(key("", "EdDSA", ed)), "field kid missing"),
                new Bad("private key PEM", issuerWith(key("k", "EdDSA", "\"public_key_pem\":" + quoted(privatePem))),
                        "private key material"),
                new Bad("public and private PEM together", issuerWith(key("k", "EdDSA", "\"public_key_pem\":"
                        + quoted(pem(ED) + privatePem))), "private key material"),
                new Bad("PEM garbage", issuerWith(key("k", "EdDSA", "\"public_key_pem\":\"hello\"")), "PEM block"),
                new Bad("PEM body not base64", issuerWith(key("k", "EdDSA", "\"public_key_pem\":\"-----BEGIN PUBLIC "
                        + "KEY-----\\n!!!\\n-----END PUBLIC KEY-----\"")), "not base64"),
                new Bad("Ed25519 key declared ES256", issuerWith(key("k", "ES256", ed)), "not an SPKI public key for"
                        + " ES256"),
                new Bad("P-256 key declared EdDSA", issuerWith(key("k", "EdDSA", pemOf(EC))), "not an SPKI public key"
                        + " for EdDSA"),
                new Bad("RSA key declared ES256 (JWK)", issuerWith(key("k", "ES256", "\"jwk\":" + jwk(RSA))),
                        "expected: P-256 for ES256"),
                new Bad("RSA of 1024 bits", issuerWith(key("k", "RS256", weakRsa)), "RSA key of 1024 bits"),
                new Bad("RSA exponent even", issuerWith(key("k", "RS256", "\"public_key_pem\":"
                        + quoted(JwtPem.encode(JwtPem.PUBLIC, evenExponent.getEncoded())))),
                        "RSA public exponent 65536"),
                new Bad("private JWK (d)", issuerWith(key("k", "EdDSA", "\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
                        + "\"x\":\"" + edX + "\",\"d\":\"AA\"}")), "private key material \"d\""),
                new Bad("private RSA JWK (p)", issuerWith(key("k", "RS256", "\"jwk\":" + jwk(RSA).replace("}",
                        ",\"p\":\"AQ\"}"))), "private key material \"p\""),
                new Bad("symmetric JWK", issuerWith(key("k", "EdDSA", "\"jwk\":{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}")),
                        "symmetric (HMAC) key"),
                new Bad("JWK without kty", issuerWith(key("k", "EdDSA", "\"jwk\":{\"x\":\"" + edX + "\"}")),
                        "kty missing"),
                new Bad("JWK a string", issuerWith(key("k", "EdDSA", "\"jwk\":\"x\"")), "jwk: expected an object"),
                new Bad("JWK with x5u", issuerWith(key("k", "EdDSA", "\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
                        + "\"x\":\"" + edX + "\",\"x5u\":\"https://evil.example/\"}")), "unknown member \"x5u\""),
                new Bad("JWK alg differs", issuerWith(key("k", "EdDSA", "\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
                        + "\"x\":\"" + edX + "\",\"alg\":\"ES256\"}")), "jwk: alg \"ES256\""),
                new Bad("JWK kid differs", issuerWith(key("k", "EdDSA", "\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
                        + "\"x\":\"" + edX + "\",\"kid\":\"other\"}")), "jwk: kid \"other\""),
                new Bad("JWK for encryption", issuerWith(key("k", "EdDSA", "\"jwk\":{\"kty\":\"OKP\",\"crv\":"
                        + "\"Ed25519\",\"x\":\"" + edX + "\",\"use\":\"enc\"}")), "jwk: use \"enc\""),
                new Bad("JWK key_ops without verify", issuerWith(key("k", "EdDSA", "\"jwk\":{\"kty\":\"OKP\",\"crv\":"
                        + "\"Ed25519\",\"x\":\"" + edX + "\",\"key_ops\":[\"sign\"]}")), "key_ops"),
                new Bad("JWK EC point not on the curve", issuerWith(key("k", "ES256", "\"jwk\":{\"kty\":\"EC\",\"crv\":"
                        + "\"P-256\",\"x\":" + jwkMember(EC, "x") + ",\"y\":" + jwkMember(EC, "x") + "}")),
                        "kid \"k\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badKeySets")
    void refused(Bad bad) {
        JwtKeySetException e = catchThrowableOfType(JwtKeySetException.class,
                () -> JwtKeySet.parse(bad.json().getBytes(StandardCharsets.UTF_8)));
        assertThat(e).as("refused").isNotNull();
        assertThat(e.getMessage()).contains(bad.messageContains());
    }

    @Test
    void valuesValidateThemselves() {
        JwtKey ed = KEYS.key("ed-1").orElseThrow();
        assertThatThrownBy(() -> new JwtKey("k", JwtAlg.ES256, ED.getPublic()))
                .hasMessageContaining("publicKey of kid k: key Ed25519 (expected: P-256 for ES256)");
        assertThatThrownBy(() -> new JwtKey("a\nb", JwtAlg.EDDSA, ED.getPublic()))
                .hasMessageContaining("kid: \"a\\u000ab\" (expected: 1..256 printable ASCII characters)");
        assertThatThrownBy(() -> new JwtIssuer("i", List.of(), ClaimMapping.DEFAULT, List.of(ed)))
                .hasMessageContaining("audiences of i: [] (expected: at least one)");
        assertThatThrownBy(() -> new JwtIssuer("i", List.of("a"), ClaimMapping.DEFAULT, List.of()))
                .hasMessageContaining("keys of i: [] (expected: at least one)");
        assertThatThrownBy(() -> new JwtIssuer("", List.of("a"), ClaimMapping.DEFAULT, List.of(ed)))
                .hasMessageContaining("issuer: \"\" (expected: 1..1024 printable ASCII characters)");
        assertThatThrownBy(() -> new ClaimMapping("sub", "aud", "p", "e", "t"))
                .hasMessageContaining("teamId: \"aud\"");
        JwtIssuer one = new JwtIssuer("i", List.of("a"), ClaimMapping.DEFAULT, List.of(ed));
        assertThatThrownBy(() -> JwtKeySet.of(List.of(one, one))).hasMessageContaining("duplicate");
        assertThat(JwtAlg.fromJwsName("none")).isEmpty();
        assertThat(JwtAlg.fromJwsName("HS256")).isEmpty();
        assertThat(JwtAlg.fromJwsName("RS256")).contains(JwtAlg.RS256);
    }
}
