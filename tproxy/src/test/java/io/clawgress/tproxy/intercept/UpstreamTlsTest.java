package io.clawgress.tproxy.intercept;

import io.clawgress.testing.netns.TestPki;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.CertificateExpiredException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The gateway's own TLS handshake with an upstream, over loopback, against certificates made by openssl. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UpstreamTlsTest {

    /** Refused handshakes are what these tests want: close quietly instead of logging the exception. */
    private static final ChannelInboundHandlerAdapter QUIET = new Quiet();

    @io.netty.channel.ChannelHandler.Sharable
    private static final class Quiet extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ALWAYS)
    static Path dir;

    private EventLoopGroup group;
    private TestPki pki;
    private Channel server;

    @BeforeAll
    void serve() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        pki = TestPki.create(dir.resolve("pki"), "allowed.test");
        SslContext serverContext = SslContextBuilder.forServer(pki.leafCert().toFile(), pki.leafKey().toFile())
                .build();
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(serverContext.newHandler(ch.alloc()), QUIET);
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    @AfterAll
    void stop() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private Future<Channel> handshake(UpstreamTls tls, String host) throws InterruptedException {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(tls.newHandler(c.alloc(), host, port), QUIET);
                    }
                }).connect("127.0.0.1", port).sync().channel();
        Future<Channel> done = ch.pipeline().get(SslHandler.class).handshakeFuture();
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        ch.close();
        return done;
    }

    @Test
    void aCertificateFromTheConfiguredCaForTheRightNameVerifies() throws Exception {
        UpstreamTls tls = UpstreamTls.create(new UpstreamTls.Settings(pki.caCert(), Duration.ofSeconds(5)));
        assertThat(tls.provider()).as("BoringSSL loads on linux-x86_64").isEqualTo("boringssl");
        Future<Channel> f = handshake(tls, "allowed.test");
        assertThat(f.isSuccess()).as(String.valueOf(f.cause())).isTrue();
    }

    @Test
    void aCertificateForAnotherNameIsRefusedAsANameMismatch() throws Exception {
        UpstreamTls tls = UpstreamTls.create(new UpstreamTls.Settings(pki.caCert(), Duration.ofSeconds(5)));
        Future<Channel> f = handshake(tls, "other.test");
        assertThat(f.isSuccess()).isFalse();
        assertThat(UpstreamTls.classify(f.cause())).as(String.valueOf(f.cause()))
                .isEqualTo(UpstreamTls.Failure.NAME_MISMATCH);
    }

    @Test
    void aCertificateNoTrustedCaIssuedIsRefusedAsUntrusted() throws Exception {
        UpstreamTls tls = UpstreamTls.create(UpstreamTls.Settings.systemTrust());
        Future<Channel> f = handshake(tls, "allowed.test");
        assertThat(f.isSuccess()).isFalse();
        assertThat(UpstreamTls.classify(f.cause())).as(String.valueOf(f.cause()))
                .isEqualTo(UpstreamTls.Failure.UNTRUSTED);
    }

    @Test
    void expiryIsNamedThroughTheCauseChain() {
        assertThat(UpstreamTls.classify(new SSLException("handshake failed",
                new CertificateExpiredException("NotAfter: Thu Nov 20 12:00:00 UTC 2026"))))
                .isEqualTo(UpstreamTls.Failure.EXPIRED);
        assertThat(UpstreamTls.classify(new SSLException("something else"))).isEqualTo(UpstreamTls.Failure.HANDSHAKE);
    }

    @Test
    void anUnreadableCaFileIsRefusedAtStart() {
        assertThatThrownBy(() -> UpstreamTls.create(new UpstreamTls.Settings(dir.resolve("missing.pem"),
                Duration.ofSeconds(1)))).isInstanceOf(SSLException.class).hasMessageContaining("not readable");
    }
}
