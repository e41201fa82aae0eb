package io.clawgress.tproxy.flow;

import io.clawgress.api.AuditSink;
import io.clawgress.api.DataPathObserver;
import io.clawgress.api.Decision;
import io.clawgress.api.FlowDecider;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.RequestRecord;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One agent connection from accept to the record written at close. Confined to the client channel's event loop
 * (the upstream channel runs on the same loop), so it needs no locks.
 *
 * <p>Ending rules: the first {@link Termination} set wins; abortive endings reset both sockets (SO_LINGER 0), the
 * others close them with FIN; the record is emitted exactly once, when both channels are closed.
 */
public final class Flow {

    /** Which socket of the flow an event concerns. */
    public enum Side { CLIENT, UPSTREAM }

    private static final String NO_REVISION = "none";

    private FlowFacts facts;
    /** Also in {@link #facts}; final here so that any thread may read it ({@link #id()}). */
    private final String id;
    private final Instant start;
    private final long startNanos;
    private final Channel client;
    private final Runnable onRecorded;
    private final AuditSink sink;
    private final TerminationCounts counts;
    /** Set once by the constructor that takes it; read on the flow's event loop only. */
    private DataPathObserver observer = DataPathObserver.NONE;

    private final EarlyInput earlyInput = new EarlyInput();
    private Verdict verdict;
    private Optional<Identity> identity = Optional.empty();
    private String policyRevision = NO_REVISION;
    private Decision decision;
    private Channel upstream;
    private InetSocketAddress dialled;
    private String bindingNote;
    private boolean upstreamConnected;
    private long bytesUp;
    private long bytesDown;
    private Termination termination;
    private String detail;
    private boolean clientOutputDone;
    private boolean upstreamOutputDone;
    private boolean recorded;
    /** Set by {@link #closeAfterResponse}: the ending keeps its code but closes with FIN, not RST. */
    private boolean graceful;
    private int requestsAllowed;
    private int requestsDenied;
    private OpenRequest openRequest;

    /** A forwarded request whose exchange is not over: completed by whoever ends it, the gate or the flow's end. */
    public interface OpenRequest {
        /** The request's record, completed with what was exchanged so far and {@code t} as its ending. */
        RequestRecord endedBy(Termination t);
    }

    /**
     * @param onRecorded runs once after the record is emitted (releases the connection slot)
     */
    public Flow(String id, Channel client, AuditSink sink, Runnable onRecorded) {
        this(id, client, sink, onRecorded, null);
    }

    /**
     * @param counts   counted once per flow when its record is emitted, or {@code null}
     * @param observer hears the peek, decisions, name lookups and identity failures of this flow (metrics)
     */
    public Flow(String id, Channel client, AuditSink sink, Runnable onRecorded, TerminationCounts counts,
                DataPathObserver observer) {
        this(id, client, sink, onRecorded, counts);
        this.observer = java.util.Objects.requireNonNull(observer, "observer");
    }

    /**
     * @param counts counted once per flow when its record is emitted, or {@code null}
     */
    public Flow(String id, Channel client, AuditSink sink, Runnable onRecorded, TerminationCounts counts) {
        this.counts = counts;
        this.id = id;
        this.client = client;
        this.sink = sink;
        this.onRecorded = onRecorded;
        this.start = Instant.now();
        this.startNanos = System.nanoTime();
        // Under TPROXY the accepted socket's local address is the agent's original destination.
        this.facts = new FlowFacts(id, (InetSocketAddress) client.remoteAddress(),
                (InetSocketAddress) client.localAddress());
        client.closeFuture().addListener(f -> onClosed(Side.CLIENT));
    }

    public FlowFacts facts() {
        return facts;
    }

    /** The flow id; any thread. */
    public String id() {
        return id;
    }

    public Channel client() {
        return client;
    }

    /** Hears what the stages observe (peek and decision times, name lookups, identity failures); never null. */
    public DataPathObserver observer() {
        return observer;
    }

    /** The upstream channel, or {@code null} before the dial. */
    public Channel upstream() {
        return upstream;
    }

    public Termination termination() {
        return termination;
    }

    /** The verdict so far, or {@code null} before the decision. */
    public Verdict verdict() {
        return verdict;
    }

    /** What the first bytes claimed (the peek stage's result); the decision sees it. */
    public void peeked(PeekFacts peek) {
        facts = facts.withPeek(peek);
    }

    /**
     * The address the relay dials, and why it is not the original destination when it is not (the name binding
     * rule: a name only counts with an address the gateway resolved for it).
     */
    public void dialling(InetSocketAddress address, String note) {
        this.dialled = address;
        this.bindingNote = note;
    }

    /** The name binding refused a relay the policy allowed: the record reports this deny instead. */
    public void bindingDenied(Verdict.Deny deny) {
        verdict = deny;
        abort(deny.termination(), null);
    }

    /** The address dialled, or {@code null} before the dial. */
    public InetSocketAddress dialled() {
        return dialled;
    }

    /** Agent input that arrived before the relay was in place. */
    public EarlyInput earlyInput() {
        return earlyInput;
    }

    /** Records the decision; the verdict is what the record reports. */
    public void decided(Decision decision) {
        this.decision = decision;
        this.verdict = decision.verdict();
        this.identity = decision.identity();
        this.policyRevision = decision.policyRevision();
    }

    /**
     * The agent proved an identity on this flow (mTLS client certificate, a request's JWT): later decisions, the
     * re-evaluation after a policy swap or an agent being disabled included, use it, and the record names it.
     */
    public void presented(Identity proven) {
        facts = facts.withPresented(proven);
        identity = Optional.of(proven);
    }

    /** One request behind the L7 gate was decided; the record sums them up. */
    public void requestDecided(Decision decision) {
        if (decision.identity().isPresent()) {
            identity = decision.identity();
        }
        if (decision.verdict() instanceof Verdict.Deny) {
            requestsDenied++;
        } else {
            requestsAllowed++;
        }
        policyRevision = decision.policyRevision();
    }

    /** Hands the record of one finished request exchange to the audit sink (which never blocks). */
    public void recordRequest(RequestRecord record) {
        sink.request(record);
    }

    /**
     * A request was forwarded: its record is written when {@link #requestEnded} is called, or, if the connection ends
     * first, just before the flow's own record with the flow's ending. Never two at once (one request at a time).
     */
    public void requestOpened(OpenRequest request) {
        openRequest = request;
    }

    /** The open request's exchange is over: writes its record, completed with {@code t}. */
    public void requestEnded(Termination t) {
        OpenRequest r = openRequest;
        openRequest = null;
        if (r != null) {
            sink.request(r.endedBy(t));
        }
    }

    /** The gate refused a request before any policy decision (identity, Host): the record counts it. */
    public void requestDenied(Optional<Identity> who) {
        who.ifPresent(i -> identity = Optional.of(i));
        requestsDenied++;
    }

    /** The policy revision of the latest decision on this flow, or {@code none}. */
    public String policyRevisionSoFar() {
        return policyRevision;
    }

    /** Requests the L7 gate decided on this flow so far. */
    public int requestsDecided() {
        return requestsAllowed + requestsDenied;
    }

    /**
     * Re-decides an open flow after a policy swap (DESIGN.md §5): if it was relayed and the new decision denies it,
     * resets it as {@code policy_revoked}. Flows still before their decision need nothing: they read the new
     * snapshot when they get there. Runs on this flow's event loop.
     *
     * @return true when the flow was revoked
     */
    public boolean reevaluate(FlowDecider decider) {
        if (verdict == null || verdict instanceof Verdict.Deny || termination != null || !client.isOpen()) {
            return false;
        }
        Decision now = decider.recheck(facts); // a re-evaluation is not a new request: no rate-limit token
        if (!(now.verdict() instanceof Verdict.Deny deny)) {
            return false;
        }
        abort(Termination.POLICY_REVOKED, "revoked by policy revision " + now.policyRevision() + ", rule "
                + deny.ruleId() + ": " + deny.reason());
        return true;
    }

    /** Refuses the flow with a reset before or instead of a policy decision (loop, limit) or after a deny. */
    public void deny(Verdict.Deny deny) {
        if (verdict == null) {
            verdict = deny;
        }
        abort(deny.termination(), null); // the verdict's reason already says why
    }

    /** The upstream channel exists (connect in progress); its closing takes part in ending the flow. */
    public void attachUpstream(Channel channel) {
        if (upstream != null) {
            throw new IllegalStateException("flow " + id() + " already has an upstream");
        }
        upstream = channel;
        channel.closeFuture().addListener(f -> onClosed(Side.UPSTREAM));
    }

    /** The upstream completed its TCP handshake; from now on its closing is an upstream ending. */
    public void upstreamConnected() {
        upstreamConnected = true;
    }

    /**
     * Bytes read from {@code side}: on their way to the other side, or read and dropped (a denied connection's peeked
     * bytes, what an agent still sends while the gateway's own answer lingers). {@code bytes_up} is everything the
     * agent sent that the gateway read.
     */
    public void countRead(Side side, int bytes) {
        if (side == Side.CLIENT) {
            bytesUp += bytes;
        } else {
            bytesDown += bytes;
        }
    }

    /** Bytes of an answer the gateway wrote to the agent itself (403, 407, 400, ...): part of {@code bytes_down}. */
    public void countAnswer(int bytes) {
        bytesDown += bytes;
    }

    public long bytesUp() {
        return bytesUp;
    }

    public long bytesDown() {
        return bytesDown;
    }

    /**
     * The output toward {@code side} was shut down after everything was flushed (half-close relayed), or, for the
     * direction that ends last, everything was flushed and the close that completes the flow sends the FIN. When both
     * directions are done the flow completed.
     */
    public void outputShutdown(Side side) {
        if (side == Side.CLIENT) {
            clientOutputDone = true;
        } else {
            upstreamOutputDone = true;
        }
        if (clientOutputDone && upstreamOutputDone) {
            end(Termination.COMPLETED, null);
        }
    }

    /** Whether the output toward {@code side} was shut down already ({@link #outputShutdown}). */
    public boolean isOutputShutdown(Side side) {
        return side == Side.CLIENT ? clientOutputDone : upstreamOutputDone;
    }

    /** Ends the flow with {@code t}: abortive endings reset both sockets, graceful ones close with FIN. */
    public void end(Termination t, String why) {
        terminate(t, why);
        boolean reset = isAbortive(termination);
        close(client, reset);
        if (upstream != null) {
            close(upstream, reset);
        }
    }

    /**
     * Records {@code t} as the ending, but closes both sockets with FIN however abortive the code: the gateway has
     * just answered the agent itself (a 403, 407 or 400 over HTTP) and the answer must not be destroyed by a reset.
     * The caller closes the client once the answer is flushed; this closes the upstream now.
     */
    public void closeAfterResponse(Termination t, String why) {
        terminate(t, why);
        graceful = true;
        if (upstream != null) {
            close(upstream, false);
        }
    }

    /** Ends the flow with a reset of both sockets. */
    public void abort(Termination t, String why) {
        terminate(t, why);
        close(client, true);
        if (upstream != null) {
            close(upstream, true);
        }
    }

    private void terminate(Termination t, String why) {
        if (termination == null) {
            termination = t;
            detail = why;
        }
    }

    private static void close(Channel ch, boolean reset) {
        if (!ch.isOpen()) {
            return;
        }
        if (reset && ch.isActive()) {
            // SO_LINGER 0: close() sends RST instead of FIN (RFC 9293 §3.10.7.1 ABORT).
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
        }
        ch.close();
    }

    private void onClosed(Side side) {
        if (side == Side.UPSTREAM && !upstreamConnected && termination == null) {
            // A failed dial closes the channel before the connect listener runs; that listener names the ending
            // (timeout or failure) and aborts the flow.
            return;
        }
        if (termination == null) {
            // Closed without a recorded cause: the socket failed under us.
            terminate(side == Side.CLIENT ? Termination.CLIENT_RESET : Termination.UPSTREAM_RESET,
                    side == Side.CLIENT ? "agent connection closed" : "upstream connection closed");
        }
        if (graceful && side == Side.UPSTREAM) {
            // The gateway is answering the agent itself; whoever wrote the answer closes the agent's channel once
            // it is flushed (and after a lingering read), and that close emits the record.
            return;
        }
        Channel other = side == Side.CLIENT ? upstream : client;
        if (other != null && other.isOpen()) {
            close(other, !graceful && isAbortive(termination));
            return; // the other channel's close listener emits the record
        }
        emitOnce();
    }

    private void emitOnce() {
        if (recorded || client.isOpen() || (upstream != null && upstream.isOpen())) {
            return;
        }
        recorded = true;
        bytesUp += earlyInput.release(); // peeked, never relayed: still read from the agent
        try {
            requestEnded(termination == null ? Termination.INTERNAL_ERROR : termination);
            FlowRecord record = toRecord();
            if (counts != null) {
                counts.add(record.termination());
            }
            sink.record(record);
        } finally {
            onRecorded.run();
        }
    }

    /**
     * The flow as it stands now, for the admin API. Runs on this flow's event loop.
     *
     * @param peeking whether the peek stage is still waiting for the first bytes
     */
    public OpenFlow view(boolean peeking) {
        OpenFlow.State state;
        if (termination != null || !client.isOpen()) {
            state = OpenFlow.State.CLOSING;
        } else if (verdict == null) {
            state = peeking ? OpenFlow.State.PEEKING : OpenFlow.State.DECIDING;
        } else {
            state = switch (verdict) {
                case Verdict.Deny d -> OpenFlow.State.DENYING;
                case Verdict.Relay r -> upstreamConnected ? OpenFlow.State.RELAYING : OpenFlow.State.CONNECTING;
                case Verdict.Intercept i -> upstreamConnected ? OpenFlow.State.INTERCEPTING
                        : OpenFlow.State.CONNECTING;
            };
        }
        return new OpenFlow(id, start, facts.source(), facts.originalDestination(), facts.peek(), identity, state,
                verdict == null ? null : verdict.name(), verdict == null ? null : verdict.ruleId(), policyRevision,
                dialled, bytesUp + earlyInput.bytes(), bytesDown, requestsAllowed + requestsDenied);
    }

    /**
     * An operator ended the flow (admin API): reset as {@code admin_killed} with {@code why} as the record's detail.
     * Runs on this flow's event loop.
     *
     * @return false when the flow's ending was already decided (it is closing on its own)
     */
    public boolean kill(String why) {
        if (termination != null || !client.isOpen()) {
            return false;
        }
        abort(Termination.ADMIN_KILLED, why);
        return true;
    }

    /** The record as it stands now (emitted at close). */
    public FlowRecord toRecord() {
        Verdict v = verdict;
        String verdictName = v == null ? "deny" : v.name();
        String reason = v == null ? "closed before a decision" : v.reason();
        String rule = v == null ? "none" : v.ruleId();
        Termination t = termination == null ? Termination.INTERNAL_ERROR : termination;
        String words = bindingNote == null ? detail : detail == null ? bindingNote : bindingNote + "; " + detail;
        if (requestsAllowed + requestsDenied > 0) {
            String l7 = "http requests: " + requestsAllowed + " allowed, " + requestsDenied + " denied";
            words = words == null ? l7 : words + "; " + l7;
        }
        return new FlowRecord(facts.flowId(), start, facts.source(), facts.originalDestination(), identity,
                verdictName, reason, rule, policyRevision, bytesUp, bytesDown,
                Duration.ofNanos(System.nanoTime() - startNanos), t, words, facts.peek(), dialled,
                decision == null ? null : decision.policyId(), decision == null ? Decision.ENFORCE : decision.mode(),
                decision != null && decision.wouldDeny(), decision != null && decision.wouldLimit());
    }

    /** Words for a failure: its message, or its type when it has none (Netty's ClosedChannelException). */
    public static String describe(Throwable cause) {
        if (cause == null) {
            return "cancelled";
        }
        String m = cause.getMessage();
        return m == null || m.isBlank() ? cause.getClass().getSimpleName() : m;
    }

    /** Whether an ending resets the sockets (the peer must not mistake it for a clean end of stream). */
    static boolean isAbortive(Termination t) {
        return switch (t) {
            case COMPLETED, IDLE_TIMEOUT -> false;
            case POLICY_DENIED, LOOP, CONNECTION_LIMIT, UPSTREAM_CONNECT_TIMEOUT, UPSTREAM_CONNECT_FAILED,
                 UPSTREAM_RESET, CLIENT_RESET, SHUTDOWN, INTERNAL_ERROR, PEEK_TIMEOUT, CLIENT_HELLO_TOO_LARGE,
                 CLIENT_HELLO_MALFORMED, SNI_INVALID, SNI_MISSING, HTTP_HEAD_TOO_LARGE, HTTP_MALFORMED,
                 NAME_ADDRESS_MISMATCH, NAME_RESOLUTION_FAILED, POLICY_REVOKED, UPSTREAM_TLS_INVALID,
                 INTERCEPT_UNAVAILABLE, CLIENT_TLS_FAILED, IDENTITY_INVALID, UPSTREAM_HTTP_MALFORMED, RATE_LIMITED,
                 AUDIT_UNAVAILABLE, ADMIN_KILLED -> true;
        };
    }
}
