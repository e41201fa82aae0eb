package io.clawgress.tproxy.peek;

import io.clawgress.api.Termination;

import java.util.List;
import java.util.Objects;

/**
 * What the first bytes of a flow say (DESIGN.md §3 step 3). Produced by {@link ClientHelloParser} and
 * {@link HttpHeadParser} from the bytes peeked so far; {@link NeedMore} until a verdict on the bytes is possible.
 * Names are claims, not facts: the relay checks them against addresses the gateway resolved itself.
 */
public sealed interface PeekResult {

    /** Not enough bytes yet to tell; read more (within the size and time limits). */
    record NeedMore() implements PeekResult {
        public static final NeedMore INSTANCE = new NeedMore();
    }

    /**
     * A complete TLS ClientHello.
     *
     * @param sni               the host_name from server_name (RFC 6066 §3), lower-case ASCII (A-labels), no
     *                          trailing dot; {@code null} when the extension is absent. With ECH this is the
     *                          outer (public) name.
     * @param alpn              protocols offered (RFC 7301), in order; empty when absent
     * @param supportedVersions versions from supported_versions (RFC 8446 §4.2.1) without GREASE, in order; empty
     *                          when absent (TLS 1.2 and older)
     * @param legacyVersion     ClientHello.legacy_version, e.g. 0x0303
     * @param echOffered        whether an encrypted_client_hello extension (type 0xfe0d) was present
     * @param helloBytes        bytes of the records that carried the ClientHello (headers included)
     */
    record Tls(String sni, List<String> alpn, List<Integer> supportedVersions, int legacyVersion,
               boolean echOffered, int helloBytes) implements PeekResult {
        public Tls {
            alpn = List.copyOf(alpn);
            supportedVersions = List.copyOf(supportedVersions);
        }
    }

    /**
     * A complete HTTP/1.x request head (RFC 9112).
     *
     * @param method  request method token, as sent (case-sensitive, RFC 9110 §9.1)
     * @param host    host from the absolute-form target or else the Host field, lower case, no port, no brackets
     *                for IPv6; {@code null} for HTTP/1.0 without Host
     * @param port    port from the same place, or -1 when none was given
     * @param target  request-target as sent (origin-form path and query, or absolute-form URI)
     * @param version {@code HTTP/1.0} or {@code HTTP/1.1}
     * @param headBytes bytes of the request head including the final empty line
     */
    record Http(String method, String host, int port, String target, String version, int headBytes)
            implements PeekResult {
        public Http {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(version, "version");
        }
    }

    /** Neither TLS nor HTTP/1.x: decided on the address alone. */
    record Opaque() implements PeekResult {
        public static final Opaque INSTANCE = new Opaque();
    }

    /**
     * The bytes break the protocol they started as; the flow ends with {@code termination}.
     *
     * @param termination one of the peek codes (client_hello_malformed, client_hello_too_large, sni_invalid,
     *                    http_malformed, http_head_too_large)
     * @param reason      what exactly was wrong, citing the RFC section
     */
    record Malformed(Termination termination, String reason) implements PeekResult {
        public Malformed {
            Objects.requireNonNull(termination, "termination");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
