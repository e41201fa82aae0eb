package io.clawgress.enforcement.identity.jwt;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import static io.clawgress.enforcement.identity.jwt.JwtFixture.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tokens minted locally verify against the key set written for them, and only for as long as their ttl. */
class JwtMinterTest {

    private static final String ISS = "clawgress-local";
    private static final Identity AGENT = new Identity("agent-42", "research", null, "prod", "t1", AuthMethod.SUBNET,
            true);

    @Test
    void aMintedTokenVerifiesWithTheGeneratedKeySet() throws Exception {
        JwtMinter.GeneratedKey key = JwtMinter.generate("local-2026");
        JwtKeySet keys = JwtKeySet.parse(JwtMinter.keySetJson(ISS, List.of("clawgress"), List.of(key))
                .getBytes(StandardCharsets.UTF_8));
        assertThat(keys.key("local-2026").orElseThrow()).isEqualTo(key.jwtKey());
        JwtMinter minter = key.minter(ISS);
        Instant now = NOW.plusMillis(700);
        String token = minter.mint(AGENT, "clawgress", now, Duration.ofHours(8));

        JwtVerifier verifier = new JwtVerifier(keys, JwtSettings.DEFAULTS);
        JwtVerifier.Verified v = (JwtVerifier.Verified) verifier.verify("Bearer " + token, now);
        assertThat(v.identity()).isEqualTo(new Identity("agent-42", "research", null, "prod", "t1", AuthMethod.JWT,
                true));
        assertThat(v.kid()).isEqualTo("local-2026");
        assertThat(v.expires()).isEqualTo(NOW.plus(Duration.ofHours(8)));
        JwtVerifier.Result late = verifier.verify("Bearer " + token, NOW.plus(Duration.ofHours(8)).plusSeconds(60));
        assertThat(late).isInstanceOfSatisfying(JwtVerifier.Refused.class,
                r -> assertThat(r.reasonCode()).isEqualTo("jwt_expired"));
        assertThat(verifier.verify("Bearer " + minter.mint(AGENT, "someone-else", now, Duration.ofHours(1)), now))
                .isInstanceOfSatisfying(JwtVerifier.Refused.class,
                        r -> assertThat(r.reasonCode()).isEqualTo("jwt_wrong_audience"));
    }

    @Test
    void theTokenCarriesTheStandardClaimsAndAHeaderWithKidAndAlg() throws Exception {
        JwtMinter.GeneratedKey key = JwtMinter.generate("local");
        String token = key.minter(ISS).mint(AGENT, "clawgress", NOW, Duration.ofMinutes(10));
        String[] parts = token.split("\\.");
        var header = JwtFixture.JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
        var claims = JwtFixture.JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
        assertThat(header.get("alg").textValue()).isEqualTo("EdDSA");
        assertThat(header.get("kid").textValue()).isEqualTo("local");
        assertThat(header.get("typ").textValue()).isEqualTo("JWT");
        assertThat(claims.get("iss").textValue()).isEqualTo(ISS);
        assertThat(claims.get("sub").textValue()).isEqualTo("agent-42");
        assertThat(claims.get("team_id").textValue()).isEqualTo("research");
        assertThat(claims.has("project_id")).isFalse();
        assertThat(claims.get("exp").longValue()).isEqualTo(NOW.getEpochSecond() + 600);
        assertThat(claims.get("nbf").longValue()).isEqualTo(NOW.getEpochSecond());
        assertThat(claims.get("jti").textValue()).isNotBlank();
        assertThat(key.minter(ISS).mint(AGENT, "clawgress", NOW, Duration.ofMinutes(10))).isNotEqualTo(token);
    }

    @Test
    void refusesWhatItMustNotMint() throws Exception {
        JwtMinter minter = JwtMinter.generate("local").minter(ISS);
        assertThatThrownBy(() -> minter.mint(AGENT, "clawgress", NOW, Duration.ZERO))
                .hasMessageContaining("ttl: PT0S (expected: PT1S..PT8784H)");
        assertThatThrownBy(() -> minter.mint(AGENT, "clawgress", NOW, Duration.ofDays(400)))
                .hasMessageContaining("ttl: PT9600H");
        assertThatThrownBy(() -> minter.mint(AGENT, "", NOW, Duration.ofHours(1)))
                .hasMessageContaining("audience: \"\"");
        Identity disabled = new Identity("agent-9", null, null, null, null, AuthMethod.SUBNET, false);
        assertThatThrownBy(() -> minter.mint(disabled, "clawgress", NOW, Duration.ofHours(1)))
                .hasMessageContaining("agent agent-9: disabled");
        assertThatThrownBy(() -> new JwtMinter(ISS, "k", JwtFixture.EC.getPrivate()))
                .hasMessageContaining("privateKey: key EC of 256 bits (expected: Ed25519 for EdDSA)");
        assertThatThrownBy(() -> new JwtMinter("", "k", JwtFixture.ED.getPrivate())).hasMessageContaining("issuer");
        assertThatThrownBy(() -> JwtMinter.generate(" ")).hasMessageContaining("kid");
    }

    @Test
    void privateKeysNeverLeakThroughToString() throws Exception {
        JwtMinter.GeneratedKey key = JwtMinter.generate("local");
        assertThat(key.privateKeyPem()).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(key.publicKeyPem()).startsWith("-----BEGIN PUBLIC KEY-----");
        assertThat(key.toString()).isEqualTo("GeneratedKey[kid=local, alg=EdDSA]");
        assertThat(JwtMinter.keySetJson(ISS, List.of("a"), List.of(key))).doesNotContain("PRIVATE");
    }
}
