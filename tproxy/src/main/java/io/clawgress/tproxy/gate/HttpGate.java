package io.clawgress.tproxy.gate;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.DataPathObserver;
import io.clawgress.api.Decision;
import io.clawgress.api.FlowDecider;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.RequestRecord;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.FlowPipeline;
import io.clawgress.tproxy.flow.Flow;
import io.clawgress.tproxy.identity.IdentityCheck;
import io.clawgress.tproxy.l7.BodyFraming;
import io.clawgress.tproxy.l7.ChunkedWriter;
import io.clawgress.tproxy.l7.DenialResponse;
import io.clawgress.tproxy.l7.Http1Listener;
import io.clawgress.tproxy.l7.Http1RequestFramer;
import io.clawgress.tproxy.l7.Http1ResponseFramer;
import io.clawgress.tproxy.l7.HttpFields;
import io.clawgress.tproxy.l7.Refusal;
import io.clawgress.tproxy.l7.RequestHead;
import io.clawgress.tproxy.l7.RequestHeadWriter;
import io.clawgress.tproxy.l7.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * The L7 gate (DESIGN.md §3 step 6b): sits between an agent and its upstream on a plaintext HTTP/1.1 flow or an
 * intercepted one (after both TLS handshakes), frames every request with the strict {@link Http1RequestFramer},
 * decides each one on its own (method, target, Host, the identity the agent proved), forwards what is allowed with
 * the identity header removed, and answers what is not itself: 403 (policy), 407 (identity), 400 (framing) — each
 * with a JSON body naming the rule — then closes.
 *
 * <p>One request at a time: after a request has gone upstream, the next one is not read until its response has
 * ended. So a denial can never overtake an earlier response, and the upstream never sees a request the gate did not
 * frame and decide (no smuggling through pipelining). Bodies stream both ways without buffering: request and
 * response bodies are forwarded part by part as the framers slice them, re-chunked with our own chunk framing when
 * chunked, and flushed on every read, so a server-sent event stream reaches the agent event by event.
 *
 * <p>Backpressure: reads are requested by hand (autoRead off) and only while the other side is writable.
 * Confined to the flow's event loop; token checks on a miss run on {@link GateSettings#offLoop()} while the
 * connection is not read.
 */
public final class HttpGate {

    private static final Logger log = LoggerFactory.getLogger(HttpGate.class);

    public static final String IDLE = "gate-idle";
    public static final String CLIENT = "gate-client";
    public static final String UPSTREAM = "gate-upstream";

    private final Flow flow;
    private final Channel client;
    private final Channel upstream;
    private final FlowDecider decider;
    private final GateSettings settings;
    private final String expectedHost;
    private final boolean intercepted;
    private final IdentityCheck clientCert;
    private final RequestHeadWriter writer;
    private final String tokenField;
    private final Http1RequestFramer requests;
    private final Http1ResponseFramer responses;

    private ByteBuf clientPending;
    private ByteBuf upstreamPending;
    private int sequence;
    private boolean inRequest;          // a forwarded request's body is still arriving
    private boolean requestChunked;
    private boolean requestKeepAlive = true;
    private boolean awaitingResponse;   // a forwarded request's response has not ended
    private boolean responseStarted;    // its final head went to the agent
    private boolean responseChunked;
    private boolean responseKeepAlive = true;
    private boolean clientInputDone;
    private boolean clientInputClosedFed;
    private boolean upstreamInputDone;
    private boolean upstreamInputClosedFed;
    private boolean finished;           // answered, completed or aborted: input is dropped from now on
    private boolean feeding;            // inside requests.feed: the framer must not be fed re-entrantly
    private boolean feedAgain;          // a listener resumed the framer while it was being fed
    private boolean resumeRequests;     // a response ended: read the next request once the response feed returns
    private Exchange exchange;          // the forwarded request whose exchange is not over, or null

    /**
     * @param expectedHost the name the connection was opened for (the SNI when intercepting, the allowed name of a
     *                     plaintext relay), which every request's Host must equal; {@code null} for a relay decided
     *                     on the address
     * @param clientCert   what the agent's client certificate proved when intercepting, or {@code null} (none sent,
     *                     or plaintext)
     */
    private HttpGate(Flow flow, Channel upstream, FlowDecider decider, GateSettings settings, String expectedHost,
                     boolean intercepted, IdentityCheck clientCert) {
        this.flow = flow;
        this.client = flow.client();
        this.upstream = upstream;
        this.decider = decider;
        this.settings = settings;
        this.expectedHost = expectedHost;
        this.intercepted = intercepted;
        this.clientCert = clientCert;
        this.writer = RequestHeadWriter.removing(settings.identityHeader());
        this.tokenField = settings.identityHeaderLowerCase();
        this.requests = new Http1RequestFramer(settings.requests(), new Requests());
        this.responses = new Http1ResponseFramer(settings.responses(), new Responses());
    }

    /**
     * Puts the gate between the flow's agent channel and its connected {@code upstream} and starts reading: the
     * agent's early input (a plaintext flow's peeked request head) is framed first. Runs on the flow's event loop.
     */
    public static void start(Flow flow, Channel upstream, FlowDecider decider, GateSettings settings,
                             String expectedHost, boolean intercepted, IdentityCheck clientCert, Duration idle) {
        HttpGate gate = new HttpGate(flow, upstream, decider, settings, expectedHost, intercepted, clientCert);
        flow.client().pipeline()
                .addBefore(FlowPipeline.ERRORS, IDLE,
                        new IdleStateHandler(true, 0, 0, idle.toMillis(), TimeUnit.MILLISECONDS))
                .addBefore(FlowPipeline.ERRORS, CLIENT, gate.new ClientSide());
        upstream.pipeline().addLast(UPSTREAM, gate.new UpstreamSide());
        flow.earlyInput().drainTo(gate::clientBytes);
        if (flow.earlyInput().isInputShutdown()) {
            gate.clientInputDone = true;
        }
        gate.processClient();
        gate.readClientIfReady();
        upstream.read();
    }

    // ---- agent side ----

    private void clientBytes(ByteBuf buf) {
        flow.countRead(Flow.Side.CLIENT, buf.readableBytes());
        if (finished) {
            buf.release();
            return;
        }
        clientPending = append(clientPending, buf);
    }

    private void processClient() {
        if (feeding) {
            feedAgain = true; // e.g. forward() resumed the framer from inside onHead: go on after feed returns
            return;
        }
        feeding = true;
        try {
            do {
                feedAgain = false;
                if (finished) {
                    return;
                }
                if (clientPending != null && !requests.isPaused()) {
                    requests.feed(clientPending);
                    if (clientPending != null && (!clientPending.isReadable() || requests.isRefused())) {
                        clientPending.release();
                        clientPending = null;
                    }
                }
            } while (feedAgain);
        } finally {
            feeding = false;
        }
        if (finished || requests.isPaused() || clientPending != null) {
            return;
        }
        if (clientInputDone && !clientInputClosedFed) {
            clientInputClosedFed = true;
            requests.inputClosed(); // refuses a truncated request; between requests it is a clean end
            if (!finished && !inRequest && !awaitingResponse) {
                complete("the agent closed between requests");
            }
        }
    }

    private void readClientIfReady() {
        if (!finished && !clientInputDone && !requests.isPaused() && upstream.isWritable() && client.isActive()) {
            client.read();
        }
    }

    // ---- upstream side ----

    private void upstreamBytes(ByteBuf buf) {
        flow.countRead(Flow.Side.UPSTREAM, buf.readableBytes());
        if (finished) {
            buf.release();
            return;
        }
        upstreamPending = append(upstreamPending, buf);
    }

    private void processUpstream() {
        if (finished) {
            return;
        }
        if (upstreamPending != null && !responses.isPaused()) {
            responses.feed(upstreamPending);
            if (upstreamPending != null && (!upstreamPending.isReadable() || responses.isRefused())) {
                upstreamPending.release();
                upstreamPending = null;
            }
        }
        if (resumeRequests && !finished) {
            resumeRequests = false;
            requests.resume();
            processClient();
            upstream.flush();
            readClientIfReady();
        }
        if (finished || upstreamPending != null) {
            return;
        }
        if (upstreamInputDone && !upstreamInputClosedFed) {
            upstreamInputClosedFed = true;
            responses.inputClosed(); // ends a close-delimited body; refuses a truncated response
            if (!finished && !awaitingResponse) {
                // The upstream closed a kept-alive connection between responses: so do we, toward the agent.
                complete("the upstream closed between responses");
            }
        }
    }

    private void readUpstreamIfReady() {
        if (!finished && !upstreamInputDone && client.isWritable() && upstream.isActive()) {
            upstream.read();
        }
    }

    // ---- requests ----

    private final class Requests implements Http1Listener<RequestHead> {
        @Override
        public void onHead(RequestHead head) {
            requests.pause();
            sequence++;
            HttpFields fields = head.fields();
            int tokens = fields.count(tokenField);
            if (tokens > 1) {
                deny(head, null, identityDenial("identity_header_duplicate", "the request carries "
                        + tokens + " " + settings.identityHeader() + " fields (expected: at most one)"));
                return;
            }
            String token = tokens == 1 ? fields.get(tokenField) : null;
            if (token == null || settings.tokens() == null) {
                decide(head, null);
                return;
            }
            IdentityCheck cached = settings.tokens().cached(token);
            if (cached != null) {
                decide(head, cached);
                return;
            }
            // A signature check costs up to milliseconds: off the event loop, with this connection not read.
            try {
                settings.offLoop().execute(() -> {
                    IdentityCheck checked;
                    try {
                        checked = settings.tokens().verify(token);
                    } catch (RuntimeException e) {
                        log.error("flow {}: token verification failed on a bug", flow.id(), e);
                        checked = new IdentityCheck.Refused("jwt_invalid", "the token could not be verified");
                    }
                    IdentityCheck result = checked;
                    try {
                        client.eventLoop().execute(() -> decide(head, result));
                    } catch (RejectedExecutionException e) {
                        // the event loop is shutting down: the flow ends with it (shutdown)
                    }
                });
            } catch (RejectedExecutionException e) {
                flow.abort(Termination.INTERNAL_ERROR, "token verification refused: " + e.getMessage());
            }
        }

        @Override
        public void onBodyPart(ByteBuf content) {
            if (finished) {
                content.release();
                return;
            }
            if (exchange != null) {
                exchange.up += content.readableBytes();
            }
            writeBodyPart(upstream, content, requestChunked);
        }

        @Override
        public void onEnd(HttpFields trailers) {
            if (finished) {
                return;
            }
            if (requestChunked) {
                ByteBuf last = upstream.alloc().buffer(64);
                writer.writeLastChunk(trailers, last);
                upstream.write(last, upstream.voidPromise());
            }
            upstream.flush();
            inRequest = false;
            if (awaitingResponse) {
                // One request at a time: the next head is read once this one's response has ended.
                requests.pause();
            }
            // else the upstream answered before the body ended (an early 401, say) and kept the connection: go on.
        }

        @Override
        public void onRefusal(Refusal refusal) {
            if (inRequest) {
                // The head went upstream already; a broken body cannot be answered in order. Reset both.
                flow.abort(Termination.HTTP_MALFORMED, refusal.code() + ": " + refusal.message());
                finished = true;
                return;
            }
            sequence++;
            RequestRecord decided = decided(null, expectedHost, null, Optional.empty(), "deny", refusal.message(),
                    refusal.code(), flow.policyRevisionSoFar(), refusal.status(), refusal.code());
            flow.requestDenied(Optional.empty());
            answer(decided, 0, DenialResponse.refused(refusal), Termination.HTTP_MALFORMED,
                    refusal.code() + ": " + refusal.message());
        }
    }

    private static final byte[] CRLF = {'\r', '\n'};

    /** Writes (unflushed) one body part to {@code to}, as a chunk of our own framing when the message is chunked. */
    private static void writeBodyPart(Channel to, ByteBuf content, boolean chunked) {
        if (chunked) {
            ByteBuf size = to.alloc().buffer(20);
            ChunkedWriter.writeChunkHeader(content.readableBytes(), size);
            to.write(size, to.voidPromise());
            to.write(content, to.voidPromise());
            to.write(Unpooled.wrappedBuffer(CRLF), to.voidPromise());
        } else {
            to.write(content, to.voidPromise());
        }
    }

    /** Runs on the event loop, at once or after an off-loop token check. */
    private void decide(RequestHead head, IdentityCheck token) {
        if (finished || !client.isActive()) {
            return;
        }
        if (clientCert instanceof IdentityCheck.Refused r) {
            deny(head, null, identityDenial(r.code(), r.message()));
            return;
        }
        if (token instanceof IdentityCheck.Refused r) {
            deny(head, null, identityDenial(r.code(), r.message()));
            return;
        }
        Identity byCert = clientCert instanceof IdentityCheck.Proven p ? p.identity() : null;
        Identity byToken = token instanceof IdentityCheck.Proven p ? p.identity() : null;
        if (byCert != null && byToken != null && !byCert.agentId().equals(byToken.agentId())) {
            deny(head, null, identityDenial("identity_conflict", "the client certificate names agent "
                    + byCert.agentId() + " but the token names agent " + byToken.agentId()));
            return;
        }
        Identity proven = byCert != null ? byCert : byToken; // the stronger proof names the agent
        String host = head.host() != null ? head.host() : expectedHost;
        if (expectedHost != null && !expectedHost.equals(host)) {
            String why = "the request names host " + host + " but this connection was "
                    + (intercepted ? "opened with SNI " : "allowed for ") + expectedHost;
            deny(head, proven, new Denial(new DenialResponse(403, "host_mismatch", null, null, why,
                    "send requests for " + host + " on a connection of their own (TLS with SNI " + host
                            + "); do not retry through other routes", -1), Termination.POLICY_DENIED, why,
                    "host_mismatch"));
            return;
        }
        if (proven != null) {
            flow.presented(proven);
        }
        FlowFacts base = flow.facts();
        FlowFacts facts = new FlowFacts(base.flowId(), base.source(), base.originalDestination(),
                PeekFacts.http(host, head.method(), head.target()), Optional.ofNullable(proven));
        Decision decision;
        try {
            long t0 = System.nanoTime();
            decision = decider.decide(facts);
            if (decision == null) {
                throw new IllegalStateException("the decider returned null");
            }
            flow.observer().decided(DataPathObserver.DecisionKind.REQUEST, System.nanoTime() - t0);
        } catch (RuntimeException e) {
            // The SPI promises a decision and no exception; if it breaks that, it is our bug: fail closed.
            log.error("flow {}: decider failed on request {}; denying", flow.id(), sequence, e);
            finished = true;
            releasePending();
            flow.abort(Termination.INTERNAL_ERROR, "decider failed: " + e);
            return;
        }
        flow.requestDecided(decision);
        switch (decision.verdict()) {
            case Verdict.Deny d -> {
                boolean identityWouldHelp = d.termination() != Termination.RATE_LIMITED
                        && (decision.identity().isEmpty()
                        || (proven == null && strongerIdentityAllows(facts, decision.identity().get())));
                DenialResponse response = DenialResponse.forDenial(decision, d, identityWouldHelp);
                if (identityWouldHelp) {
                    flow.observer().identityFailure(response.error());
                }
                Termination t = identityWouldHelp ? Termination.IDENTITY_INVALID : d.termination();
                RequestRecord decided = decided(head, host, decision, decision.identity(), "deny", d.reason(),
                        d.ruleId(), decision.policyRevision(), response.status(), response.error());
                answer(decided, head.headLength(), response, t, "request " + sequence + " " + head.method() + " "
                        + head.target() + ": " + d.reason());
            }
            case Verdict.Relay r -> forward(head, decision, r.ruleId(), r.reason());
            case Verdict.Intercept i -> forward(head, decision, i.ruleId(), i.reason());
        }
    }

    /**
     * Whether the request, denied for {@code weak} (an identity only the subnet binding established), would be
     * allowed for the same agent proven by a client certificate: then the agent is missing the identity a rule's
     * {@code min_auth} requires, and the answer is 407 (prove who you are), not 403. Only on the denial path.
     */
    private boolean strongerIdentityAllows(FlowFacts facts, Identity weak) {
        if (weak.auth() != AuthMethod.SUBNET || !weak.active()) {
            return false;
        }
        Identity strong = new Identity(weak.agentId(), weak.teamId(), weak.projectId(), weak.environment(),
                weak.trustTier(), AuthMethod.MTLS, true);
        try {
            Decision d = decider.recheck(facts.withPresented(strong)); // hypothetical: counts nothing
            return d != null && !(d.verdict() instanceof Verdict.Deny);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void forward(RequestHead head, Decision decision, String rule, String reason) {
        exchange = new Exchange(decided(head, head.host() != null ? head.host() : expectedHost, decision,
                decision.identity(), "relay", reason, rule, decision.policyRevision(), 0, null), head.headLength());
        flow.requestOpened(exchange);
        upstream.write(writer.write(head, upstream.alloc()), upstream.voidPromise());
        upstream.flush(); // at once: an agent sending Expect: 100-continue waits for the interim answer
        responses.expectResponse(head.method());
        awaitingResponse = true;
        responseStarted = false;
        requestKeepAlive = head.keepAlive();
        requestChunked = head.framing() instanceof BodyFraming.Chunked;
        inRequest = true;
        requests.resume();
        processClient(); // the body, and onEnd (which pauses again until the response ended)
        upstream.flush(); // after an off-loop token check no read completes to flush what processClient wrote
        readClientIfReady();
    }

    /** A refusal of one request: the answer, the ending it records, and the code for the request record. */
    private record Denial(DenialResponse response, Termination termination, String why, String rule) {
    }

    /** A 407 for {@code code}; tells the observer (identity failures by reason). */
    private Denial identityDenial(String code, String message) {
        flow.observer().identityFailure(code);
        return new Denial(DenialResponse.identityRequired(code, null, null, message), Termination.IDENTITY_INVALID,
                code + ": " + message, code);
    }

    private void deny(RequestHead head, Identity proven, Denial denial) {
        String host = head.host() != null ? head.host() : expectedHost;
        Optional<Identity> who = Optional.ofNullable(proven);
        RequestRecord decided = decided(head, host, null, who, "deny", denial.why(), denial.rule(),
                flow.policyRevisionSoFar(), denial.response().status(), denial.response().error());
        flow.requestDenied(who);
        answer(decided, head.headLength(), denial.response(), denial.termination(),
                "request " + sequence + ": " + denial.why());
    }

    /** The record of a request as decided; completed with its exchange by {@link #answer} or {@link Exchange}. */
    private RequestRecord decided(RequestHead head, String host, Decision decision, Optional<Identity> who,
                                  String verdict, String reason, String rule, String revision, int status,
                                  String code) {
        return new RequestRecord(flow.id(), Math.max(1, sequence), Instant.now(), who,
                head == null ? null : head.method(), host, head == null ? null : head.target(), verdict, reason,
                rule, revision, status, code, decision == null ? null : decision.policyId(),
                decision == null ? Decision.ENFORCE : decision.mode(), decision != null && decision.wouldDeny(),
                decision != null && decision.wouldLimit());
    }

    /** A forwarded request until its response ends: what went each way, for its record. Event loop only. */
    private static final class Exchange implements Flow.OpenRequest {
        private final RequestRecord decided;
        private final long startNanos = System.nanoTime();
        private long up;
        private long down;
        private int upstreamStatus;

        Exchange(RequestRecord decided, int headBytes) {
            this.decided = decided;
            this.up = headBytes;
        }

        @Override
        public RequestRecord endedBy(Termination t) {
            return decided.ended(upstreamStatus, up, down, Duration.ofNanos(System.nanoTime() - startNanos), t);
        }
    }

    // ---- responses ----

    private final class Responses implements Http1Listener<ResponseHead> {
        @Override
        public void onHead(ResponseHead head) {
            if (finished) {
                return;
            }
            ByteBuf out = client.alloc().buffer(head.headLength());
            head.writeTo(out);
            if (exchange != null) {
                exchange.down += head.headLength();
                if (!head.interim()) {
                    exchange.upstreamStatus = head.status();
                }
            }
            client.write(out, client.voidPromise());
            if (head.interim()) {
                client.flush(); // 100 Continue: the agent waits for it before sending the body
                return;
            }
            responseStarted = true;
            responseChunked = head.framing() instanceof BodyFraming.Chunked;
            responseKeepAlive = head.keepAlive();
            if (head.eventStream()) {
                client.flush();
            }
        }

        @Override
        public void onBodyPart(ByteBuf content) {
            if (finished) {
                content.release();
                return;
            }
            if (exchange != null) {
                exchange.down += content.readableBytes();
            }
            writeBodyPart(client, content, responseChunked);
        }

        @Override
        public void onEnd(HttpFields trailers) {
            if (finished) {
                return;
            }
            if (responseChunked) {
                ByteBuf last = client.alloc().buffer(64);
                ChunkedWriter.writeLastChunk(trailers, last);
                client.write(last, client.voidPromise());
            }
            client.flush();
            awaitingResponse = false;
            exchange = null;
            flow.requestEnded(Termination.COMPLETED);
            if (!requestKeepAlive || !responseKeepAlive || (clientInputDone && clientPending == null && !inRequest)) {
                complete("the exchange ended the connection");
                return;
            }
            resumeRequests = true; // after the response feed returns: the framers are never fed from each other
        }

        @Override
        public void onRefusal(Refusal refusal) {
            if (awaitingResponse && !responseStarted) {
                answer(null, 0, DenialResponse.badGateway(refusal.code(), refusal.message()),
                        Termination.UPSTREAM_HTTP_MALFORMED, refusal.code() + ": " + refusal.message());
                return;
            }
            finished = true;
            flow.abort(Termination.UPSTREAM_HTTP_MALFORMED, refusal.code() + ": " + refusal.message());
        }
    }

    // ---- endings ----

    /** Both sides are done with each other: flush, then close with FIN (TLS close_notify first when terminated). */
    private void complete(String why) {
        finished = true;
        releasePending();
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> flow.end(Termination.COMPLETED, null));
    }

    /**
     * Answers the agent ourselves and closes: the upstream at once, the agent after the answer is flushed and a
     * lingering read (RFC 9112 §9.6: a server that closes while the client still sends may cause a reset that
     * destroys the response it has not read yet).
     */
    private void answer(RequestRecord decided, int headBytes, DenialResponse response, Termination t, String why) {
        boolean inputDone = clientInputDone;
        finished = true;
        releasePending();
        ByteBuf out = response.encode(client.alloc());
        if (decided != null) {
            // A refused request: the gateway's answer is its whole exchange.
            flow.recordRequest(decided.ended(0, headBytes, out.readableBytes(), Duration.ZERO, t));
        } else if (exchange != null) {
            // The forwarded request's response was refused (502): the answer ends its exchange.
            exchange.down += out.readableBytes();
            exchange = null;
            flow.requestEnded(t);
        }
        flow.closeAfterResponse(t, why);
        flow.countAnswer(out.readableBytes());
        client.writeAndFlush(out).addListener((ChannelFuture f) -> {
            if (!f.isSuccess() || inputDone) {
                client.close(); // nothing more can come from the agent: no need to linger
                return;
            }
            lingerAndClose(client, settings.linger(), n -> flow.countRead(Flow.Side.CLIENT, n));
        });
    }

    /**
     * Shuts our side of {@code ch} (close_notify, then FIN), discards what still comes (telling {@code discarded} how
     * many bytes), closes at EOF or timeout.
     */
    public static void lingerAndClose(Channel ch, Duration linger, IntConsumer discarded) {
        if (!ch.isActive()) {
            ch.close();
            return;
        }
        ch.eventLoop().schedule(() -> {
            ch.close();
        }, linger.toMillis(), TimeUnit.MILLISECONDS);
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        // First after TLS (if any), so it sees every byte and the end of stream before any stage does.
        if (tls != null) {
            ch.pipeline().addAfter(ch.pipeline().context(tls).name(), "discard", new Discard(discarded));
        } else {
            ch.pipeline().addFirst("discard", new Discard(discarded));
        }
        if (tls != null) {
            tls.closeOutbound().addListener(f -> shutdownOutput(ch));
        } else {
            shutdownOutput(ch);
        }
        ch.config().setAutoRead(true);
    }

    private static void shutdownOutput(Channel ch) {
        if (ch instanceof DuplexChannel d && ch.isActive()) {
            d.shutdownOutput();
        }
    }

    /** After the answer: drops the agent's input; its end of stream (or an error) closes the channel. */
    private static final class Discard extends ChannelInboundHandlerAdapter {
        private final IntConsumer discarded;

        Discard(IntConsumer discarded) {
            this.discarded = discarded;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                discarded.accept(b.readableBytes());
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent || evt instanceof SslCloseCompletionEvent) {
                ctx.close();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // swallowed: the stages behind must not ask for reads of their own
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private void releasePending() {
        if (clientPending != null) {
            clientPending.release();
            clientPending = null;
        }
        if (upstreamPending != null) {
            upstreamPending.release();
            upstreamPending = null;
        }
    }

    private static ByteBuf append(ByteBuf pending, ByteBuf buf) {
        if (pending == null) {
            return buf;
        }
        if (pending instanceof CompositeByteBuf c) {
            c.addComponent(true, buf);
            return c;
        }
        CompositeByteBuf c = pending.alloc().compositeDirectBuffer(16);
        c.addComponent(true, pending);
        c.addComponent(true, buf);
        return c;
    }

    // ---- the two channel handlers ----

    private final class ClientSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buf)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            clientBytes(buf);
            processClient();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            upstream.flush();
            readClientIfReady();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            readUpstreamIfReady();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent || evt instanceof SslCloseCompletionEvent) {
                clientInputDone = true;
                processClient();
            } else if (evt instanceof IdleStateEvent) {
                flow.end(Termination.IDLE_TIMEOUT, "no bytes in either direction for the idle timeout");
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            finished = true;
            releasePending();
            if (cause instanceof java.io.IOException || cause instanceof io.netty.handler.codec.DecoderException) {
                flow.abort(Termination.CLIENT_RESET, Flow.describe(cause)); // the agent's socket or its TLS failed
            } else {
                log.error("flow {}: unexpected error in the gate", flow.id(), cause);
                flow.abort(Termination.INTERNAL_ERROR, cause.toString());
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            releasePending();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finished = true;
            releasePending();
            ctx.fireChannelInactive();
        }
    }

    private final class UpstreamSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buf)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            upstreamBytes(buf);
            processUpstream();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            client.flush();
            readUpstreamIfReady();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            readClientIfReady();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent || evt instanceof SslCloseCompletionEvent) {
                upstreamInputDone = true;
                processUpstream();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            finished = true;
            releasePending();
            flow.abort(Termination.UPSTREAM_RESET, Flow.describe(cause));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!finished && !upstreamInputDone) {
                // Closed without a FIN we saw (a TLS upstream that closed after close_notify, or a reset).
                upstreamInputDone = true;
                processUpstream();
            }
            finished = true;
            releasePending();
            ctx.fireChannelInactive();
        }
    }
}
