package io.clawgress.tproxy.relay;

import io.clawgress.api.Termination;
import io.clawgress.tproxy.flow.Flow;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Copies bytes from its channel to the peer channel. One instance sits on each side of a flow.
 *
 * <p>Backpressure: reads are requested one at a time (autoRead is off) and only while the peer is writable; when
 * the peer becomes writable again its handler asks this side to read ({@link #channelWritabilityChanged}).
 * Half-close: an end of stream from this side is passed on as a shutdown of the peer's output after every byte
 * before it was flushed. Errors reset both sides.
 */
final class RelayHandler extends ChannelInboundHandlerAdapter {

    private final Flow flow;
    private final Flow.Side side;
    private final Channel peer;

    RelayHandler(Flow flow, Flow.Side side, Channel peer) {
        this.flow = flow;
        this.side = side;
        this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            throw new IllegalStateException("relay got " + msg.getClass().getName() + " (expected: ByteBuf)");
        }
        flow.countRead(side, buf.readableBytes());
        // Ownership of buf moves to the peer's outbound buffer; a failed write releases it and fires
        // exceptionCaught on the peer's pipeline, where the peer's handler ends the flow.
        peer.write(buf, peer.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        if (peer.isWritable()) {
            ctx.read();
        }
        // else: the peer's handler calls read() on this channel when the peer drains (channelWritabilityChanged).
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            peer.read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // This side sent FIN: flush what it sent, then send FIN onwards (half-close, RFC 9293 §3.6).
            Flow.Side peerSide = side == Flow.Side.CLIENT ? Flow.Side.UPSTREAM : Flow.Side.CLIENT;
            HalfCloseWatch.start(flow, side, ctx.channel());
            if (!peer.isActive()) {
                return; // the peer is closed or closing, and its close ends the flow: a write now could only fail
            }
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFuture f) -> {
                if (!f.isSuccess()) {
                    return; // the write failure already ended the flow
                }
                if (flow.isOutputShutdown(side)) {
                    // The other direction ended first, so this end of stream completes the flow, and completing closes
                    // both sockets with FIN: the peer's close sends the FIN a shutdownOutput() would (it read to its
                    // own end of stream, so nothing unread turns the close into a reset). Netty's shutdownOutput()
                    // creates a ChannelOutputShutdownException, stack trace and all, even when it succeeds.
                    flow.outputShutdown(peerSide);
                    return;
                }
                ((DuplexChannel) peer).shutdownOutput().addListener((ChannelFuture s) -> {
                    if (s.isSuccess()) {
                        flow.outputShutdown(peerSide);
                    } else {
                        flow.abort(resetOf(peerSide), "shutting down output failed: " + s.cause());
                    }
                });
            });
        } else if (evt instanceof IdleStateEvent) {
            flow.end(Termination.IDLE_TIMEOUT, "no bytes in either direction for the idle timeout");
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        flow.abort(resetOf(side), Flow.describe(cause));
    }

    private static Termination resetOf(Flow.Side s) {
        return s == Flow.Side.CLIENT ? Termination.CLIENT_RESET : Termination.UPSTREAM_RESET;
    }
}
