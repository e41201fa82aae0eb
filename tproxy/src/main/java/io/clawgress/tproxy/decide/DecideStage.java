package io.clawgress.tproxy.decide;

import io.clawgress.api.Decision;
import io.clawgress.api.FlowDecider;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.flow.Flow;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 5, {@code decide}: asks the {@link FlowDecider} once. A deny resets the connection here; a relay goes on
 * to the relay stage. One-shot: removes itself.
 */
public final class DecideStage extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(DecideStage.class);

    private final Flow flow;
    private final FlowDecider decider;

    public DecideStage(Flow flow, FlowDecider decider) {
        this.flow = flow;
        this.decider = decider;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
        Decision decision;
        try {
            decision = decider.decide(flow.facts());
        } catch (RuntimeException e) {
            // The SPI promises not to throw; if it does, that is our bug, and the flow fails closed.
            log.error("flow {}: decider failed; denying", flow.id(), e);
            flow.deny(new Verdict.Deny(Termination.INTERNAL_ERROR, "none", "decider failed: " + e));
            return;
        }
        flow.decided(decision);
        switch (decision.verdict()) {
            case Verdict.Deny deny -> flow.deny(deny);
            case Verdict.Relay relay -> ctx.fireChannelActive();
        }
    }
}
