package io.clawgress.tproxy;

import io.clawgress.api.AuditSink;
import io.clawgress.api.FlowDecider;
import io.clawgress.api.Termination;
import io.clawgress.tproxy.dns.NameResolution;
import io.clawgress.tproxy.flow.ConnectionGate;
import io.clawgress.tproxy.flow.Flow;
import io.clawgress.tproxy.flow.FlowIds;
import io.clawgress.tproxy.flow.TerminationCounts;
import io.clawgress.tproxy.origdst.LoopGuard;
import io.clawgress.tproxy.gate.CryptoPool;
import io.clawgress.tproxy.gate.GateSettings;
import io.clawgress.tproxy.intercept.InterceptServices;
import io.clawgress.tproxy.relay.RelayStage;
import io.clawgress.tproxy.transport.NettyTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The transparent listener and its event loops: accepts TPROXY'd agent connections and runs each through the
 * {@link FlowPipeline}. Lifecycle: {@link #start} binds (or throws with the reason), {@link #stop} refuses new
 * connections, resets open flows ({@code shutdown}) so each writes its record, and stops the loops.
 */
public final class TransparentProxy implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TransparentProxy.class);
    private static final Duration LOCAL_ADDRESS_REFRESH = Duration.ofSeconds(5);

    private final NettyTransport transport;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final Channel serverChannel;
    private final ChannelGroup liveFlows;
    private final ConnectionGate gate;
    private final ScheduledExecutorService refresher;
    private final NameResolution names;
    private final TerminationCounts counts;
    private final FlowDecider decider;

    private TransparentProxy(NettyTransport transport, EventLoopGroup bossGroup, EventLoopGroup workerGroup,
                             Channel serverChannel, ChannelGroup liveFlows, ConnectionGate gate,
                             ScheduledExecutorService refresher, NameResolution names, TerminationCounts counts,
                             FlowDecider decider) {
        this.transport = transport;
        this.bossGroup = bossGroup;
        this.workerGroup = workerGroup;
        this.serverChannel = serverChannel;
        this.liveFlows = liveFlows;
        this.gate = gate;
        this.refresher = refresher;
        this.names = names;
        this.counts = counts;
        this.decider = decider;
    }

    /** Flows ended so far, per termination code. */
    public TerminationCounts terminationCounts() {
        return counts;
    }

    /**
     * Binds the listener. Blocks the calling thread (never call it on an event loop).
     *
     * @throws ListenerException when the transport cannot bind (address in use, no CAP_NET_ADMIN for
     *                           IP_TRANSPARENT, ...), with the OS reason
     */
    public static TransparentProxy start(ProxySettings settings, FlowDecider decider, AuditSink sink)
            throws ListenerException {
        return start(settings, decider, sink, GateSettings.defaults(CryptoPool.shared()), null);
    }

    /**
     * Binds the listener, with the L7 gate's settings (token verification) and TLS interception. Blocks the calling
     * thread (never call it on an event loop).
     *
     * @param intercept TLS interception, or {@code null}: intercept verdicts then fail closed
     * @throws ListenerException when the transport cannot bind (address in use, no CAP_NET_ADMIN for
     *                           IP_TRANSPARENT, ...), with the OS reason
     */
    public static TransparentProxy start(ProxySettings settings, FlowDecider decider, AuditSink sink,
                                         GateSettings gateSettings, InterceptServices intercept)
            throws ListenerException {
        return start(settings, decider, sink, gateSettings, intercept, () -> true);
    }

    /**
     * As {@link #start(ProxySettings, FlowDecider, AuditSink, GateSettings, InterceptServices)}, refusing new flows
     * as {@code audit_unavailable} while {@code admitting} is false.
     */
    public static TransparentProxy start(ProxySettings settings, FlowDecider decider, AuditSink sink,
                                         GateSettings gateSettings, InterceptServices intercept,
                                         java.util.function.BooleanSupplier admitting)
            throws ListenerException {
        NettyTransport transport = NettyTransport.resolve(settings.transport());
        EventLoopGroup boss = transport.newEventLoopGroup(1, "clawgress-accept");
        EventLoopGroup workers = transport.newEventLoopGroup(settings.eventLoopThreads(), "clawgress-flow");
        ChannelGroup live = new DefaultChannelGroup("flows", GlobalEventExecutor.INSTANCE);
        ConnectionGate gate = new ConnectionGate(settings.connectionLimit());
        LoopGuard loopGuard = new LoopGuard(settings.listen());
        ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "clawgress-local-addresses");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(() -> {
            try {
                loopGuard.refresh();
            } catch (RuntimeException e) {
                log.warn("could not refresh local addresses for the loop guard: {}", e.getMessage());
            }
        }, LOCAL_ADDRESS_REFRESH.toMillis(), LOCAL_ADDRESS_REFRESH.toMillis(), TimeUnit.MILLISECONDS);

        NameResolution names = new NameResolution(settings.dns(), transport.datagramChannelClass());
        FlowPipeline pipeline = new FlowPipeline(new FlowIds(), gate, loopGuard, decider, sink,
                RelayStage.configure(transport.newClientBootstrap(), settings.connectTimeout()),
                settings.idleTimeout(), live, settings.peek(), names, gateSettings, intercept, admitting);
        ServerBootstrap sb = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, settings.backlog())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(pipeline);
        transport.configureTransparent(sb);
        ChannelFuture bind = sb.bind(settings.listen()).awaitUninterruptibly();
        if (!bind.isSuccess()) {
            refresher.shutdownNow();
            names.close();
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new ListenerException("cannot listen on " + NetUtil.toSocketAddressString(settings.listen())
                    + " with " + transport.transport().code()
                    + (transport.supportsTransparent() ? " and IP_TRANSPARENT (needs CAP_NET_ADMIN)" : "")
                    + ": " + bind.cause().getMessage(), bind.cause());
        }
        log.info("listening on {} ({}, IP_TRANSPARENT {}), {} event loops, connection_limit {}, peek {} bytes / {} ms,"
                        + " names resolved via {}",
                NetUtil.toSocketAddressString(settings.listen()), transport.transport().code(),
                transport.supportsTransparent() ? "on" : "UNAVAILABLE",
                settings.eventLoopThreads() == 0 ? "default" : settings.eventLoopThreads(),
                settings.connectionLimit(), settings.peek().maxBytes(), settings.peek().timeout().toMillis(),
                names.describeServers());
        return new TransparentProxy(transport, boss, workers, bind.channel(), live, gate, refresher, names,
                pipeline.counts(), decider);
    }

    /** The bound listener address. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** The transport actually in use. */
    public Transport transport() {
        return transport.transport();
    }

    /** Open agent connections. */
    public int openConnections() {
        return gate.open();
    }

    /**
     * Re-decides every open relayed flow with the decider's current snapshot, each on its own event loop, and resets
     * those now denied as {@code policy_revoked}. Call after a policy swap; any thread.
     *
     * @return completes with the number of flows revoked once every loop has run its share
     */
    public CompletableFuture<Integer> reevaluateOpenFlows() {
        AtomicInteger revoked = new AtomicInteger();
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (Channel ch : liveFlows) {
            Flow flow = ch.attr(FlowPipeline.FLOW).get();
            if (flow == null) {
                continue;
            }
            CompletableFuture<Void> one = new CompletableFuture<>();
            try {
                ch.eventLoop().execute(() -> {
                    try {
                        if (flow.reevaluate(decider)) {
                            revoked.incrementAndGet();
                        }
                    } finally {
                        one.complete(null);
                    }
                });
            } catch (RejectedExecutionException e) {
                one.complete(null); // the loop is shutting down; stop() ends the flow
            }
            done.add(one);
        }
        return CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).thenApply(v -> revoked.get());
    }

    /**
     * Stops accepting, resets open flows ({@code shutdown}), waits up to {@code grace} for their records, then
     * stops the event loops. Blocks the calling thread.
     */
    public void stop(Duration grace) {
        serverChannel.close().awaitUninterruptibly();
        refresher.shutdownNow();
        List<Future<?>> closing = new ArrayList<>();
        for (Channel ch : liveFlows) {
            Flow flow = ch.attr(FlowPipeline.FLOW).get();
            ch.eventLoop().execute(() -> flow.abort(Termination.SHUTDOWN, "clawgressd stopping"));
            closing.add(ch.closeFuture());
        }
        long deadline = System.nanoTime() + grace.toNanos();
        for (Future<?> f : closing) {
            f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        names.close();
        // Upstream close listeners run on the loops; a graceful loop shutdown lets queued tasks (records) finish.
        Future<?> w = workerGroup.shutdownGracefully(0, grace.toMillis(), TimeUnit.MILLISECONDS);
        Future<?> b = bossGroup.shutdownGracefully(0, grace.toMillis(), TimeUnit.MILLISECONDS);
        w.awaitUninterruptibly(grace.toMillis() + 1000);
        b.awaitUninterruptibly(grace.toMillis() + 1000);
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }

    /** The listener could not be started. */
    public static final class ListenerException extends Exception {
        public ListenerException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
