package io.clawgress.enforcement.identity.jwt;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The two-generation bound: what is dropped, what survives, and the usable window of an entry. */
class TokenCacheTest {

    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

    private static TokenCache.Key key(String token) {
        byte[] bytes = token.getBytes(StandardCharsets.UTF_8);
        return TokenCache.Key.of(bytes, 0, bytes.length);
    }

    private static TokenCache.Entry entry(String agent) {
        Identity id = new Identity(agent, null, null, null, null, AuthMethod.JWT, true);
        return new TokenCache.Entry(new JwtVerifier.Verified(id, NOW.plusSeconds(600), "k"), Instant.MIN,
                NOW.plusSeconds(600));
    }

    @Test
    void aTokenInUseSurvivesRotationsAndAnIdleOneIsDropped() {
        TokenCache cache = new TokenCache(4); // generations of 2
        TokenCache.Entry a = entry("a");
        TokenCache.Entry b = entry("b");
        cache.put(key("A"), a);
        cache.put(key("B"), b); // young full: it becomes the old generation
        assertThat(cache.get(key("A"), NOW)).isSameAs(a.verified()); // copied forward into the new young one
        cache.put(key("C"), entry("c")); // young {A, C} full: old {A, B} is dropped, B with it
        assertThat(cache.get(key("A"), NOW)).isSameAs(a.verified());
        assertThat(cache.get(key("B"), NOW)).isNull();
        assertThat(cache.size()).isLessThanOrEqualTo(4);
    }

    @Test
    void anEntryIsUsedOnlyInsideItsWindowAndDroppedOutsideIt() {
        TokenCache cache = new TokenCache(100);
        TokenCache.Entry e = new TokenCache.Entry(entry("a").verified(), NOW.minusSeconds(10), NOW.plusSeconds(10));
        cache.put(key("A"), e);
        assertThat(cache.get(key("A"), NOW.minusSeconds(10))).isNotNull();
        assertThat(cache.get(key("A"), NOW.plusSeconds(9))).isNotNull();
        assertThat(cache.get(key("A"), NOW.plusSeconds(10))).isNull();
        assertThat(cache.size()).isZero();
        cache.put(key("A"), e);
        assertThat(cache.get(key("A"), NOW.minusSeconds(11))).isNull();
        assertThat(cache.size()).isZero();
    }

    @Test
    void keysAreTheSha256OfTheBytes() {
        assertThat(key("A")).isEqualTo(key("A")).isNotEqualTo(key("B"));
        // SHA-256("abc"), FIPS 180-2 appendix B.1: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assertThat(key("abc")).isEqualTo(new TokenCache.Key(0xba7816bf8f01cfeaL, 0x414140de5dae2223L,
                0xb00361a396177a9cL, 0xb410ff61f20015adL));
        byte[] framed = "xxabcyy".getBytes(StandardCharsets.UTF_8);
        assertThat(TokenCache.Key.of(framed, 2, 5)).isEqualTo(key("abc"));
        assertThatThrownBy(() -> new TokenCache(0)).hasMessageContaining("capacity: 0 (expected: >= 1)");
    }
}
