package io.clawgress.tproxy.l7;

/**
 * Bounds for one framer, built once from configuration.
 *
 * @param maxHeadBytes           start line and field lines, with their CRLFs and the empty line (request: 431 past it)
 * @param maxFields              field lines in a head (request: 431 past it)
 * @param maxChunkExtensionBytes bytes of a chunk-ext, from its first ';' up to the CRLF
 * @param maxTrailerBytes        trailer section, with its CRLFs and the empty line
 * @param maxTrailerFields       field lines in a trailer section
 * @param allowUpgrade           false (default): a request with an {@code Upgrade} field is refused
 *                               ({@code upgrade_not_supported}, 501). True: it is framed like any request and its head
 *                               says {@link RequestHead#upgradeRequested()}; the caller must then remove
 *                               {@code Upgrade} (and {@code HTTP2-Settings}) before forwarding — the gate never
 *                               relays a protocol switch, and the response framer refuses a 101.
 */
public record Http1FramerSettings(int maxHeadBytes, int maxFields, int maxChunkExtensionBytes, int maxTrailerBytes,
                                  int maxTrailerFields, boolean allowUpgrade) {

    /** Requests: 16 KiB heads, 100 fields, 256-byte chunk extensions, 8 KiB and 32 trailer fields. */
    public static final Http1FramerSettings REQUEST_DEFAULTS =
            new Http1FramerSettings(16 * 1024, 100, 256, 8 * 1024, 32, false);
    /** Responses: 64 KiB heads and 200 fields (many Set-Cookie, CSP); otherwise as requests. */
    public static final Http1FramerSettings RESPONSE_DEFAULTS =
            new Http1FramerSettings(64 * 1024, 200, 256, 8 * 1024, 32, false);

    public Http1FramerSettings {
        positive("maxHeadBytes", maxHeadBytes);
        positive("maxFields", maxFields);
        positive("maxChunkExtensionBytes", maxChunkExtensionBytes);
        positive("maxTrailerBytes", maxTrailerBytes);
        positive("maxTrailerFields", maxTrailerFields);
        if (maxHeadBytes > 1024 * 1024) {
            throw new IllegalArgumentException("maxHeadBytes: " + maxHeadBytes + " (expected: <= 1048576)");
        }
        if (maxTrailerBytes > 1024 * 1024) {
            throw new IllegalArgumentException("maxTrailerBytes: " + maxTrailerBytes + " (expected: <= 1048576)");
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
    }
}
