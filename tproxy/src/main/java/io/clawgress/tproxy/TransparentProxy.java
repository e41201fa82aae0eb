package io.clawgress.tproxy;

import io.clawgress.api.AuditSink;
import io.clawgress.api.DataPathObserver;
import io.clawgress.api.FlowDecider;
import io.clawgress.api.Termination;
import io.clawgress.tproxy.dns.NameResolution;
import io.clawgress.tproxy.flow.ConnectionGate;
import io.clawgress.tproxy.flow.Flow;
import io.clawgress.tproxy.flow.FlowIds;
import io.clawgress.tproxy.flow.OpenFlow;
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
import java.util.Objects;
import java.util.Optional;
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
    /** How long flows reset at a stop get to close and hand over their records. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

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
        return start(settings, decider, sink, gateSettings, intercept, admitting, DataPathObserver.NONE);
    }

    /**
     * As {@link #start(ProxySettings, FlowDecider, AuditSink, GateSettings, InterceptServices,
     * java.util.function.BooleanSupplier)}, telling {@code observer} what the stages see (peek and decision times,
     * name lookups, identity failures) for metrics.
     */
    public static TransparentProxy start(ProxySettings settings, FlowDecider decider, AuditSink sink,
                                         GateSettings gateSettings, InterceptServices intercept,
                                         java.util.function.BooleanSupplier admitting, DataPathObserver observer)
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
                settings.idleTimeout(), live, settings.peek(), names, gateSettings, intercept, admitting, observer);
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
     * The open flows as they stand now, newest first; any thread. Each flow is read on its own event loop (one task
     * per loop), never from the caller's thread. Connections refused at accept (connection limit, audit unavailable)
     * are not flows here: they close at once.
     *
     * @return completes once every loop has answered; a loop that is stopping contributes nothing
     */
    public CompletableFuture<List<OpenFlow>> openFlows() {
        return OpenFlows.list(liveFlows);
    }

    /**
     * Ends the open flow {@code flowId} on its event loop: both sockets reset, its record written with termination
     * {@code admin_killed} and {@code detail} as its detail. Any thread.
     *
     * @return completes with the flow as it was just before the kill, or empty when no such flow is open; a flow
     *         whose ending was already decided is answered in state {@link OpenFlow.State#CLOSING} and keeps its
     *         own ending
     */
    public CompletableFuture<Optional<OpenFlow>> kill(String flowId, String detail) {
        return OpenFlows.kill(liveFlows, flowId, detail);
    }

    /**
     * Stops accepting, resets open flows ({@code shutdown}), waits up to {@code grace} for their records, then
     * stops the event loops. Blocks the calling thread.
     */
    public void stop(Duration grace) {
        serverChannel.close().awaitUninterruptibly();
        refresher.shutdownNow();
        cutAndStop(List.copyOf(liveFlows), grace, "clawgressd stopping");
    }

    /**
     * What a drain did: flows open when the listener closed, those that ended by themselves within the timeout, and
     * those cut ({@code shutdown}) when it passed.
     */
    public record DrainResult(int open, int finished, int cut, Duration took) {
        public DrainResult {
            Objects.requireNonNull(took, "took");
            if (open < 0 || finished < 0 || cut < 0 || finished + cut != open) {
                throw new IllegalArgumentException("open " + open + ", finished " + finished + ", cut " + cut
                        + " (expected: finished + cut = open, none negative)");
            }
        }
    }

    /**
     * The graceful stop (SIGTERM): closes the listener at once, so the kernel no longer hands this process new
     * connections; lets the flows already open finish for up to {@code timeout}; resets those still open then as
     * {@code shutdown}; waits for their records and stops the event loops. Blocks the calling thread (never an event
     * loop) for up to {@code timeout} plus a few seconds.
     */
    public DrainResult drain(Duration timeout) {
        long start = System.nanoTime();
        serverChannel.close().awaitUninterruptibly();
        refresher.shutdownNow();
        // A connection accepted just before the close is set up by a task queued on its flow loop; a no-op queued
        // behind it on every loop means it is in liveFlows when this returns.
        try {
            probeEventLoops().get(1, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("drain: an event loop did not answer within 1 s: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Channel> open = List.copyOf(liveFlows);
        log.info("draining: listener closed; {} open flow(s) may finish within {} ms", open.size(),
                timeout.toMillis());
        long deadline = start + timeout.toNanos();
        for (Channel ch : open) {
            ch.closeFuture().awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        List<Channel> left = open.stream().filter(Channel::isOpen).toList();
        DrainResult result = new DrainResult(open.size(), open.size() - left.size(), left.size(),
                Duration.ofNanos(System.nanoTime() - start));
        if (left.isEmpty()) {
            log.debug("drain: {} flow(s) finished in {} ms, none cut", result.finished(), result.took().toMillis());
        } else {
            log.warn("drain: {} flow(s) finished, {} still open after the drain timeout of {} ms: cut as shutdown",
                    result.finished(), result.cut(), timeout.toMillis());
        }
        cutAndStop(left, STOP_GRACE, "clawgressd stopping: drain timeout of " + timeout.toMillis() + " ms passed");
        return result;
    }

    /**
     * Liveness of the data plane (systemd's watchdog): runs a no-op on the accept loop and on every flow loop. Any
     * thread.
     *
     * @return completes when every loop ran it; completes exceptionally when a loop refuses (it is shutting down). A
     *         wedged loop never completes it, so bound the wait
     */
    public CompletableFuture<Void> probeEventLoops() {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (EventLoopGroup group : List.of(bossGroup, workerGroup)) {
            for (io.netty.util.concurrent.EventExecutor loop : group) {
                CompletableFuture<Void> one = new CompletableFuture<>();
                try {
                    loop.execute(() -> one.complete(null));
                } catch (RejectedExecutionException e) {
                    one.completeExceptionally(e);
                }
                all.add(one);
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /** Resets {@code flows} as {@code shutdown}, waits up to {@code grace} for them to close, stops the loops. */
    private void cutAndStop(List<Channel> flows, Duration grace, String why) {
        List<Future<?>> closing = new ArrayList<>();
        for (Channel ch : flows) {
            Flow flow = ch.attr(FlowPipeline.FLOW).get();
            try {
                ch.eventLoop().execute(() -> {
                    if (flow != null) {
                        flow.abort(Termination.SHUTDOWN, why);
                    } else {
                        ch.close();
                    }
                });
            } catch (RejectedExecutionException e) {
                continue; // the loop is gone, and the channel with it
            }
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
