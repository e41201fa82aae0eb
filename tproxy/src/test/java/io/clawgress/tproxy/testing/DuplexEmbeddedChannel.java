package io.clawgress.tproxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * An {@link EmbeddedChannel} that looks like a TCP socket to the relay: inet addresses, half-closable output,
 * SO_LINGER remembered (so a test can tell a reset from a FIN), read requests counted, and writability that a
 * test can switch off (as a full socket buffer would).
 */
public final class DuplexEmbeddedChannel extends EmbeddedChannel implements DuplexChannel {

    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private boolean inputShutdown;
    private boolean outputShutdown;
    private int readRequests;
    private Integer linger;
    private ChannelConfig config;

    /**
     * A registered (and so active) channel. {@code handlers} are added before the registration, as a server adds its
     * child handler to an accepted channel: a {@code ChannelInitializer} among them runs, then the pipeline sees
     * {@code channelRegistered} and {@code channelActive}.
     */
    public DuplexEmbeddedChannel(InetSocketAddress local, InetSocketAddress remote, ChannelHandler... handlers) {
        this(local, remote, true, handlers);
    }

    private DuplexEmbeddedChannel(InetSocketAddress local, InetSocketAddress remote, boolean register,
                                  ChannelHandler... handlers) {
        super(false, false, handlers);
        this.local = local;
        this.remote = remote;
        config().setAutoRead(false);
        pipeline().addFirst("read-counter", new ChannelOutboundHandlerAdapter() {
            @Override
            public void read(ChannelHandlerContext ctx) {
                readRequests++;
                ctx.read();
            }
        });
        if (register) {
            try {
                register();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static DuplexEmbeddedChannel of(String local, String remote, ChannelHandler... handlers) {
        return new DuplexEmbeddedChannel(parse(local), parse(remote), handlers);
    }

    /**
     * A channel not yet registered, for a {@code Bootstrap}'s channel factory: the bootstrap registers it on the
     * group it was given and connects it (the connect completes when that event loop runs its pending tasks).
     */
    public static DuplexEmbeddedChannel unregistered(String local, String remote) {
        return new DuplexEmbeddedChannel(parse(local), parse(remote), false);
    }

    /** {@code "198.18.1.2:40000"} or {@code "[2001:db8::1]:443"}; literals only, never a DNS lookup. */
    public static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    /** Delivers a FIN from the remote end: the event the transport fires under ALLOW_HALF_CLOSURE. */
    public void receiveFin() {
        inputShutdown = true;
        pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        runPendingTasks();
    }

    /** Makes the channel unwritable (or writable again), firing channelWritabilityChanged like a real socket. */
    public void setWritable(boolean writable) {
        unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
        runPendingTasks();
    }

    public int readRequests() {
        return readRequests;
    }

    public void resetReadRequests() {
        readRequests = 0;
    }

    /** SO_LINGER as last set through the channel config, or {@code null}. */
    public Integer linger() {
        return linger;
    }

    @Override
    public boolean isInputShutdown() {
        return inputShutdown;
    }

    @Override
    public ChannelFuture shutdownInput() {
        return shutdownInput(newPromise());
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        inputShutdown = true;
        return promise.setSuccess();
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdown;
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        outputShutdown = true;
        return promise.setSuccess();
    }

    @Override
    public boolean isShutdown() {
        return inputShutdown && outputShutdown;
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdown(newPromise());
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        inputShutdown = true;
        outputShutdown = true;
        return promise.setSuccess();
    }

    @Override
    public ChannelConfig config() {
        if (config == null) {
            config = new DefaultChannelConfig(this) {
                @Override
                public <T> boolean setOption(ChannelOption<T> option, T value) {
                    if (option == ChannelOption.SO_LINGER) {
                        linger = (Integer) value;
                        return true;
                    }
                    return super.setOption(option, value);
                }
            };
        }
        return config;
    }

    /** A direct buffer with these ASCII bytes (direct, so the paranoid leak detector tracks it). */
    public static ByteBuf ascii(String s) {
        return Unpooled.directBuffer(s.length()).writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** Everything written out so far, as ASCII; the buffers are released. */
    public String readOutboundAscii() {
        StringBuilder sb = new StringBuilder();
        for (ByteBuf b; (b = readOutbound()) != null; ) {
            try {
                sb.append(b.toString(StandardCharsets.US_ASCII));
            } finally {
                b.release();
            }
        }
        return sb.toString();
    }
}
