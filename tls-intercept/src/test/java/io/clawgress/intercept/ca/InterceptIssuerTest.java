package io.clawgress.intercept.ca;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InterceptIssuerTest {

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    private InterceptIssuer issuer;

    @BeforeEach
    void setUp() throws Exception {
        issuer = new InterceptIssuer(InterceptCa.openOrCreate(dir, clock), LeafMinter.Settings.DEFAULTS,
                InterceptCa.DEFAULT_INTERMEDIATE_LIFETIME, clock);
    }

    @Test
    void nothingToMintBeforeTheFirstRefreshOrWithoutNames() {
        assertThat(issuer.current()).isEmpty();
        assertThat(issuer.refresh(InterceptNames.NONE)).isFalse();
        assertThat(issuer.current()).isEmpty();
    }

    @Test
    void keepsTheIntermediateWhileNamesAreUnchangedAndBeforeHalfLife() {
        InterceptNames names = InterceptNames.of(List.of("api.example.com"));
        assertThat(issuer.refresh(names)).isTrue();
        LeafMinter first = issuer.current().orElseThrow();
        first.mint("api.example.com", Runnable::run).join();

        clock.advance(Duration.ofDays(3));
        assertThat(issuer.refresh(InterceptNames.of(List.of("API.example.com")))).isFalse();

        assertThat(issuer.current()).containsSame(first);
    }

    @Test
    void reissuesWithAFreshCacheWhenNamesChange() {
        issuer.refresh(InterceptNames.of(List.of("api.example.com", "old.example.com")));
        LeafMinter first = issuer.current().orElseThrow();

        assertThat(issuer.refresh(InterceptNames.of(List.of("api.example.com")))).isTrue();

        LeafMinter second = issuer.current().orElseThrow();
        assertThat(second.intermediate()).isNotSameAs(first.intermediate());
        assertThat(second.stats().size()).isZero();
        assertThat(second.permits("old.example.com")).isFalse();
        assertThat(second.mint("old.example.com", Runnable::run)).isCompletedExceptionally();
    }

    @Test
    void reissuesAtHalfLife() {
        InterceptNames names = InterceptNames.of(List.of("api.example.com"));
        issuer.refresh(names);
        Intermediate first = issuer.current().orElseThrow().intermediate();

        clock.set(first.halfLife());

        assertThat(issuer.refresh(names)).isTrue();
        assertThat(issuer.current().orElseThrow().intermediate().notAfter()).isAfter(first.notAfter());
    }

    @Test
    void dropsTheMinterWhenNothingIsInterceptedAnyMore() {
        issuer.refresh(InterceptNames.of(List.of("api.example.com")));

        assertThat(issuer.refresh(InterceptNames.NONE)).isTrue();
        assertThat(issuer.current()).isEmpty();
    }

    @Test
    void refusesAnIntermediateLifetimeShorterThanTwoLeafLifetimes() throws Exception {
        InterceptCa ca = InterceptCa.openOrCreate(dir, clock);

        assertThatThrownBy(() -> new InterceptIssuer(ca, LeafMinter.Settings.DEFAULTS, Duration.ofHours(47), clock))
                .hasMessageStartingWith("intermediateLifetime: PT47H (expected: >= PT48H");
    }
}
