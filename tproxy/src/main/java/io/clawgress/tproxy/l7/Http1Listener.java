package io.clawgress.tproxy.l7;

import io.netty.buffer.ByteBuf;

/**
 * Receives the events of a framer, synchronously from {@code feed} / {@code inputClosed}, on the thread that calls
 * them (the connection's event loop). For each message, in order: {@link #onHead}, zero or more
 * {@link #onBodyPart}, {@link #onEnd}; or, at any point, {@link #onRefusal}, after which nothing more is emitted.
 * A response framer also emits interim (1xx) heads, which have no body parts and no end.
 *
 * <p>Implementations must not throw and must not call {@code feed} re-entrantly; they may call the framer's
 * {@code pause()} to stop delivery after the current event.
 *
 * @param <H> {@link RequestHead} or {@link ResponseHead}
 */
public interface Http1Listener<H> {

    /** A message head; the body framing and connection facts are derived and checked already. */
    void onHead(H head);

    /**
     * Body content, never empty, in order: a retained slice of the buffer given to {@code feed}. The listener owns
     * it and must release it exactly once (typically by writing it on). For a chunked body it is chunk data only:
     * sizes, extensions and CRLFs are not included.
     */
    void onBodyPart(ByteBuf content);

    /** The message ended; {@code trailers} is {@link HttpFields#EMPTY} unless a chunked body had trailer fields. */
    void onEnd(HttpFields trailers);

    /** Terminal: the input cannot be framed safely. Close the connection (after a denial, if nothing was sent). */
    void onRefusal(Refusal refusal);
}
