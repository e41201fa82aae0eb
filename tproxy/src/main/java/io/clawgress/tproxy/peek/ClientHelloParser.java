package io.clawgress.tproxy.peek;

import io.netty.buffer.ByteBuf;

/**
 * Parses a TLS ClientHello from the first bytes of a flow. Placeholder signature; implementation pending.
 */
public final class ClientHelloParser {

    private ClientHelloParser() {
    }

    /**
     * Looks at the readable bytes of {@code in} (never moves its indices, never retains it) and says what they
     * are so far.
     *
     * @param maxBytes the peek limit: a ClientHello whose records exceed it is {@code client_hello_too_large}
     * @return {@link PeekResult.NeedMore}, {@link PeekResult.Tls} or {@link PeekResult.Malformed}; never
     *         Http/Opaque (the caller checks the first byte is 0x16 first)
     */
    public static PeekResult parse(ByteBuf in, int maxBytes) {
        throw new UnsupportedOperationException("not yet");
    }
}
