package io.clawgress.appliance.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The {@code identity} and {@code intercept} sections (docs/config.md): how agents prove who they are inside HTTP
 * and intercepted TLS, and how intercepted upstreams are verified.
 *
 * @param trustDomain              SPIFFE trust domain of agent client certificates
 *                                 ({@code spiffe://<trust-domain>/agent/<id>})
 * @param jwtHeader                the request field carrying agent tokens; removed before requests leave the gateway
 * @param jwtClockSkew             leeway for {@code exp} and {@code nbf}
 * @param clientCertificates       whether the gateway asks agents for a client certificate when it terminates TLS
 * @param upstreamCa               PEM CA certificates trusted for intercepted upstreams instead of the system store,
 *                                 or {@code null}
 * @param upstreamHandshakeTimeout how long an intercepted upstream may take to complete TLS
 */
public record IdentitySettings(String trustDomain, String jwtHeader, Duration jwtClockSkew,
                               boolean clientCertificates, Path upstreamCa, Duration upstreamHandshakeTimeout) {

    /** RFC 9110 §5.1 field-name token. */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
    /** SPIFFE trust domain: lower-case letters, digits, dots, dashes and underscores (SPIFFE-ID §2.1). */
    private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]{1,255}");

    public static final String DEFAULT_TRUST_DOMAIN = "clawgress.local";
    public static final String DEFAULT_JWT_HEADER = "Proxy-Authorization";
    public static final Duration DEFAULT_JWT_CLOCK_SKEW = Duration.ofSeconds(60);
    public static final Duration DEFAULT_UPSTREAM_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final IdentitySettings DEFAULTS = new IdentitySettings(DEFAULT_TRUST_DOMAIN, DEFAULT_JWT_HEADER,
            DEFAULT_JWT_CLOCK_SKEW, true, null, DEFAULT_UPSTREAM_HANDSHAKE_TIMEOUT);

    public IdentitySettings {
        Objects.requireNonNull(jwtClockSkew, "jwtClockSkew");
        Objects.requireNonNull(upstreamHandshakeTimeout, "upstreamHandshakeTimeout");
        if (trustDomain == null || !TRUST_DOMAIN.matcher(trustDomain).matches()) {
            throw new IllegalArgumentException("trustDomain: " + trustDomain + " (expected: a SPIFFE trust domain of"
                    + " lower-case a-z 0-9 . _ -, e.g. agents.example.com)");
        }
        if (jwtHeader == null || !TOKEN.matcher(jwtHeader).matches()) {
            throw new IllegalArgumentException("jwtHeader: " + jwtHeader + " (expected: an HTTP field name such as "
                    + "Proxy-Authorization)");
        }
        String lower = jwtHeader.toLowerCase(java.util.Locale.ROOT);
        if (lower.equals("host") || lower.equals("content-length") || lower.equals("transfer-encoding")) {
            throw new IllegalArgumentException("jwtHeader: " + jwtHeader + " (expected: not Host, Content-Length or"
                    + " Transfer-Encoding: the gateway removes this field from every request)");
        }
    }
}
