package io.clawgress.tproxy.intercept;

import io.clawgress.api.FlowDecider;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.flow.Flow;
import io.clawgress.tproxy.gate.GateSettings;
import io.clawgress.tproxy.gate.HttpGate;
import io.clawgress.tproxy.identity.IdentityCheck;
import io.clawgress.tproxy.relay.Dialer;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLPeerUnverifiedException;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;

/**
 * Stage 6b, {@code intercept} (DESIGN.md §3): for a flow whose verdict is {@link Verdict.Intercept}:
 * <ol>
 *   <li>dial the upstream as a relay would (our own resolution of the name) and complete TLS with it, verifying
 *       its certificate for the SNI; on failure nothing is minted, the agent gets a TLS alert, and the flow ends
 *       {@code upstream_tls_invalid};</li>
 *   <li>get the leaf for the SNI (minted off the event loop; the agent is not read meanwhile);</li>
 *   <li>terminate the agent's TLS with it, replaying the ClientHello the peek stage kept, asking for a client
 *       certificate when agents' certificates are configured;</li>
 *   <li>check the client certificate (off the loop), then hand both decrypted channels to the {@link HttpGate},
 *       which decides every request.</li>
 * </ol>
 * One-shot: removes itself.
 */
public final class InterceptStage extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(InterceptStage.class);

    public static final String TLS = "tls";
    private static final String GUARD = "tls-guard";
    /** A fatal handshake_failure alert (RFC 8446 §6: level 2, description 40) in a TLS 1.2-versioned record. */
    private static final byte[] HANDSHAKE_FAILURE_ALERT = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
    static final Duration AGENT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    private final Flow flow;
    private final Dialer dialer;
    private final InterceptServices services;
    private final FlowDecider decider;
    private final GateSettings gate;
    private final Duration idleTimeout;

    /**
     * @param services interception's TLS sides, or {@code null} when the daemon has none (then an intercept
     *                 verdict fails closed: {@code intercept_unavailable})
     */
    public InterceptStage(Flow flow, Dialer dialer, InterceptServices services, FlowDecider decider,
                          GateSettings gate, Duration idleTimeout) {
        this.flow = flow;
        this.dialer = dialer;
        this.services = services;
        this.decider = decider;
        this.gate = gate;
        this.idleTimeout = idleTimeout;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
        if (!(flow.verdict() instanceof Verdict.Intercept intercept)) {
            throw new IllegalStateException("flow " + flow.id() + " reached the intercept stage with "
                    + flow.verdict());
        }
        if (services == null) {
            refuse(Termination.INTERCEPT_UNAVAILABLE, "rule " + intercept.ruleId() + " intercepts "
                    + intercept.host() + ", but this gateway has no intercept CA configured");
            return;
        }
        dialer.dial(flow, intercept.upstream(), intercept.host(), intercept.dial(), intercept.ruleId(),
                upstream -> upstreamConnected(upstream, intercept));
    }

    /** Runs on the flow's event loop: TLS toward the upstream first, verified for the SNI. */
    private void upstreamConnected(Channel upstream, Verdict.Intercept intercept) {
        SslHandler tls = services.upstreamTls().newHandler(upstream.alloc(), intercept.host(),
                intercept.upstream().getPort());
        upstream.pipeline().addLast(TLS, tls).addLast(GUARD, new HandshakeGuard());
        tls.handshakeFuture().addListener((Future<Channel> f) -> {
            if (!f.isSuccess()) {
                UpstreamTls.Failure failure = UpstreamTls.classify(f.cause());
                refuse(Termination.UPSTREAM_TLS_INVALID, intercept.host() + ": " + failure.description() + " ("
                        + Flow.describe(f.cause()) + "); no certificate minted");
                return;
            }
            mint(upstream, intercept);
        });
    }

    private void mint(Channel upstream, Verdict.Intercept intercept) {
        Channel client = flow.client();
        try {
            services.serverTls().contextFor(intercept.host(), services.offLoop()).whenComplete((context, error) ->
                    client.eventLoop().execute(() -> minted(upstream, intercept, context, error)));
        } catch (RejectedExecutionException e) {
            refuse(Termination.INTERCEPT_UNAVAILABLE, "minting refused: " + e.getMessage());
        }
    }

    /** On the loop: present the leaf to the agent, replaying its ClientHello. */
    private void minted(Channel upstream, Verdict.Intercept intercept, SslContext context, Throwable error) {
        Channel client = flow.client();
        if (flow.termination() != null) {
            return;
        }
        if (error != null) {
            Throwable cause = error.getCause() != null ? error.getCause() : error;
            refuse(Termination.INTERCEPT_UNAVAILABLE, "no certificate for " + intercept.host() + ": "
                    + Flow.describe(cause));
            return;
        }
        if (!client.isActive()) {
            flow.abort(Termination.CLIENT_RESET, "agent went away while its certificate was minted");
            return;
        }
        SslHandler tls = context.newHandler(client.alloc());
        tls.setHandshakeTimeoutMillis(AGENT_HANDSHAKE_TIMEOUT.toMillis());
        client.pipeline().addFirst(TLS, tls);
        tls.handshakeFuture().addListener((Future<Channel> f) -> agentHandshake(upstream, intercept, tls, f));
        // The ClientHello the peek stage kept (and anything after it) goes through the new TLS handler first.
        boolean eof = flow.earlyInput().isInputShutdown();
        flow.earlyInput().drainTo(buf -> client.pipeline().fireChannelRead(buf));
        client.pipeline().fireChannelReadComplete();
        if (eof) {
            flow.abort(Termination.CLIENT_RESET, "the agent closed its side during the TLS handshake");
        }
    }

    private void agentHandshake(Channel upstream, Verdict.Intercept intercept, SslHandler tls, Future<Channel> f) {
        if (flow.termination() != null) {
            return;
        }
        if (!f.isSuccess()) {
            flow.abort(Termination.CLIENT_TLS_FAILED, "agent TLS handshake for " + intercept.host() + " failed: "
                    + Flow.describe(f.cause()));
            return;
        }
        String alpn = tls.applicationProtocol();
        if (alpn != null && !ApplicationProtocolNames.HTTP_1_1.equals(alpn)) {
            flow.abort(Termination.CLIENT_TLS_FAILED, "agent negotiated ALPN " + alpn + " (expected: http/1.1)");
            return;
        }
        Certificate[] chain = null;
        try {
            chain = tls.engine().getSession().getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            // no client certificate: identity comes from a token or the subnet binding
        }
        if (chain == null || chain.length == 0 || !services.serverTls().requestsClientCertificates()) {
            startGate(upstream, intercept, null);
            return;
        }
        Certificate[] presented = chain;
        Channel client = flow.client();
        try {
            services.offLoop().execute(() -> {
                IdentityCheck check;
                try {
                    check = services.serverTls().clientCerts().identify(presented);
                } catch (RuntimeException e) {
                    log.error("flow {}: client certificate check failed on a bug", flow.id(), e);
                    check = new IdentityCheck.Refused("client_cert_untrusted", "the certificate could not be checked");
                }
                IdentityCheck result = check;
                client.eventLoop().execute(() -> startGate(upstream, intercept, result));
            });
        } catch (RejectedExecutionException e) {
            flow.abort(Termination.INTERNAL_ERROR, "client certificate check refused: " + e.getMessage());
        }
    }

    private void startGate(Channel upstream, Verdict.Intercept intercept, IdentityCheck clientCert) {
        if (flow.termination() != null || !flow.client().isActive() || !upstream.isActive()) {
            if (flow.termination() == null) {
                flow.abort(flow.client().isActive() ? Termination.UPSTREAM_RESET : Termination.CLIENT_RESET,
                        "a side closed during the TLS handshakes");
            }
            return;
        }
        if (clientCert instanceof IdentityCheck.Proven p) {
            flow.presented(p.identity());
        }
        upstream.pipeline().remove(GUARD);
        HttpGate.start(flow, upstream, decider, gate, intercept.host(), true, clientCert, idleTimeout);
    }

    /**
     * Ends the flow before the agent's handshake could complete: a fatal TLS alert (so the agent reports a TLS
     * failure, not a mystery reset), then FIN.
     */
    private void refuse(Termination t, String why) {
        Channel client = flow.client();
        if (flow.termination() != null) {
            return;
        }
        log.debug("flow {}: {}: {}", flow.id(), t.code(), why);
        flow.closeAfterResponse(t, why);
        if (!client.isActive()) {
            client.close();
            return;
        }
        flow.countAnswer(HANDSHAKE_FAILURE_ALERT.length);
        client.writeAndFlush(Unpooled.wrappedBuffer(HANDSHAKE_FAILURE_ALERT)).addListener(w ->
                HttpGate.lingerAndClose(client, gate.linger(), n -> flow.countRead(Flow.Side.CLIENT, n)));
    }

    /** Until the gate takes over: a failed upstream handshake is handled by its future, not as a stray error. */
    private static final class HandshakeGuard extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
