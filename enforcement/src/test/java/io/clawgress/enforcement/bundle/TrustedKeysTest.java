package io.clawgress.enforcement.bundle;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.enforcement.bundle.BundleException.Reason;
import io.jsonwebtoken.security.Jwks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.security.interfaces.ECPublicKey;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class TrustedKeysTest {

    private static final BundleFixture FX = new BundleFixture();

    @Test
    void keySetWrittenByKeyGenParsesToTheSameKeys() throws Exception {
        assertThat(FX.trusted.size()).isEqualTo(2);
        TrustedKey ed = FX.trusted.find("ops-ed-2026").orElseThrow();
        TrustedKey ec = FX.trusted.find("ops-ec-2026").orElseThrow();
        assertThat(ed.alg()).isEqualTo(SigningAlg.EDDSA);
        assertThat(ec.alg()).isEqualTo(SigningAlg.ES256);
        assertThat(ed.publicKey()).isEqualTo(FX.ed.trustedKey().publicKey());
        assertThat(FX.trusted.find("nobody")).isEmpty();
    }

    @Test
    void acceptsAPublicJwk() throws Exception {
        ECPublicKey key = (ECPublicKey) FX.ec.trustedKey().publicKey();
        String jwk = new ObjectMapper().writeValueAsString(Jwks.builder().key(key).build());
        TrustedKeys keys = TrustedKeys.parse(utf8("{\"keys\":[{\"kid\":\"jwk-1\",\"alg\":\"ES256\",\"jwk\":" + jwk
                + "}]}"));
        assertThat(keys.find("jwk-1").orElseThrow().publicKey()).isEqualTo(key);
    }

    record Bad(String name, String json, String messageContains) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Bad> badKeySets() {
        String edPem = json(FX.ed.publicKeyPem());
        String ecPem = json(FX.ec.publicKeyPem());
        return Stream.of(
                new Bad("not JSON", "{keys:", "not valid JSON"),
                new Bad("a bare list", "[]", "expected a JSON object"),
                new Bad("unknown top-level field", "{\"keys\":[],\"unsafe\":1}", "unknown field \"unsafe\""),
                new Bad("keys missing", "{}", "keys missing"),
                new Bad("alg none", "{\"keys\":[{\"kid\":\"a\",\"alg\":\"none\",\"public_key_pem\":" + edPem + "}]}",
                        "alg \"none\""),
                new Bad("alg HS256", "{\"keys\":[{\"kid\":\"a\",\"alg\":\"HS256\",\"public_key_pem\":" + edPem + "}]}",
                        "alg \"HS256\""),
                new Bad("Ed25519 key declared ES256", "{\"keys\":[{\"kid\":\"a\",\"alg\":\"ES256\",\"public_key_pem\":"
                        + edPem + "}]}", "kid a"),
                new Bad("P-256 key declared EdDSA", "{\"keys\":[{\"kid\":\"a\",\"alg\":\"EdDSA\",\"public_key_pem\":"
                        + ecPem + "}]}", "kid a"),
                new Bad("duplicate kid", "{\"keys\":[{\"kid\":\"a\",\"alg\":\"EdDSA\",\"public_key_pem\":" + edPem
                        + "},{\"kid\":\"a\",\"alg\":\"ES256\",\"public_key_pem\":" + ecPem + "}]}", "duplicate kid"),
                new Bad("neither PEM nor JWK", "{\"keys\":[{\"kid\":\"a\",\"alg\":\"EdDSA\"}]}",
                        "exactly one of public_key_pem, jwk"),
                new Bad("private JWK", "{\"keys\":[{\"kid\":\"a\",\"alg\":\"EdDSA\",\"jwk\":{\"kty\":\"OKP\","
                        + "\"crv\":\"Ed25519\",\"x\":\"AA\",\"d\":\"AA\"}}]}", "private key material"),
                new Bad("unknown key field", "{\"keys\":[{\"kid\":\"a\",\"alg\":\"EdDSA\",\"use\":\"sig\","
                        + "\"public_key_pem\":" + edPem + "}]}", "unknown field \"use\""),
                new Bad("PEM garbage", "{\"keys\":[{\"kid\":\"a\",\"alg\":\"EdDSA\",\"public_key_pem\":\"hello\"}]}",
                        "PEM block"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badKeySets")
    void refused(Bad bad) {
        BundleException e = catchThrowableOfType(BundleException.class, () -> TrustedKeys.parse(utf8(bad.json())));
        assertThat(e).as(bad.name()).isNotNull();
        assertThat(e.reason()).isEqualTo(Reason.MALFORMED_KEY_SET);
        assertThat(e.getMessage()).contains(bad.messageContains());
    }

    @Test
    void keyGenRoundTripsPem() throws Exception {
        for (SigningAlg alg : SigningAlg.values()) {
            KeyGen.GeneratedKey k = KeyGen.generate(alg, "k-" + alg);
            assertThat(k.privateKeyPem()).startsWith("-----BEGIN PRIVATE KEY-----\n");
            assertThat(k.publicKeyPem()).startsWith("-----BEGIN PUBLIC KEY-----\n");
            assertThat(k.signingKey().alg()).isEqualTo(alg);
            assertThat(TrustedKeys.parse(utf8(KeyGen.keySetJson(List.of(k)))).find("k-" + alg)).isPresent();
        }
    }

    private static String json(String s) {
        try {
            return new ObjectMapper().writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
