package io.clawgress.tproxy.relay;

import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.FlowPipeline;
import io.clawgress.tproxy.flow.Flow;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Stage 6a, {@code relay}: dials the upstream on the client's own event loop (so the flow needs no locks), then
 * joins the two channels with a {@link RelayHandler} each and starts reading. Until the upstream is connected the
 * client is not read. One-shot: replaces itself.
 */
public final class RelayStage extends ChannelInboundHandlerAdapter {

    public static final String IDLE = "idle";
    public static final String RELAY = "relay";

    private final Flow flow;
    private final Bootstrap upstreamBootstrap;
    private final Duration idleTimeout;

    /**
     * @param upstreamBootstrap a bootstrap with channel class and options set; this stage sets group and handler
     */
    public RelayStage(Flow flow, Bootstrap upstreamBootstrap, Duration idleTimeout) {
        this.flow = flow;
        this.upstreamBootstrap = upstreamBootstrap;
        this.idleTimeout = idleTimeout;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
        if (!(flow.verdict() instanceof Verdict.Relay relay)) {
            throw new IllegalStateException("flow " + flow.id() + " reached the relay stage with " + flow.verdict());
        }
        Channel client = ctx.channel();
        ChannelFuture connect = upstreamBootstrap.clone()
                .group(client.eventLoop())
                .handler(new ChannelInboundHandlerAdapter())
                .connect(relay.upstream());
        flow.attachUpstream(connect.channel());
        connect.addListener((ChannelFuture f) -> connected(f, relay.upstream()));
    }

    /** Runs on the flow's event loop. */
    private void connected(ChannelFuture f, InetSocketAddress upstreamAddress) {
        Channel client = flow.client();
        if (!f.isSuccess()) {
            Throwable cause = f.cause();
            if (cause instanceof ConnectTimeoutException) {
                flow.abort(Termination.UPSTREAM_CONNECT_TIMEOUT,
                        "no answer from " + NetUtil.toSocketAddressString(upstreamAddress)
                                + " within the connect timeout");
            } else {
                flow.abort(Termination.UPSTREAM_CONNECT_FAILED,
                        cause == null ? "connect cancelled" : Flow.describe(cause));
            }
            return;
        }
        Channel upstream = f.channel();
        flow.upstreamConnected();
        if (!client.isActive()) {
            flow.abort(Termination.CLIENT_RESET, "agent went away while the upstream was dialled");
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
