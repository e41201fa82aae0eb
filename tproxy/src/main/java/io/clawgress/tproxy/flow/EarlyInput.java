package io.clawgress.tproxy.flow;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * What the agent sent before the relay was in place: bytes (owned here until drained or released) and whether it
 * already half-closed. Bounded: with autoRead off the transport delivers at most a read or two unasked.
 * Event-loop confined.
 */
public final class EarlyInput {

    static final int LIMIT_BYTES = 256 * 1024;

    private final ArrayDeque<ByteBuf> bufs = new ArrayDeque<>(2);
    private int bytes;
    private boolean inputShutdown;

    /** Takes ownership of {@code buf}; {@code false} (and {@code buf} released) when over the limit. */
    boolean add(ByteBuf buf) {
        if (bytes + buf.readableBytes() > LIMIT_BYTES) {
            buf.release();
            return false;
        }
        bytes += buf.readableBytes();
        bufs.add(buf);
        return true;
    }

    /** The agent's end of stream arrived before the relay. */
    public void markInputShutdown() {
        inputShutdown = true;
    }

    /** Keeps peeked bytes (ownership moves here); they go before anything read later. */
    public void keep(ByteBuf buf) {
        bytes += buf.readableBytes();
        bufs.addFirst(buf);
    }

    /** Whether the agent's end of stream already arrived. */
    public boolean isInputShutdown() {
        return inputShutdown;
    }

    /** Hands every buffered buffer, in order, to {@code sink}, which takes ownership. */
    public void drainTo(Consumer<ByteBuf> sink) {
        for (ByteBuf b; (b = bufs.poll()) != null; ) {
            bytes -= b.readableBytes();
            sink.accept(b);
        }
    }

    /** Bytes held now (read from the agent, not yet relayed). */
    int bytes() {
        return bytes;
    }

    /** Releases whatever is still held (the flow ended before the relay); returns how many bytes that was. */
    int release() {
        int released = bytes;
        for (ByteBuf b; (b = bufs.poll()) != null; ) {
            ReferenceCountUtil.release(b);
        }
        bytes = 0;
        return released;
    }
}
