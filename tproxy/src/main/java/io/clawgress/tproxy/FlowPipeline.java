package io.clawgress.tproxy;

import io.clawgress.api.AuditSink;
import io.clawgress.api.DataPathObserver;
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
import io.clawgress.tproxy.relay.Dialer;
import io.clawgress.tproxy.relay.RelayStage;
import io.clawgress.tproxy.gate.GateSettings;
import io.clawgress.tproxy.intercept.InterceptServices;
import io.clawgress.tproxy.intercept.InterceptStage;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.AttributeKey;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The data path of one agent connection, stage by stage (DESIGN.md §3). Each stage is a one-shot handler that
 * does its job on {@code channelActive}, removes itself and passes the flow on, or ends it:
 *
 * <pre>
 *   flow     flow id, start time, a close listener that emits the record; connection cap
 *   origdst  original destination = accepted socket's local address; refuse loops        -> deny: loop
 *   peek     bounded, timed: TLS ClientHello (SNI, ALPN, ECH) | HTTP/1.x head | opaque  -> deny: malformed, timeout
 *   decide   FlowDecider, once, on address and claimed name                 -> deny: reset (plaintext HTTP: 403)
 *   relay    resolve an allowed name ourselves, dial on this event loop; splice both ways, or for plaintext
 *            HTTP/1.x put the L7 gate between (every request decided)
 *   intercept verify the upstream's TLS, mint a leaf for the SNI off-loop, terminate the agent's TLS (client
 *            certificate), L7 gate on the plaintext                             -> fail: upstream_tls_invalid ...
 *   errors   last: keeps agent input that arrives before the relay; anything unhandled resets the flow
 * </pre>
 * The agent channel is not read (autoRead off) until the relay stage has connected the upstream.
 */
public final class FlowPipeline extends ChannelInitializer<Channel> {

    public static final String ORIGDST = "origdst";
    public static final String PEEK = "peek";
    public static final String DECIDE = "decide";
    public static final String RELAY = "relay-stage";
    public static final String INTERCEPT = "intercept-stage";
    public static final String ERRORS = "errors";
    public static final AttributeKey<Flow> FLOW = AttributeKey.valueOf("clawgress.flow");

    static final String LIMIT_RULE = "connection_limit";
    static final String AUDIT_RULE = "audit_unavailable";

    private final FlowIds ids;
    private final ConnectionGate gate;
    private final LoopGuard loopGuard;
    private final FlowDecider decider;
    private final AuditSink sink;
    private final Dialer dialer;
    private final GateSettings gateSettings;
    private final InterceptServices intercept;
    private final Duration idleTimeout;
    private final ChannelGroup liveFlows;
    private final PeekSettings peek;
    private final BooleanSupplier admitting;
    private final DataPathObserver observer;
    private final TerminationCounts counts = new TerminationCounts();

    /**
     * @param gateSettings the L7 gate's settings (plaintext HTTP and intercepted flows)
     * @param intercept    TLS interception, or {@code null}: intercept verdicts then fail closed
     */
    public FlowPipeline(FlowIds ids, ConnectionGate gate, LoopGuard loopGuard, FlowDecider decider, AuditSink sink,
                        Bootstrap upstreamBootstrap, Duration idleTimeout, ChannelGroup liveFlows, PeekSettings peek,
                        NameResolution names, GateSettings gateSettings, InterceptServices intercept) {
        this(ids, gate, loopGuard, decider, sink, upstreamBootstrap, idleTimeout, liveFlows, peek, names, gateSettings,
                intercept, () -> true);
    }

    /**
     * @param admitting false while new flows must be refused as {@code audit_unavailable} (the audit log's
     *                  {@code refuse_new_flows} mode when it cannot take records); read once per accepted connection
     */
    public FlowPipeline(FlowIds ids, ConnectionGate gate, LoopGuard loopGuard, FlowDecider decider, AuditSink sink,
                        Bootstrap upstreamBootstrap, Duration idleTimeout, ChannelGroup liveFlows, PeekSettings peek,
                        NameResolution names, GateSettings gateSettings, InterceptServices intercept,
                        BooleanSupplier admitting) {
        this(ids, gate, loopGuard, decider, sink, upstreamBootstrap, idleTimeout, liveFlows, peek, names, gateSettings,
                intercept, admitting, DataPathObserver.NONE);
    }

    /**
     * @param observer hears peek and decision times, name lookups and identity failures of every flow (metrics)
     */
    public FlowPipeline(FlowIds ids, ConnectionGate gate, LoopGuard loopGuard, FlowDecider decider, AuditSink sink,
                        Bootstrap upstreamBootstrap, Duration idleTimeout, ChannelGroup liveFlows, PeekSettings peek,
                        NameResolution names, GateSettings gateSettings, InterceptServices intercept,
                        BooleanSupplier admitting, DataPathObserver observer) {
        this.observer = java.util.Objects.requireNonNull(observer, "observer");
        this.admitting = admitting;
        this.ids = ids;
        this.gate = gate;
        this.loopGuard = loopGuard;
        this.decider = decider;
        this.sink = sink;
        this.dialer = new Dialer(upstreamBootstrap, names);
        this.idleTimeout = idleTimeout;
        this.liveFlows = liveFlows;
        this.peek = peek;
        this.gateSettings = gateSettings;
        this.intercept = intercept;
    }

    /** Flows ended so far, per termination code. */
    public TerminationCounts counts() {
        return counts;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (!gate.tryAcquire()) {
            new Flow(ids.next(), ch, sink, () -> { }, counts, observer).deny(new Verdict.Deny(
                    Termination.CONNECTION_LIMIT, LIMIT_RULE,
                    "connection_limit of " + gate.limit() + " concurrent connections reached"));
            return;
        }
        if (!admitting.getAsBoolean()) {
            // Strict audit: a decision that cannot be recorded is not made (audit.on_overflow: refuse_new_flows).
            new Flow(ids.next(), ch, sink, gate::release, counts, observer).deny(new Verdict.Deny(
                    Termination.AUDIT_UNAVAILABLE, AUDIT_RULE,
                    "the audit log cannot take records now (audit.on_overflow: refuse_new_flows)"));
            return;
        }
        Flow flow = new Flow(ids.next(), ch, sink, gate::release, counts, observer);
        ch.attr(FLOW).set(flow);
        liveFlows.add(ch);
        ch.pipeline()
                .addLast(ORIGDST, new OriginalDestinationStage(flow, loopGuard))
                .addLast(PEEK, new PeekStage(flow, peek))
                .addLast(DECIDE, new DecideStage(flow, decider, gateSettings.linger()))
                .addLast(RELAY, new RelayStage(flow, dialer, idleTimeout, decider, gateSettings))
                .addLast(INTERCEPT, new InterceptStage(flow, dialer, intercept, decider, gateSettings, idleTimeout))
                .addLast(ERRORS, new FlowTailHandler(flow));
    }
}
