package io.clawgress.enforcement.identity.jwt;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.clawgress.enforcement.identity.jwt.JwtFixture.KEYS;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.NOW;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.bearer;
import static io.clawgress.enforcement.identity.jwt.JwtFixture.edToken;
import static org.assertj.core.api.Assertions.assertThat;

/** The verified-token cache, driven by an injected clock (the {@code now} argument): hits, expiry, bounds. */
class JwtVerifierCacheTest {

    private static Map<String, Object> claims(String sub, long expSeconds) {
        Map<String, Object> c = JwtFixture.claims();
        c.put("sub", sub);
        c.put("exp", NOW.getEpochSecond() + expSeconds);
        return c;
    }

    private static JwtVerifier verifier(int size, Duration ttl) {
        return new JwtVerifier(KEYS, JwtSettings.DEFAULTS.withCache(size, ttl));
    }

    private static JwtVerifier.Verified verified(JwtVerifier.Result r) {
        assertThat(r).isInstanceOf(JwtVerifier.Verified.class);
        return (JwtVerifier.Verified) r;
    }

    private static String code(JwtVerifier.Result r) {
        assertThat(r).isInstanceOf(JwtVerifier.Refused.class);
        return ((JwtVerifier.Refused) r).reasonCode();
    }

    @Test
    void aHitReturnsTheSameVerifiedIdentity() {
        JwtVerifier v = verifier(1000, Duration.ofMinutes(5));
        String header = bearer(edToken(claims("agent-1", 600)));
        JwtVerifier.Verified first = verified(v.verify(header, NOW));
        JwtVerifier.Verified second = verified(v.verify(header, NOW.plusSeconds(10)));
        assertThat(second).isSameAs(first);
        assertThat(second.identity()).isSameAs(first.identity());
        assertThat(v.cachedTokens()).isEqualTo(1);
    }

    @Test
    void cachedAnswersOnlyFromTheCache() {
        JwtVerifier v = verifier(1000, Duration.ofMinutes(5));
        String header = bearer(edToken(claims("agent-1", 600)));
        assertThat(v.cached(header, NOW)).isNull();
        JwtVerifier.Verified first = verified(v.verify(header, NOW));
        assertThat(v.cached(header, NOW.plusSeconds(1))).isSameAs(first);
        assertThat(v.cached(header, NOW.plusSeconds(600))).isNull();
        assertThat(v.cached(null, NOW)).isNull();
        assertThat(v.cached("Basic x", NOW)).isNull();
        assertThat(verifier(0, Duration.ofMinutes(5)).cached(header, NOW)).isNull();
    }

    @Test
    void theKeyIsTheTokenNotTheWayTheHeaderSpellsTheScheme() {
        JwtVerifier v = verifier(1000, Duration.ofMinutes(5));
        String token = edToken(claims("agent-1", 600));
        JwtVerifier.Verified first = verified(v.verify("Bearer " + token, NOW));
        assertThat(v.verify("bearer   " + token, NOW)).isSameAs(first);
        assertThat(v.cachedTokens()).isEqualTo(1);
    }

    @Test
    void anEntryExpiresWithItsToken() {
        JwtVerifier v = verifier(1000, Duration.ofHours(1));
        String header = bearer(edToken(claims("agent-1", 100)));
        JwtVerifier.Verified first = verified(v.verify(header, NOW));
        assertThat(v.verify(header, NOW.plusSeconds(99))).isSameAs(first);
        // At exp the entry is gone; the full check still accepts the token within the 60 s skew...
        JwtVerifier.Verified again = verified(v.verify(header, NOW.plusSeconds(100)));
        assertThat(again).isNotSameAs(first).isEqualTo(first);
        // ...and refuses it after.
        assertThat(code(v.verify(header, NOW.plusSeconds(160)))).isEqualTo("jwt_expired");
        assertThat(code(v.verify(header, NOW.plusSeconds(99_999)))).isEqualTo("jwt_expired");
    }

    @Test
    void anEntryLivesAtMostTheCacheTtl() {
        JwtVerifier v = verifier(1000, Duration.ofSeconds(10));
        String header = bearer(edToken(claims("agent-1", 3600)));
        JwtVerifier.Verified first = verified(v.verify(header, NOW));
        assertThat(v.verify(header, NOW.plusSeconds(9))).isSameAs(first);
        JwtVerifier.Verified rechecked = verified(v.verify(header, NOW.plusSeconds(10)));
        assertThat(rechecked).isNotSameAs(first);
        assertThat(v.verify(header, NOW.plusSeconds(19))).isSameAs(rechecked);
    }

    @Test
    void aClockThatGoesBackBeforeNbfIsNotAnsweredFromTheCache() {
        JwtVerifier v = verifier(1000, Duration.ofMinutes(5));
        Map<String, Object> c = claims("agent-1", 600);
        c.put("nbf", NOW.getEpochSecond() - 10);
        String header = bearer(edToken(c));
        verified(v.verify(header, NOW));
        assertThat(code(v.verify(header, NOW.minusSeconds(71)))).isEqualTo("jwt_not_yet_valid");
    }

    @Test
    void refusalsAreNotCached() {
        JwtVerifier v = verifier(1000, Duration.ofMinutes(5));
        String expired = bearer(edToken(claims("agent-1", -3600)));
        assertThat(code(v.verify(expired, NOW))).isEqualTo("jwt_expired");
        assertThat(code(v.verify("Bearer a.b.c", NOW))).isEqualTo("jwt_malformed");
        assertThat(v.cachedTokens()).isZero();
        // A token refused early (nbf) is accepted once it becomes valid: nothing remembered the refusal.
        Map<String, Object> later = claims("agent-1", 3600);
        later.put("nbf", NOW.getEpochSecond() + 600);
        String header = bearer(edToken(later));
        assertThat(code(v.verify(header, NOW))).isEqualTo("jwt_not_yet_valid");
        verified(v.verify(header, NOW.plusSeconds(600)));
    }

    @Test
    void theCacheIsBounded() {
        JwtVerifier v = verifier(10, Duration.ofMinutes(5));
        List<String> headers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            headers.add(bearer(edToken(claims("agent-" + i, 600))));
        }
        for (String h : headers) {
            verified(v.verify(h, NOW));
            assertThat(v.cachedTokens()).isLessThanOrEqualTo(10);
        }
        // The newest tokens are still cached; the evicted ones verify again, with the same answer.
        JwtVerifier.Verified last = verified(v.verify(headers.get(99), NOW));
        assertThat(v.verify(headers.get(99), NOW)).isSameAs(last);
        assertThat(verified(v.verify(headers.get(0), NOW)).identity().agentId()).isEqualTo("agent-0");
    }

    @Test
    void aCacheOfOneStillCaches() {
        JwtVerifier v = verifier(1, Duration.ofMinutes(5));
        String header = bearer(edToken(claims("agent-1", 600)));
        JwtVerifier.Verified first = verified(v.verify(header, NOW));
        assertThat(v.verify(header, NOW)).isSameAs(first);
        assertThat(v.cachedTokens()).isLessThanOrEqualTo(2);
    }

    @Test
    void cacheSizeZeroTurnsCachingOff() {
        JwtVerifier v = verifier(0, Duration.ofMinutes(5));
        String header = bearer(edToken(claims("agent-1", 600)));
        JwtVerifier.Verified first = verified(v.verify(header, NOW));
        JwtVerifier.Verified second = verified(v.verify(header, NOW));
        assertThat(second).isNotSameAs(first).isEqualTo(first);
        assertThat(v.cachedTokens()).isZero();
    }

    @Test
    void aNewVerifierForANewKeySetStartsEmpty() {
        JwtVerifier old = verifier(1000, Duration.ofMinutes(5));
        String header = bearer(edToken(claims("agent-1", 600)));
        verified(old.verify(header, NOW));
        // The bundle dropped the key: the new verifier must not remember what the old key vouched for.
        JwtKeySet withoutEd = JwtKeySet.of(List.of(KEYS.issuer(JwtFixture.OTHER_ISS).orElseThrow()));
        JwtVerifier rotated = new JwtVerifier(withoutEd, JwtSettings.DEFAULTS);
        assertThat(code(rotated.verify(header, NOW))).isEqualTo("jwt_unknown_kid");
    }

    @Test
    void manyThreadsShareOneCache() throws Exception {
        // 24 tokens through 16 places: hits, misses, promotions and generation swaps all race.
        JwtVerifier v = verifier(16, Duration.ofMinutes(5));
        List<String> headers = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            headers.add(bearer(edToken(claims("agent-" + i, 600))));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t;
                results.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 500; i++) {
                        int n = (i % 3 == 0 ? i * 7 + offset : i % 8) % headers.size();
                        Instant at = NOW.plusMillis(i);
                        if (v.verify(headers.get(n), at) instanceof JwtVerifier.Verified ver
                                && ver.identity().agentId().equals("agent-" + n)) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> f : results) {
                assertThat(f.get()).isEqualTo(500);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(v.cachedTokens()).isLessThanOrEqualTo(16 + 4);
    }
}
