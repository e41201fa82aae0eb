package io.clawgress.tproxy.flow;

import io.clawgress.api.Termination;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;

/**
 * Last handler of every agent channel, there from accept to close:
 * <ul>
 *   <li>bytes and end of stream that arrive before the relay is in place are kept in the flow's
 *       {@link EarlyInput} (epoll reads on EPOLLRDHUP even with autoRead off, so an agent that sends and half-closes
 *       at once, as {@code nc -N} does, delivers them while the upstream is still being dialled);</li>
 *   <li>an error no stage handled ends the flow with a reset.</li>
 * </ul>
 */
public final class FlowTailHandler extends ChannelInboundHandlerAdapter {

    private final Flow flow;

    public FlowTailHandler(Flow flow) {
        this.flow = flow;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            flow.abort(Termination.INTERNAL_ERROR, "unexpected " + msg.getClass().getName() + " on the agent channel");
            return;
        }
        int n = buf.readableBytes();
        if (!flow.earlyInput().add(buf)) { // takes ownership of buf either way
            flow.countRead(Flow.Side.CLIENT, n); // read and dropped: still sent by the agent
            flow.abort(Termination.INTERNAL_ERROR, "more than " + EarlyInput.LIMIT_BYTES
                    + " bytes arrived before the relay was in place");
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            flow.earlyInput().markInputShutdown();
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            flow.abort(Termination.CLIENT_RESET, Flow.describe(cause));
        } else {
            flow.abort(Termination.INTERNAL_ERROR, cause.toString());
        }
    }
}
