package io.clawgress.tproxy.relay;

import io.clawgress.api.FlowDecider;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.gate.GateSettings;
import io.clawgress.tproxy.gate.HttpGate;
import io.clawgress.tproxy.FlowPipeline;
import io.clawgress.tproxy.flow.Flow;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateHandler;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Stage 6a, {@code relay}: dials the upstream with the {@link Dialer} (our own resolution of an allowed name), then
 * joins the two channels with a {@link RelayHandler} each and starts reading. Until the upstream is connected the
 * client is not read. One-shot: replaces itself.
 */
public final class RelayStage extends ChannelInboundHandlerAdapter {

    public static final String IDLE = "idle";
    public static final String RELAY = "relay";

    private final Flow flow;
    private final Dialer dialer;
    private final Duration idleTimeout;
    private final FlowDecider decider;
    private final GateSettings gate;

    /**
     * @param decider decides each request of a plaintext HTTP flow behind the L7 gate
     */
    public RelayStage(Flow flow, Dialer dialer, Duration idleTimeout, FlowDecider decider, GateSettings gate) {
        this.flow = flow;
        this.dialer = dialer;
        this.idleTimeout = idleTimeout;
        this.decider = decider;
        this.gate = gate;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
        if (!(flow.verdict() instanceof Verdict.Relay relay)) {
            throw new IllegalStateException("flow " + flow.id() + " reached the relay stage with " + flow.verdict());
        }
        dialer.dial(flow, relay.upstream(), relay.host(), relay.dial(), relay.ruleId(), this::connected);
    }

    /** Runs on the flow's event loop. */
    private void connected(Channel upstream) {
        Channel client = flow.client();
        if (flow.facts().peek().kind() == PeekFacts.Kind.HTTP) {
            // Plaintext HTTP/1.x: every request is framed and decided, not only the one the peek saw.
            Verdict.Relay relay = (Verdict.Relay) flow.verdict();
            HttpGate.start(flow, upstream, decider, gate, relay.host(), false, null, idleTimeout);
            return;
        }
        // Before the flow's error handler, which stays last: the relay handlers handle their own errors.
        client.pipeline()
                .addBefore(FlowPipeline.ERRORS, IDLE,
                        new IdleStateHandler(true, 0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS))
                .addBefore(FlowPipeline.ERRORS, RELAY, new RelayHandler(flow, Flow.Side.CLIENT, upstream));
        upstream.pipeline().addLast(RELAY, new RelayHandler(flow, Flow.Side.UPSTREAM, client));
        // What the agent sent while we dialled goes first, then its end of stream if that came too.
        flow.earlyInput().drainTo(buf -> {
            flow.countRead(Flow.Side.CLIENT, buf.readableBytes());
            upstream.write(buf, upstream.voidPromise());
        });
        upstream.flush();
        if (flow.earlyInput().isInputShutdown()) {
            // Fired from the idle handler's context, so the next handler, the relay, sees it.
            client.pipeline().context(IDLE).fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        } else {
            client.read();
        }
        upstream.read();
    }

    /** Options every upstream connection gets; autoRead off (the relay reads on demand), half-closure on. */
    public static Bootstrap configure(Bootstrap b, Duration connectTimeout) {
        return b.option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(connectTimeout.toMillis()));
    }
}
