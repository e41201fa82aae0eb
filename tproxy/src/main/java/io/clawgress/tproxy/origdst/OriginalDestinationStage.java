package io.clawgress.tproxy.origdst;

import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.flow.Flow;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.NetUtil;

/**
 * Stage 2, {@code origdst}: the original destination is the accepted socket's local address (read when the flow
 * was opened); refuse it if it is our own listener ({@code loop}). One-shot: removes itself.
 */
public final class OriginalDestinationStage extends ChannelInboundHandlerAdapter {

    static final String LOOP_RULE = "loop_guard";

    private final Flow flow;
    private final LoopGuard loopGuard;

    public OriginalDestinationStage(Flow flow, LoopGuard loopGuard) {
        this.flow = flow;
        this.loopGuard = loopGuard;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
        if (loopGuard.isLoop(flow.facts().originalDestination())) {
            flow.deny(new Verdict.Deny(Termination.LOOP, LOOP_RULE,
                    "original destination " + NetUtil.toSocketAddressString(flow.facts().originalDestination())
                            + " is this gateway's own listener"));
            return;
        }
        ctx.fireChannelActive();
    }
}
