package io.clawgress.enforcement.identity.jwt;

import java.time.Duration;
import java.util.Objects;

/**
 * How the gateway reads and checks injected agent tokens. Built once from the daemon's configuration on the
 * startup (or reload) thread; immutable, read from any thread.
 *
 * @param headerName    request header carrying the token (RFC 9110 §5.1 field name), default
 *                      {@code Proxy-Authorization}; the lead strips it before the request leaves the gateway
 * @param scheme        authentication scheme before the token (RFC 9110 §11.1, compared case-insensitively), default
 *                      {@code Bearer} (RFC 6750 §2.1)
 * @param maxTokenBytes longest accepted token; longer ones are refused before any parsing, default 8192
 * @param clockSkew     tolerance on {@code exp} and {@code nbf} for clocks that disagree, default 60 s, at most 5 min
 * @param cacheSize     verified tokens kept, default 100,000; 0 turns the cache off
 * @param cacheTtl      longest a verified token is trusted without checking it again, even when its {@code exp} is
 *                      later, default 5 min
 */
public record JwtSettings(String headerName, String scheme, int maxTokenBytes, Duration clockSkew, int cacheSize,
                          Duration cacheTtl) {

    public static final String DEFAULT_HEADER = "Proxy-Authorization";
    public static final String DEFAULT_SCHEME = "Bearer";
    public static final int DEFAULT_MAX_TOKEN_BYTES = 8192;
    public static final int MAX_TOKEN_BYTES_LIMIT = 64 * 1024;
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
    public static final int DEFAULT_CACHE_SIZE = 100_000;
    public static final int MAX_CACHE_SIZE = 10_000_000;
    public static final Duration DEFAULT_CACHE_TTL = Duration.ofMinutes(5);
    public static final Duration MAX_CACHE_TTL = Duration.ofHours(24);

    public static final JwtSettings DEFAULTS = new JwtSettings(DEFAULT_HEADER, DEFAULT_SCHEME, DEFAULT_MAX_TOKEN_BYTES,
            DEFAULT_CLOCK_SKEW, DEFAULT_CACHE_SIZE, DEFAULT_CACHE_TTL);

    public JwtSettings {
        requireToken("headerName", headerName);
        requireToken("scheme", scheme);
        if (maxTokenBytes < 64 || maxTokenBytes > MAX_TOKEN_BYTES_LIMIT) {
            throw new IllegalArgumentException("maxTokenBytes: " + maxTokenBytes + " (expected: 64.."
                    + MAX_TOKEN_BYTES_LIMIT + ")");
        }
        Objects.requireNonNull(clockSkew, "clockSkew");
        if (clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw new IllegalArgumentException("clockSkew: " + clockSkew + " (expected: 0.." + MAX_CLOCK_SKEW + ")");
        }
        if (cacheSize < 0 || cacheSize > MAX_CACHE_SIZE) {
            throw new IllegalArgumentException("cacheSize: " + cacheSize + " (expected: 0.." + MAX_CACHE_SIZE
                    + ", 0 = no cache)");
        }
        Objects.requireNonNull(cacheTtl, "cacheTtl");
        if (cacheTtl.compareTo(Duration.ofSeconds(1)) < 0 || cacheTtl.compareTo(MAX_CACHE_TTL) > 0) {
            throw new IllegalArgumentException("cacheTtl: " + cacheTtl + " (expected: PT1S.." + MAX_CACHE_TTL + ")");
        }
    }

    public JwtSettings withHeader(String headerName, String scheme) {
        return new JwtSettings(headerName, scheme, maxTokenBytes, clockSkew, cacheSize, cacheTtl);
    }

    public JwtSettings withMaxTokenBytes(int maxTokenBytes) {
        return new JwtSettings(headerName, scheme, maxTokenBytes, clockSkew, cacheSize, cacheTtl);
    }

    public JwtSettings withClockSkew(Duration clockSkew) {
        return new JwtSettings(headerName, scheme, maxTokenBytes, clockSkew, cacheSize, cacheTtl);
    }

    public JwtSettings withCache(int cacheSize, Duration cacheTtl) {
        return new JwtSettings(headerName, scheme, maxTokenBytes, clockSkew, cacheSize, cacheTtl);
    }

    /** RFC 9110 §5.6.2: token = 1*tchar. */
    private static void requireToken(String field, String value) {
        if (value == null || value.isEmpty() || value.length() > 64 || !isToken(value)) {
            throw new IllegalArgumentException(field + ": " + JwtText.quote(value) + " (expected: 1..64 token "
                    + "characters, RFC 9110 §5.6.2)");
        }
    }

    private static boolean isToken(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean tchar = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return true;
    }
}
