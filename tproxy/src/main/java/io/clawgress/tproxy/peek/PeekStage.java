package io.clawgress.tproxy.peek;

import io.clawgress.api.DataPathObserver;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.flow.Flow;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Stage 3, {@code peek}: reads the agent's first bytes, bounded and timed, until they are a complete TLS ClientHello
 * (SNI, ALPN, ECH), a complete HTTP/1.x request head (method, Host, target), or clearly neither (opaque). The bytes
 * go on unchanged: they are handed to the flow's early input, which the relay sends upstream first. Server-first
 * ports are not peeked. Malformed input ends the flow with its own termination code. One-shot: removes itself.
 */
public final class PeekStage extends ChannelInboundHandlerAdapter {

    /** The pseudo-rule of verdicts the peek itself reaches. */
    public static final String PEEK_RULE = "peek";
    /** An opening longer than the longest HTTP method (plus SP) that still is all token characters: not HTTP. */
    private static final int MAX_UNDECIDED_BYTES = 24;
    private static final byte TLS_HANDSHAKE = 0x16;

    private final Flow flow;
    private final PeekSettings settings;
    private ByteBuf peeked;
    private ScheduledFuture<?> deadline;
    private boolean finished;
    private long startNanos;

    public PeekStage(Flow flow, PeekSettings settings) {
        this.flow = flow;
        this.settings = settings;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (settings.serverFirstPorts().contains(flow.facts().originalDestination().getPort())) {
            finish(ctx, PeekFacts.none()); // the server speaks first: waiting would only cost the timeout
            return;
        }
        startNanos = System.nanoTime();
        peeked = ctx.alloc().buffer(1024, settings.maxBytes() + 1);
        deadline = ctx.executor().schedule(() -> timedOut(ctx), settings.timeout().toMillis(),
                TimeUnit.MILLISECONDS);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (finished || !(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            // Never hold more than maxBytes + 1: one byte past the limit is enough to say "too large".
            int room = settings.maxBytes() + 1 - peeked.readableBytes();
            peeked.writeBytes(buf, buf.readerIndex(), Math.min(room, buf.readableBytes()));
            if (buf.readableBytes() > room) {
                fail(new PeekResult.Malformed(tooLargeCode(),
                        "more than " + settings.maxBytes() + " bytes without a complete ClientHello or request head"));
                return;
            }
        } finally {
            buf.release();
        }
        examine(ctx, false);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!finished) {
            ctx.read();
        } else {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!finished && evt instanceof ChannelInputShutdownEvent) {
            flow.earlyInput().markInputShutdown();
            examine(ctx, true);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
        if (peeked != null) {
            peeked.release(); // only reached when the flow ended during the peek: finish() hands it on
            peeked = null;
        }
    }

    private void examine(ChannelHandlerContext ctx, boolean endOfStream) {
        PeekResult r = classify(peeked, settings.maxBytes());
        if (r instanceof PeekResult.NeedMore && endOfStream) {
            r = truncated(peeked);
        }
        switch (r) {
            case PeekResult.NeedMore more -> { }
            case PeekResult.Tls tls -> finish(ctx, PeekFacts.tls(tls.sni(), tls.alpn(), tls.echOffered()));
            case PeekResult.Http http -> finish(ctx, PeekFacts.http(http.host(), http.method(), http.target()));
            case PeekResult.Opaque opaque -> finish(ctx, PeekFacts.opaque());
            case PeekResult.Malformed bad -> fail(bad);
        }
    }

    /** What the bytes so far are. Runs on every read: each parser is cheap while its input is incomplete. */
    static PeekResult classify(ByteBuf in, int maxBytes) {
        if (!in.isReadable()) {
            return PeekResult.NeedMore.INSTANCE;
        }
        if (in.getByte(in.readerIndex()) == TLS_HANDSHAKE) {
            return ClientHelloParser.parse(in, maxBytes); // RFC 8446 §5.1: ContentType handshake(22)
        }
        Boolean http = HttpHeadParser.looksLikeHttp(in);
        if (http == null) {
            return in.readableBytes() > MAX_UNDECIDED_BYTES ? PeekResult.Opaque.INSTANCE : PeekResult.NeedMore.INSTANCE;
        }
        if (!http) {
            return PeekResult.Opaque.INSTANCE;
        }
        PeekResult r = HttpHeadParser.parse(in, maxBytes);
        if (r instanceof PeekResult.Malformed && !firstLineNamesHttp(in)) {
            // "get key" (memcached) or "SET k v" (Redis inline) look like a method and a space but are not HTTP:
            // opaque, decided on the address. Claiming no name grants nothing a name rule would.
            return PeekResult.Opaque.INSTANCE;
        }
        return r;
    }

    /** Whether the first line, as far as it has arrived, carries an HTTP version (RFC 9112 §3: "... HTTP/x.y"). */
    private static boolean firstLineNamesHttp(ByteBuf in) {
        int end = in.forEachByte(in.readerIndex(), in.readableBytes(), b -> b != '\n');
        int limit = end < 0 ? in.writerIndex() : end;
        String line = in.toString(in.readerIndex(), limit - in.readerIndex(),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        return line.contains(" HTTP/") || end < 0;
    }

    /** The agent half-closed before the bytes were complete. */
    private static PeekResult truncated(ByteBuf in) {
        if (!in.isReadable()) {
            return PeekResult.Opaque.INSTANCE; // it sent nothing: nothing claimed, the address decides
        }
        if (in.getByte(in.readerIndex()) == TLS_HANDSHAKE) {
            return new PeekResult.Malformed(Termination.CLIENT_HELLO_MALFORMED,
                    "end of stream inside the ClientHello after " + in.readableBytes() + " bytes");
        }
        Boolean http = HttpHeadParser.looksLikeHttp(in);
        if (Boolean.TRUE.equals(http)) {
            return new PeekResult.Malformed(Termination.HTTP_MALFORMED,
                    "end of stream inside the request head after " + in.readableBytes() + " bytes (RFC 9112 §2.2)");
        }
        return PeekResult.Opaque.INSTANCE;
    }

    private Termination tooLargeCode() {
        return peeked.isReadable() && peeked.getByte(peeked.readerIndex()) == TLS_HANDSHAKE
                ? Termination.CLIENT_HELLO_TOO_LARGE : Termination.HTTP_HEAD_TOO_LARGE;
    }

    private void finish(ChannelHandlerContext ctx, PeekFacts facts) {
        finished = true;
        if (deadline != null) { // peeked, not a server-first port
            observe(switch (facts.kind()) {
                case TLS -> DataPathObserver.PeekOutcome.TLS;
                case HTTP -> DataPathObserver.PeekOutcome.HTTP;
                case OPAQUE, NONE -> DataPathObserver.PeekOutcome.OPAQUE;
            });
        }
        flow.peeked(facts);
        if (peeked != null) {
            ByteBuf bytes = peeked;
            peeked = null;
            if (bytes.isReadable()) {
                flow.earlyInput().keep(bytes); // ownership moves to the flow: the relay sends them upstream first
            } else {
                bytes.release();
            }
        }
        ctx.pipeline().remove(this);
        ctx.fireChannelActive();
    }

    private void fail(PeekResult.Malformed bad) {
        finished = true;
        observe(DataPathObserver.PeekOutcome.MALFORMED);
        flow.deny(new Verdict.Deny(bad.termination(), PEEK_RULE, bad.reason()));
    }

    private void observe(DataPathObserver.PeekOutcome outcome) {
        flow.observer().peekFinished(outcome, System.nanoTime() - startNanos);
    }

    private void timedOut(ChannelHandlerContext ctx) {
        if (finished) {
            return;
        }
        finished = true;
        observe(DataPathObserver.PeekOutcome.TIMEOUT);
        int n = peeked == null ? 0 : peeked.readableBytes();
        flow.deny(new Verdict.Deny(Termination.PEEK_TIMEOUT, PEEK_RULE, "no complete ClientHello or request head"
                + " within " + settings.timeout().toMillis() + " ms (" + n + " bytes received)"));
    }
}
