package io.clawgress.tproxy.transport;

import io.clawgress.tproxy.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transport selection on the Linux hosts the gateway runs on, where both native transports load (a host where one
 * does not is a test failure, not a skip: the end-to-end tests run on both).
 */
class NettyTransportTest {

    /** What a requested transport must resolve to. */
    record Row(Transport requested, Class<? extends ServerChannel> server, Class<? extends Channel> socket,
               ChannelOption<Boolean> transparent) {
        @Override
        public String toString() {
            return requested.code();
        }
    }

    static Stream<Row> rows() {
        return Stream.of(
                new Row(Transport.EPOLL, EpollServerSocketChannel.class, EpollSocketChannel.class,
                        EpollChannelOption.IP_TRANSPARENT),
                new Row(Transport.IO_URING, IoUringServerSocketChannel.class, IoUringSocketChannel.class,
                        IoUringChannelOption.IP_TRANSPARENT),
                new Row(Transport.NIO, NioServerSocketChannel.class, NioSocketChannel.class, null));
    }

    @Test
    void bothNativeTransportsLoadOnThisHost() {
        assertThat(Epoll.isAvailable()).as("epoll: %s", Epoll.unavailabilityCause()).isTrue();
        assertThat(IoUring.isAvailable()).as("io_uring: %s", IoUring.unavailabilityCause()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void theRequestedTransportIsUsedWhenItLoads(Row row) {
        NettyTransport t = NettyTransport.resolve(row.requested());

        assertThat(t.transport()).isEqualTo(row.requested());
        assertThat(t.fallbackNote()).isNull();
        assertThat(t.serverChannelClass()).isEqualTo(row.server());
        assertThat(t.socketChannelClass()).isEqualTo(row.socket());
        assertThat(t.supportsTransparent()).isEqualTo(row.transparent() != null);

        ServerBootstrap sb = new ServerBootstrap();
        t.configureTransparent(sb);
        if (row.transparent() == null) {
            assertThat(sb.config().options()).as("NIO cannot set IP_TRANSPARENT").isEmpty();
        } else {
            assertThat(sb.config().options()).containsExactly(Map.entry(row.transparent(), true));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    @Timeout(30)
    void itsEventLoopsAndChannelClassesFitTogether(Row row) throws InterruptedException {
        NettyTransport t = NettyTransport.resolve(row.requested());
        EventLoopGroup group = t.newEventLoopGroup(1, "test-" + row.requested().code());
        try {
            Channel server = new ServerBootstrap().group(group).channel(t.serverChannelClass())
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            Channel client = t.newClientBootstrap().group(group).handler(new ChannelInboundHandlerAdapter())
                    .connect(server.localAddress()).sync().channel();
            assertThat(server).isInstanceOf(row.server());
            assertThat(client).isInstanceOf(row.socket());
            assertThat(client.isActive()).isTrue();
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }
}
