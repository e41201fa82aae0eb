package io.clawgress.tproxy.decide;

import io.clawgress.api.DataPathObserver;
import io.clawgress.api.Decision;
import io.clawgress.api.FlowDecider;
import io.clawgress.api.Termination;
import io.clawgress.api.PeekFacts;
import io.clawgress.tproxy.FlowPipeline;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.gate.HttpGate;
import io.clawgress.tproxy.l7.DenialResponse;
import io.netty.channel.Channel;
import java.time.Duration;
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
    private final Duration linger;

    /**
     * @param linger how long to keep reading after answering a denied plaintext HTTP request (see
     *               {@link HttpGate#lingerAndClose})
     */
    public DecideStage(Flow flow, FlowDecider decider, Duration linger) {
        this.flow = flow;
        this.decider = decider;
        this.linger = linger;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
        Decision decision;
        try {
            long t0 = System.nanoTime();
            // A plaintext HTTP connection is admitted without counting: the L7 gate counts each of its requests.
            decision = flow.facts().peek().kind() == PeekFacts.Kind.HTTP ? decider.recheck(flow.facts())
                    : decider.decide(flow.facts());
            flow.observer().decided(DataPathObserver.DecisionKind.FLOW, System.nanoTime() - t0);
        } catch (RuntimeException e) {
            // The SPI promises not to throw; if it does, that is our bug, and the flow fails closed.
            log.error("flow {}: decider failed; denying", flow.id(), e);
            flow.deny(new Verdict.Deny(Termination.INTERNAL_ERROR, "none", "decider failed: " + e));
            return;
        }
        flow.decided(decision);
        switch (decision.verdict()) {
            case Verdict.Deny deny -> {
                boolean answerable = deny.termination() == Termination.POLICY_DENIED
                        || deny.termination() == Termination.RATE_LIMITED;
                if (flow.facts().peek().kind() == PeekFacts.Kind.HTTP && answerable) {
                    answer(ctx, decision, deny); // HTTP is visible: say why (DESIGN.md §3 step 6c)
                } else {
                    flow.deny(deny);
                }
            }
            case Verdict.Relay relay -> {
                removeIfPresent(ctx, FlowPipeline.INTERCEPT);
                ctx.fireChannelActive();
            }
            case Verdict.Intercept intercept -> {
                removeIfPresent(ctx, FlowPipeline.RELAY);
                if (flow.facts().peek().kind() != PeekFacts.Kind.TLS) {
                    flow.deny(new Verdict.Deny(Termination.INTERNAL_ERROR, intercept.ruleId(),
                            "intercept verdict for a flow that is not TLS"));
                    return;
                }
                ctx.fireChannelActive();
            }
        }
    }

    private static void removeIfPresent(ChannelHandlerContext ctx, String stage) {
        if (ctx.pipeline().get(stage) != null) {
            ctx.pipeline().remove(stage);
        }
    }

    /**
     * A denied plaintext request gets a 403 naming the rule, then the connection closes. Always 403, even for a
     * source bound to no agent: a token in the request would not change this decision (tokens are checked per
     * request once a connection is admitted), so asking for one (407) would mislead.
     */
    private void answer(ChannelHandlerContext ctx, Decision decision, Verdict.Deny deny) {
        DenialResponse response = DenialResponse.forDenial(decision, deny, false);
        flow.closeAfterResponse(deny.termination(), "answered " + response.status());
        flow.earlyInput().drainTo(buf -> {
            flow.countRead(Flow.Side.CLIENT, buf.readableBytes());
            buf.release();
        });
        Channel client = ctx.channel();
        io.netty.buffer.ByteBuf out = response.encode(client.alloc());
        flow.countAnswer(out.readableBytes());
        client.writeAndFlush(out).addListener(f -> HttpGate.lingerAndClose(client, linger,
                n -> flow.countRead(Flow.Side.CLIENT, n)));
    }
}
