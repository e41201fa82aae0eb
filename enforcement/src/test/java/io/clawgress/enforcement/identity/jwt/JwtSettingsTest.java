package io.clawgress.enforcement.identity.jwt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JwtSettingsTest {

    @Test
    void defaults() {
        JwtSettings d = JwtSettings.DEFAULTS;
        assertThat(d.headerName()).isEqualTo("Proxy-Authorization");
        assertThat(d.scheme()).isEqualTo("Bearer");
        assertThat(d.maxTokenBytes()).isEqualTo(8192);
        assertThat(d.clockSkew()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.cacheSize()).isEqualTo(100_000);
        assertThat(d.cacheTtl()).isEqualTo(Duration.ofMinutes(5));
    }

    record Bad(String name, Supplier<JwtSettings> build, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Bad> bad() {
        JwtSettings d = JwtSettings.DEFAULTS;
        return Stream.of(
                new Bad("header with a colon", () -> d.withHeader("Proxy-Authorization:", "Bearer"),
                        "headerName: \"Proxy-Authorization:\" (expected: 1..64 token characters, RFC 9110 §5.6.2)"),
                new Bad("empty header", () -> d.withHeader("", "Bearer"), "headerName: \"\""),
                new Bad("null header", () -> d.withHeader(null, "Bearer"), "headerName: null"),
                new Bad("scheme with a space", () -> d.withHeader("X-Token", "Bearer x"), "scheme: \"Bearer x\""),
                new Bad("token cap too small", () -> d.withMaxTokenBytes(10),
                        "maxTokenBytes: 10 (expected: 64..65536)"),
                new Bad("token cap too large", () -> d.withMaxTokenBytes(1 << 20),
                        "maxTokenBytes: 1048576 (expected: 64..65536)"),
                new Bad("negative skew", () -> d.withClockSkew(Duration.ofSeconds(-1)),
                        "clockSkew: PT-1S (expected: 0..PT5M)"),
                new Bad("skew over 5 min", () -> d.withClockSkew(Duration.ofMinutes(6)),
                        "clockSkew: PT6M (expected: 0..PT5M)"),
                new Bad("negative cache", () -> d.withCache(-1, Duration.ofMinutes(1)),
                        "cacheSize: -1 (expected: 0..10000000, 0 = no cache)"),
                new Bad("ttl zero", () -> d.withCache(10, Duration.ZERO), "cacheTtl: PT0S (expected: PT1S..PT24H)"),
                new Bad("ttl over a day", () -> d.withCache(10, Duration.ofDays(2)), "cacheTtl: PT48H"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bad")
    void refused(Bad bad) {
        assertThatThrownBy(() -> bad.build().get()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(bad.message());
    }

    @Test
    void boundsAreInclusive() {
        JwtSettings d = JwtSettings.DEFAULTS;
        assertThat(d.withClockSkew(Duration.ofMinutes(5)).clockSkew()).isEqualTo(Duration.ofMinutes(5));
        assertThat(d.withClockSkew(Duration.ZERO).clockSkew()).isZero();
        assertThat(d.withCache(0, Duration.ofSeconds(1)).cacheSize()).isZero();
        assertThat(d.withMaxTokenBytes(64).maxTokenBytes()).isEqualTo(64);
        assertThat(d.withHeader("X-Agent-Token", "Agent").headerName()).isEqualTo("X-Agent-Token");
    }
}
