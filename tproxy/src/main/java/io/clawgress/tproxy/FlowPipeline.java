package io.clawgress.tproxy;

import io.clawgress.api.AuditSink;
import io.clawgress.api.FlowDecider;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.decide.DecideStage;
import io.clawgress.tproxy.dns.NameResolution;
import io.clawgress.tproxy.flow.ConnectionGate;
import io.clawgress.tproxy.flow.Flow;
import io.clawgress.tproxy.flow.FlowTailHandler;
import io.clawgress.tproxy.flow.TerminationCounts;
import io.clawgress.tproxy.flow.FlowIds;
import io.clawgress.tproxy.origdst.LoopGuard;
import io.clawgress.tproxy.origdst.OriginalDestinationStage;
import io.clawgress.tproxy.peek.PeekSettings;
import io.clawgress.tproxy.peek.PeekStage;
import io.clawgress.tproxy.relay.RelayStage;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.AttributeKey;

import java.time.Duration;

/**
 * The data path of one agent connection, stage by stage (DESIGN.md §3). Each stage is a one-shot handler that
 * does its job on {@code channelActive}, removes itself and passes the flow on, or ends it:
 *
 * <pre>
 *   flow     flow id, start time, a close listener that emits the record; connection cap
 *   origdst  original destination = accepted socket's local address; refuse loops        -> deny: loop
 *   peek     bounded, timed: TLS ClientHello (SNI, ALPN, ECH) | HTTP/1.x head | opaque  -> deny: malformed, timeout
 *   (identity beyond subnet bindings: later issues)
 *   decide   FlowDecider, once, on address and claimed name                             -> deny: reset
 *   relay    resolve an allowed name ourselves, dial on this event loop, RelayHandler both ways
 *   errors   last: keeps agent input that arrives before the relay; anything unhandled resets the flow
 * </pre>
 * The agent channel is not read (autoRead off) until the relay stage has connected the upstream.
 */
public final class FlowPipeline extends ChannelInitializer<Channel> {

    public static final String ORIGDST = "origdst";
    public static final String PEEK = "peek";
    public static final String DECIDE = "decide";
    public static final String RELAY = "relay-stage";
    public static final String ERRORS = "errors";
    public static final AttributeKey<Flow> FLOW = AttributeKey.valueOf("clawgress.flow");

    static final String LIMIT_RULE = "connection_limit";

    private final FlowIds ids;
    private final ConnectionGate gate;
    private final LoopGuard loopGuard;
    private final FlowDecider decider;
    private final AuditSink sink;
    private final Bootstrap upstreamBootstrap;
    private final Duration idleTimeout;
    private final ChannelGroup liveFlows;
    private final PeekSettings peek;
    private final NameResolution names;
    private final TerminationCounts counts = new TerminationCounts();

    public FlowPipeline(FlowIds ids, ConnectionGate gate, LoopGuard loopGuard, FlowDecider decider, AuditSink sink,
                        Bootstrap upstreamBootstrap, Duration idleTimeout, ChannelGroup liveFlows, PeekSettings peek,
                        NameResolution names) {
        this.ids = ids;
        this.gate = gate;
        this.loopGuard = loopGuard;
        this.decider = decider;
        this.sink = sink;
        this.upstreamBootstrap = upstreamBootstrap;
        this.idleTimeout = idleTimeout;
        this.liveFlows = liveFlows;
        this.peek = peek;
        this.names = names;
    }

    /** Flows ended so far, per termination code. */
    public TerminationCounts counts() {
        return counts;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (!gate.tryAcquire()) {
            new Flow(ids.next(), ch, sink, () -> { }, counts).deny(new Verdict.Deny(Termination.CONNECTION_LIMIT,
                    LIMIT_RULE, "connection_limit of " + gate.limit() + " concurrent connections reached"));
            return;
        }
        Flow flow = new Flow(ids.next(), ch, sink, gate::release, counts);
        ch.attr(FLOW).set(flow);
        liveFlows.add(ch);
        ch.pipeline()
                .addLast(ORIGDST, new OriginalDestinationStage(flow, loopGuard))
                .addLast(PEEK, new PeekStage(flow, peek))
                .addLast(DECIDE, new DecideStage(flow, decider))
                .addLast(RELAY, new RelayStage(flow, upstreamBootstrap, idleTimeout, names))
                .addLast(ERRORS, new FlowTailHandler(flow));
    }
}
