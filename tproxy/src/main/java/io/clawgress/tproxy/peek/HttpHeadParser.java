package io.clawgress.tproxy.peek;

import io.netty.buffer.ByteBuf;

/** Parses an HTTP/1.x request head. Placeholder signature; implementation pending. */
public final class HttpHeadParser {

    private HttpHeadParser() {
    }

    /**
     * Whether the readable bytes of {@code in} can be the start of an HTTP/1.x request: {@code TRUE} once a method
     * token and a space were seen, {@code FALSE} when they cannot be, {@code null} when too few bytes to tell.
     */
    public static Boolean looksLikeHttp(ByteBuf in) {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * Looks at the readable bytes of {@code in} (never moves its indices) and parses the request head when complete.
     *
     * @param maxBytes the peek limit: a head longer than it is {@code http_head_too_large}
     * @return {@link PeekResult.NeedMore}, {@link PeekResult.Http} or {@link PeekResult.Malformed}
     */
    public static PeekResult parse(ByteBuf in, int maxBytes) {
        throw new UnsupportedOperationException("not yet");
    }
}
