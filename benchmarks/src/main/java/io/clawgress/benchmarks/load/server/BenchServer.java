package io.clawgress.benchmarks.load.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The upstream of the load benchmark, run in the upstream namespace: HTTPS (BoringSSL) on {@code --port} for the
 * names in its certificate, keep-alive HTTP/1.1, nothing logged per request (an origin that logs every request, like
 * the e2e peers, would be the bottleneck).
 *
 * <ul>
 *   <li>{@code GET /small}: 200, a 64-byte body: the typical small API answer the latency scenarios use.
 *   <li>{@code GET /bulk?bytes=N}: 200 with {@code Content-Length: N} and N bytes, written as fast as the connection
 *       takes them (writability backpressure), for the throughput scenario.
 * </ul>
 * {@code Connection: close} in a request closes the connection after the response. Prints
 * {@code {"event":"ready",...}} once listening.
 */
public final class BenchServer {

    private static final byte[] SMALL_BODY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n"
            .getBytes(StandardCharsets.US_ASCII);
    private static final int BULK_CHUNK = 256 * 1024;

    private BenchServer() {
    }

    public static void main(String[] args) throws Exception {
        String bind = "0.0.0.0";
        int port = 443;
        String cert = null;
        String key = null;
        int threads = 2;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--bind" -> bind = args[i + 1];
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--cert" -> cert = args[i + 1];
                case "--key" -> key = args[i + 1];
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected: --bind ADDR --port P --cert PEM --key PEM [--threads N])");
            }
        }
        if (cert == null || key == null) {
            throw new IllegalArgumentException("--cert and --key are required");
        }
        SslContext tls = SslContextBuilder.forServer(new File(cert), new File(key))
                .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2").build();
        ByteBuf small = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(("HTTP/1.1 200 OK\r\n"
                + "Content-Type: text/plain\r\nContent-Length: " + SMALL_BODY.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII)).writeBytes(SMALL_BODY));
        byte[] pattern = new byte[BULK_CHUNK];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) ('a' + i % 26);
        }
        ByteBuf bulk = Unpooled.unreleasableBuffer(Unpooled.directBuffer(BULK_CHUNK).writeBytes(pattern));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("server", true),
                EpollIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 8192)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                        ch.pipeline().addLast("http", new Handler(small, bulk));
                    }
                });
        Channel server = b.bind(bind, port).sync().channel();
        System.out.println("{\"event\":\"ready\",\"bind\":\"" + bind + "\",\"port\":" + port + ",\"tls\":\""
                + (OpenSsl.isAvailable() ? OpenSsl.versionString() : "jdk") + "\"}");
        System.out.flush();
        server.closeFuture().await();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** One connection: reads request heads (GET, no bodies), answers each in turn. */
    private static final class Handler extends ChannelInboundHandlerAdapter {
        private final ByteBuf small;
        private final ByteBuf bulk;
        private final StringBuilder head = new StringBuilder();
        private long bulkLeft;
        private boolean closeAfter;

        Handler(ByteBuf small, ByteBuf bulk) {
            this.small = small;
            this.bulk = bulk;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            try {
                while (in.isReadable()) {
                    head.append((char) in.readByte());
                    int n = head.length();
                    if (n >= 4 && head.charAt(n - 1) == '\n' && head.charAt(n - 2) == '\r'
                            && head.charAt(n - 3) == '\n' && head.charAt(n - 4) == '\r') {
                        String h = head.toString();
                        head.setLength(0);
                        respond(ctx, h);
                    } else if (n > 16 * 1024) {
                        ctx.close();
                        return;
                    }
                }
            } finally {
                in.release();
            }
        }

        private void respond(ChannelHandlerContext ctx, String h) {
            int sp = h.indexOf(' ');
            int sp2 = h.indexOf(' ', sp + 1);
            String target = sp > 0 && sp2 > sp ? h.substring(sp + 1, sp2) : "/";
            closeAfter = h.toLowerCase(java.util.Locale.ROOT).contains("\r\nconnection: close");
            if (target.startsWith("/bulk")) {
                long bytes = Long.parseLong(target.substring(target.indexOf("bytes=") + 6));
                ctx.write(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                        + "Content-Length: " + bytes + "\r\n\r\n", StandardCharsets.US_ASCII));
                bulkLeft = bytes;
                writeBulk(ctx);
                return;
            }
            if (closeAfter) {
                ctx.writeAndFlush(small.duplicate()).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.writeAndFlush(small.duplicate(), ctx.voidPromise());
            }
        }

        private void writeBulk(ChannelHandlerContext ctx) {
            while (bulkLeft > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(BULK_CHUNK, bulkLeft);
                bulkLeft -= n;
                ctx.write(bulk.duplicate().slice(0, n), ctx.voidPromise());
            }
            if (bulkLeft == 0) {
                if (closeAfter) {
                    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                } else {
                    ctx.flush();
                }
            } else {
                ctx.flush();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (bulkLeft > 0 && ctx.channel().isWritable()) {
                writeBulk(ctx);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
