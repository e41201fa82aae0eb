package io.clawgress.api;

import java.util.List;
import java.util.Objects;

/**
 * What the flow's first bytes claimed (DESIGN.md §3 step 3). Claims, not facts: a name only counts together with
 * an address the gateway resolved for it.
 *
 * @param kind       what the bytes were
 * @param name       the claimed host: TLS SNI (outer SNI with ECH) or the HTTP Host / absolute-form authority; lower
 *                   case, A-labels; {@code null} when none was sent
 * @param alpn       TLS ALPN protocols offered, in order; empty otherwise
 * @param echOffered whether the ClientHello offered Encrypted Client Hello
 * @param httpMethod the HTTP method, or {@code null}
 * @param httpTarget the HTTP request-target, or {@code null}
 */
public record PeekFacts(Kind kind, String name, List<String> alpn, boolean echOffered, String httpMethod,
                        String httpTarget) {

    /** What the first bytes were. */
    public enum Kind {
        /** A TLS ClientHello. */
        TLS("tls"),
        /** A plaintext HTTP/1.x request head. */
        HTTP("http"),
        /** Something else: decided on the address alone. */
        OPAQUE("opaque"),
        /** Not peeked: a server-speaks-first port, or a decision made before the peek (loop, limit). */
        NONE("none");

        private final String code;

        Kind(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private static final PeekFacts NONE = new PeekFacts(Kind.NONE, null, List.of(), false, null, null);
    private static final PeekFacts OPAQUE = new PeekFacts(Kind.OPAQUE, null, List.of(), false, null, null);

    public PeekFacts {
        Objects.requireNonNull(kind, "kind");
        alpn = List.copyOf(alpn);
        if (name != null && name.isEmpty()) {
            throw new IllegalArgumentException("name: '' (expected: a host name or null)");
        }
    }

    /** Nothing peeked. */
    public static PeekFacts none() {
        return NONE;
    }

    /** Bytes that were neither TLS nor HTTP. */
    public static PeekFacts opaque() {
        return OPAQUE;
    }

    public static PeekFacts tls(String sni, List<String> alpn, boolean echOffered) {
        return new PeekFacts(Kind.TLS, sni, alpn, echOffered, null, null);
    }

    public static PeekFacts http(String host, String method, String target) {
        return new PeekFacts(Kind.HTTP, host, List.of(), false, method, target);
    }
}
