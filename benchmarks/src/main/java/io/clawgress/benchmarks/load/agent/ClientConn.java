package io.clawgress.benchmarks.load.agent;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

/**
 * One client connection of the load agent: waits for its TLS handshake, then sends requests one at a time (HTTP/1.1
 * without pipelining), each with the time it was meant to be sent. A request due while the previous one is still
 * outstanding waits in this connection's queue, and its latency still counts from its intended time. Lives on its
 * channel's event loop; no locks.
 */
final class ClientConn extends ChannelInboundHandlerAdapter implements ResponseParser.Listener {

    /** What the run wants to hear; called on the connection's event loop. */
    interface Events {
        /** Connected, and the TLS handshake (if any) completed. */
        void onReady(ClientConn conn);

        /** A response to the request intended at {@code intendedNanos} arrived completely. */
        void onResponse(ClientConn conn, long intendedNanos, int status, long bodyBytes);

        /**
         * The connection failed or closed; {@code pending} requests (intended times in {@code conn}) got no
         * response. {@code cause} is a short error kind, or null for a clean close.
         */
        void onClosed(ClientConn conn, String cause);
    }

    private final Events events;
    private final ByteBuf request;
    private final boolean tls;
    private final ResponseParser parser = new ResponseParser(this);
    private long[] queue = new long[4];
    private int head;
    private int size;
    private boolean busy;
    private boolean ready;
    private boolean closed;
    private String failure;
    private Channel channel;
    /** Free for the run's use (e.g. the intended time of a new-connection request). */
    long tag;
    int index;

    /**
     * @param request the request bytes, shared: each send writes a retained duplicate; the owner releases it
     */
    ClientConn(Events events, ByteBuf request, boolean tls) {
        this.events = events;
        this.request = request;
        this.tls = tls;
    }

    Channel channel() {
        return channel;
    }

    boolean ready() {
        return ready && !closed;
    }

    /** Requests waiting or outstanding. */
    int pending() {
        return size;
    }

    /** The intended send time of the {@code i}-th pending request. */
    long pendingAt(int i) {
        return queue[(head + i) & (queue.length - 1)];
    }

    /** Queues a request meant to be sent at {@code intendedNanos}; sends it now if the connection is idle. */
    void send(long intendedNanos) {
        if (size == queue.length) {
            long[] bigger = new long[queue.length * 2];
            for (int i = 0; i < size; i++) {
                bigger[i] = queue[(head + i) & (queue.length - 1)];
            }
            queue = bigger;
            head = 0;
        }
        queue[(head + size) & (queue.length - 1)] = intendedNanos;
        size++;
        if (!busy && ready && !closed) {
            writeRequest();
        }
    }

    void close() {
        if (channel != null) {
            channel.close();
        }
    }

    private void writeRequest() {
        busy = true;
        channel.writeAndFlush(request.retainedDuplicate(), channel.voidPromise());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        if (!tls) {
            becomeReady();
        }
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent e) {
            if (e.isSuccess()) {
                becomeReady();
            } else {
                fail("tls_handshake_failed");
                ctx.close();
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void becomeReady() {
        ready = true;
        events.onReady(this);
        if (size > 0 && !busy && !closed) {
            writeRequest();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            parser.feed(in);
        } catch (ResponseParser.MalformedResponse e) {
            fail("malformed_response");
            ctx.close();
        } finally {
            in.release();
        }
    }

    @Override
    public void onResponse(int status, long bodyBytes, boolean close) {
        if (size == 0) {
            fail("unexpected_response");
            channel.close();
            return;
        }
        long intended = queue[head];
        head = (head + 1) & (queue.length - 1);
        size--;
        busy = false;
        events.onResponse(this, intended, status, bodyBytes);
        if (close) {
            channel.close();
        } else if (size > 0 && !closed) {
            writeRequest();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        parser.onClose();
        closed = true;
        String cause = failure;
        if (cause == null && (size > 0 || !ready)) {
            cause = ready ? "closed_with_request_pending" : "closed_before_ready";
        }
        events.onClosed(this, cause);
        ctx.fireChannelInactive();
    }

    /** The connect itself failed: the channel never became active, so no {@code channelInactive} follows. */
    void connectFailed(Throwable cause) {
        if (closed) {
            return;
        }
        closed = true;
        fail(kind(cause));
        events.onClosed(this, failure);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(kind(cause));
        ctx.close();
    }

    private void fail(String kind) {
        if (failure == null) {
            failure = kind;
        }
    }

    /** A short, stable name for a connection error, for the run's error counts. */
    static String kind(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c && !(c instanceof java.io.IOException)) {
            c = c.getCause();
        }
        String m = String.valueOf(c.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (m.contains("reset")) {
            return "connection_reset";
        }
        if (m.contains("refused")) {
            return "connection_refused";
        }
        if (m.contains("timed out") || c instanceof io.netty.channel.ConnectTimeoutException) {
            return "connect_timeout";
        }
        if (c instanceof javax.net.ssl.SSLException || t instanceof io.netty.handler.codec.DecoderException) {
            return "tls_error";
        }
        return c.getClass().getSimpleName();
    }
}
