package io.clawgress.tproxy.transport;

import io.clawgress.tproxy.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * A transport that actually loaded: event loop groups, channel classes and the IP_TRANSPARENT option for it.
 * {@link #resolve} falls back from the requested transport to the other native one, and only then to NIO, logging
 * why at each step.
 */
public final class NettyTransport {

    private static final Logger log = LoggerFactory.getLogger(NettyTransport.class);

    private final Transport transport;
    private final String fallbackNote;

    private NettyTransport(Transport transport, String fallbackNote) {
        this.transport = transport;
        this.fallbackNote = fallbackNote;
    }

    /** Picks {@code requested} if it loads, else the other native transport, else NIO. Never throws. */
    public static NettyTransport resolve(Transport requested) {
        List<String> notes = new ArrayList<>();
        List<Transport> order = switch (requested) {
            case EPOLL -> List.of(Transport.EPOLL, Transport.IO_URING);
            case IO_URING -> List.of(Transport.IO_URING, Transport.EPOLL);
            case NIO -> List.of();
        };
        for (Transport t : order) {
            Throwable cause = unavailabilityCause(t);
            if (cause == null) {
                String note = notes.isEmpty() ? null : String.join("; ", notes);
                if (note != null) {
                    log.warn("transport {} requested but unavailable ({}); using {}", requested.code(), note, t.code());
                }
                return new NettyTransport(t, note);
            }
            notes.add(t.code() + ": " + cause);
        }
        if (requested == Transport.NIO) {
            log.warn("transport nio: IP_TRANSPARENT cannot be set, so TPROXY connections will not be accepted "
                    + "(development only)");
        } else {
            log.error("no native transport loads ({}); falling back to nio, which cannot accept TPROXY connections",
                    String.join("; ", notes));
        }
        return new NettyTransport(Transport.NIO, notes.isEmpty() ? null : String.join("; ", notes));
    }

    private static Throwable unavailabilityCause(Transport t) {
        try {
            return switch (t) {
                case EPOLL -> Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
                case IO_URING -> IoUring.isAvailable() ? null : IoUring.unavailabilityCause();
                case NIO -> null;
            };
        } catch (LinkageError e) {
            return e;
        }
    }

    /** The transport in use. */
    public Transport transport() {
        return transport;
    }

    /** Why the requested transport was not used, or {@code null}. */
    public String fallbackNote() {
        return fallbackNote;
    }

    /** Whether listeners can set IP_TRANSPARENT (and so receive TPROXY connections). */
    public boolean supportsTransparent() {
        return transport != Transport.NIO;
    }

    public EventLoopGroup newEventLoopGroup(int threads, String name) {
        IoHandlerFactory factory = switch (transport) {
            case EPOLL -> EpollIoHandler.newFactory();
            case IO_URING -> IoUringIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
    }

    public Class<? extends ServerChannel> serverChannelClass() {
        return switch (transport) {
            case EPOLL -> EpollServerSocketChannel.class;
            case IO_URING -> IoUringServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    public Class<? extends Channel> socketChannelClass() {
        return switch (transport) {
            case EPOLL -> EpollSocketChannel.class;
            case IO_URING -> IoUringSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }

    /** The UDP channel class of this transport (for the DNS resolver). */
    public Class<? extends DatagramChannel> datagramChannelClass() {
        return switch (transport) {
            case EPOLL -> EpollDatagramChannel.class;
            case IO_URING -> IoUringDatagramChannel.class;
            case NIO -> NioDatagramChannel.class;
        };
    }

    /** Sets IP_TRANSPARENT on the listening socket where the transport can. */
    public void configureTransparent(ServerBootstrap bootstrap) {
        switch (transport) {
            case EPOLL -> bootstrap.option(EpollChannelOption.IP_TRANSPARENT, true);
            case IO_URING -> bootstrap.option(IoUringChannelOption.IP_TRANSPARENT, true);
            case NIO -> { }
        }
    }

    /** A client bootstrap for upstream connections of this transport (group set by the caller). */
    public Bootstrap newClientBootstrap() {
        return new Bootstrap().channel(socketChannelClass());
    }
}
