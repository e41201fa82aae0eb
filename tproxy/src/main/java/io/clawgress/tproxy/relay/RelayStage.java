package io.clawgress.tproxy.relay;

import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.FlowPipeline;
import io.clawgress.tproxy.dns.NameResolution;
import io.clawgress.tproxy.flow.Flow;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Stage 6a, {@code relay}: for a relay to an allowed name, resolves it on our own resolvers and dials an address
 * of the answer ({@code dial: resolved}) or the original address only if it is one ({@code original_if_resolved});
 * for an address rule, dials the original destination. Dials on the client's own event loop (no locks), then
 * joins the two channels with a {@link RelayHandler} each and starts reading. Until the upstream is connected the
 * client is not read. One-shot: replaces itself.
 */
public final class RelayStage extends ChannelInboundHandlerAdapter {

    public static final String IDLE = "idle";
    public static final String RELAY = "relay";

    private final Flow flow;
    private final Bootstrap upstreamBootstrap;
    private final Duration idleTimeout;
    private final NameResolution names;

    /**
     * @param upstreamBootstrap a bootstrap with channel class and options set; this stage sets group and handler
     * @param names             the gateway's resolvers, for relays to an allowed name
     */
    public RelayStage(Flow flow, Bootstrap upstreamBootstrap, Duration idleTimeout, NameResolution names) {
        this.flow = flow;
        this.upstreamBootstrap = upstreamBootstrap;
        this.idleTimeout = idleTimeout;
        this.names = names;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
        if (!(flow.verdict() instanceof Verdict.Relay relay)) {
            throw new IllegalStateException("flow " + flow.id() + " reached the relay stage with " + flow.verdict());
        }
        if (relay.host() == null) {
            dial(ctx.channel(), relay.upstream());
            return;
        }
        // A name counts only with an address we resolved for it (DESIGN.md §3 step 6a): never trust the agent's.
        EventLoop loop = ctx.channel().eventLoop();
        names.resolveAll(relay.host(), loop).addListener((Future<List<InetAddress>> f) -> resolved(relay, f));
    }

    /** Runs on the flow's event loop. */
    private void resolved(Verdict.Relay relay, Future<List<InetAddress>> f) {
        Channel client = flow.client();
        if (!client.isActive()) {
            flow.abort(Termination.CLIENT_RESET, "agent went away while " + relay.host() + " was resolved");
            return;
        }
        InetSocketAddress original = relay.upstream();
        if (!f.isSuccess()) {
            flow.bindingDenied(new Verdict.Deny(Termination.NAME_RESOLUTION_FAILED, relay.ruleId(),
                    "cannot resolve " + relay.host() + ": " + Flow.describe(f.cause())));
            return;
        }
        List<InetAddress> answers = NameResolution.dialable(f.getNow());
        if (answers.isEmpty()) {
            flow.bindingDenied(new Verdict.Deny(Termination.NAME_RESOLUTION_FAILED, relay.ruleId(),
                    relay.host() + " resolves to no address the gateway may dial " + texts(f.getNow())
                            + " (loopback, link-local and multicast are refused)"));
            return;
        }
        boolean originalIsAnswer = answers.contains(original.getAddress());
        switch (relay.dial()) {
            case ORIGINAL_IF_RESOLVED -> {
                if (!originalIsAnswer) {
                    flow.bindingDenied(new Verdict.Deny(Termination.NAME_ADDRESS_MISMATCH, relay.ruleId(),
                            relay.host() + " resolves to " + texts(answers) + ", not to the original destination "
                                    + NetUtil.toAddressString(original.getAddress())));
                    return;
                }
                dial(client, original);
            }
            case RESOLVED -> {
                if (originalIsAnswer) {
                    dial(client, original);
                } else {
                    InetSocketAddress chosen = new InetSocketAddress(answers.get(0), original.getPort());
                    flow.dialling(chosen, "original destination " + NetUtil.toAddressString(original.getAddress())
                            + " is not an address of " + relay.host() + " " + texts(answers) + "; dialled "
                            + NetUtil.toSocketAddressString(chosen) + " instead");
                    dial(client, chosen);
                }
            }
            case ORIGINAL -> throw new IllegalStateException("a relay with host " + relay.host() + " dials original");
        }
    }

    private static String texts(List<InetAddress> addresses) {
        return addresses.stream().map(NetUtil::toAddressString).toList().toString();
    }

    /** Runs on the flow's event loop. */
    private void dial(Channel client, InetSocketAddress address) {
        if (flow.dialled() == null) {
            flow.dialling(address, null);
        }
        ChannelFuture connect = upstreamBootstrap.clone()
                .group(client.eventLoop())
                .handler(new ChannelInboundHandlerAdapter())
                .connect(address);
        flow.attachUpstream(connect.channel());
        connect.addListener((ChannelFuture f) -> connected(f, address));
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
