package io.clawgress.appliance.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The admin API: HTTP/1.1 + JSON on a unix socket (docs/admin-api.md), served by its own event loop thread and two
 * worker threads, never by the data plane's loops. The socket file is mode 0660 with the configured group; the
 * authorisation that counts is the caller's credentials from the kernel (SO_PEERCRED), checked per request.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    /** Idle keep-alive connections and slow senders are closed after this. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
    /** Largest request head (request line + headers). */
    static final int MAX_HEADER_BYTES = 16 * 1024;

    private final Path socket;
    private final EventLoopGroup loop;
    private final EventExecutorGroup workers;
    private final Channel server;

    private AdminServer(Path socket, EventLoopGroup loop, EventExecutorGroup workers, Channel server) {
        this.socket = socket;
        this.loop = loop;
        this.workers = workers;
        this.server = server;
    }

    /**
     * Binds the socket (replacing a stale socket file nobody listens on), sets its mode and group, and serves.
     *
     * @param readGid      the socket file's group: its members may read
     * @param adminGid     its members may also change things
     * @param maxBodyBytes the largest request body (a bundle push is the largest)
     * @throws IOException with an operator-readable reason
     */
    public static AdminServer start(Path socket, int readGid, int adminGid, int maxBodyBytes, AdminRoutes routes,
                                    AdminAudit audit) throws IOException {
        Objects.requireNonNull(routes, "routes");
        Objects.requireNonNull(audit, "audit");
        if (!Epoll.isAvailable()) {
            throw new IOException("admin socket " + socket + ": needs the epoll transport (Linux): "
                    + Epoll.unavailabilityCause());
        }
        prepare(socket);
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("clawgress-admin", true),
                EpollIoHandler.newFactory());
        EventExecutorGroup workers = new DefaultEventExecutorGroup(2,
                new DefaultThreadFactory("clawgress-admin-worker", true));
        AdminHandler handler = new AdminHandler(routes, audit, readGid, adminGid, Path.of("/proc"));
        try {
            Channel server = new ServerBootstrap().group(loop).channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            ch.pipeline().addLast("timeout", new ReadTimeoutHandler(READ_TIMEOUT.toSeconds(),
                                            TimeUnit.SECONDS))
                                    .addLast("http", new HttpServerCodec(4096, MAX_HEADER_BYTES, 8192))
                                    .addLast("keep-alive", new HttpServerKeepAliveHandler())
                                    .addLast("body", new HttpObjectAggregator(maxBodyBytes))
                                    .addLast(workers, "admin", handler);
                        }
                    }).bind(new DomainSocketAddress(socket.toString())).sync().channel();
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
            Files.setAttribute(socket, "unix:gid", readGid, LinkOption.NOFOLLOW_LINKS);
            log.info("admin API on {} (mode 0660, group {}; admin group {})", socket, readGid, adminGid);
            return new AdminServer(socket, loop, workers, server);
        } catch (Exception e) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            Files.deleteIfExists(socket);
            throw e instanceof IOException io ? io
                    : new IOException("admin socket " + socket + ": cannot listen: " + e.getMessage(), e);
        }
    }

    /**
     * Creates the socket's directory (0755) when missing; a leftover socket file is removed only when nothing
     * answers on it, so a second daemon cannot take the socket of a running one.
     */
    private static void prepare(Path socket) throws IOException {
        Path dir = socket.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    "rwxr-xr-x")));
        }
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!isSocket(socket)) {
            throw new IOException("admin socket " + socket + ": exists and is not a socket (remove it or set"
                    + " admin.socket)");
        }
        boolean served;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            served = ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            served = false;
            log.info("admin socket {}: removing a stale socket file ({})", socket, e.getMessage());
        }
        if (served) {
            throw new IOException("admin socket " + socket + ": another process is serving it (is clawgressd"
                    + " already running?)");
        }
        Files.delete(socket);
    }

    private static boolean isSocket(Path p) throws IOException {
        Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return mode instanceof Integer m && (m & 0170000) == 0140000;
    }

    /** A group name (through NSS) or a numeric gid, for the config's {@code admin.group} keys. */
    public static int resolveGroup(String group, String key) throws IOException {
        return Groups.resolve(group, key);
    }

    public Path socket() {
        return socket;
    }

    /** Stops listening, removes the socket file and ends the threads (calls in progress get up to a second). */
    @Override
    public void close() {
        server.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.warn("admin socket {}: cannot remove: {}", socket, e.toString());
        }
    }
}
