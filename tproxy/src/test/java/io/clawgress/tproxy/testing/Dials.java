package io.clawgress.tproxy.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The upstream side of the relay stage without sockets: a bootstrap whose channels are {@link DuplexEmbeddedChannel}s
 * registered on the agent channel's event loop, each with a TCP handshake that stays in progress until the test
 * completes or fails it.
 */
public final class Dials {

    /** Every upstream the gateway dialled (the local address is the gateway's, as it would pick it). */
    private final List<DuplexEmbeddedChannel> channels = new ArrayList<>();
    private final List<Connect> connects = new ArrayList<>();
    private final String gatewayAddress;
    private final String upstreamAddress;

    /**
     * @param gatewayAddress  local address of the dialled channels, e.g. {@code "198.18.2.1:50000"}
     * @param upstreamAddress remote address of the dialled channels, e.g. {@code "198.18.2.2:80"}
     */
    public Dials(String gatewayAddress, String upstreamAddress) {
        this.gatewayAddress = gatewayAddress;
        this.upstreamAddress = upstreamAddress;
    }

    /** A bootstrap as the relay stage gets it: channel factory set, group and handler left to the stage. */
    public Bootstrap bootstrap() {
        return new Bootstrap().disableResolver().channelFactory(() -> {
            DuplexEmbeddedChannel ch = DuplexEmbeddedChannel.unregistered(gatewayAddress, upstreamAddress);
            ch.pipeline().addFirst("handshake", new ChannelOutboundHandlerAdapter() {
                @Override
                public void connect(ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local,
                                    ChannelPromise promise) {
                    connects.add(new Connect(ctx, remote, local, promise));
                }
            });
            channels.add(ch);
            return ch;
        });
    }

    public List<DuplexEmbeddedChannel> channels() {
        return channels;
    }

    /** The only upstream dialled so far. */
    public DuplexEmbeddedChannel only() {
        if (channels.size() != 1) {
            throw new AssertionError("dialled " + channels.size() + " upstreams (expected: 1)");
        }
        return channels.getFirst();
    }

    /** Where the only dial so far is connecting to. */
    public SocketAddress onlyTarget() {
        return onlyConnect().remote;
    }

    /** The upstream answers: the handshake completes. */
    public void completeOnly() {
        Connect c = onlyConnect();
        c.ctx.connect(c.remote, c.local, c.promise);
    }

    /** The handshake fails as a transport fails it: the promise first, then the bootstrap closes the channel. */
    public void failOnly(Throwable cause) {
        onlyConnect().promise.tryFailure(cause);
    }

    private Connect onlyConnect() {
        if (connects.size() != 1) {
            throw new AssertionError(connects.size() + " connects in progress (expected: 1)");
        }
        return connects.getFirst();
    }

    private record Connect(ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local,
                           ChannelPromise promise) {
    }
}
