package io.clawgress.tproxy.flow;

import io.clawgress.api.Termination;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;

/**
 * Last handler of every agent channel: an error that no stage handled ends the flow with a reset, and anything
 * read that no stage consumed is released (nothing may reach Netty's tail silently).
 */
public final class FlowErrorHandler extends ChannelInboundHandlerAdapter {

    private final Flow flow;

    public FlowErrorHandler(Flow flow) {
        this.flow = flow;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
        flow.abort(Termination.INTERNAL_ERROR, "bytes read before any stage could take them");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            flow.abort(Termination.CLIENT_RESET, String.valueOf(cause.getMessage()));
        } else {
            flow.abort(Termination.INTERNAL_ERROR, cause.toString());
        }
    }
}
