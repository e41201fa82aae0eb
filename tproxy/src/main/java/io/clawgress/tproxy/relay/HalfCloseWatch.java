package io.clawgress.tproxy.relay;

import io.clawgress.api.Termination;
import io.clawgress.tproxy.flow.Flow;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.EpollTcpInfo;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Watches a half-closed epoll socket for a reset. Netty 4.2.12's epoll leaves a socket whose interest set is empty
 * registered, and the kernel reports EPOLLHUP/EPOLLERR for it regardless, so an agent that half-closes and then
 * resets while the other direction is quiet makes the event loop spin (netty issue #16683) until something
 * touches the socket. The releases that fix that break half-close instead (see the parent POM), so we bound it:
 * while one direction is shut, the socket's TCP state is read (TCP_INFO into a reused holder) every
 * {@value #PERIOD_MS} ms and a socket the kernel has moved to TCP_CLOSE ends the flow as a reset.
 * io_uring and NIO do not need this.
 */
final class HalfCloseWatch {

    static final long PERIOD_MS = 200;
    /** {@code TCP_CLOSE} in the kernel's tcp_states.h. */
    private static final int TCP_CLOSE = 7;

    private HalfCloseWatch() {
    }

    /** Starts watching {@code ch} (side {@code side} of {@code flow}) if it is an epoll socket. Event loop only. */
    static void start(Flow flow, Flow.Side side, Channel ch) {
        if (!(ch instanceof EpollSocketChannel epoll)) {
            return;
        }
        EpollTcpInfo info = new EpollTcpInfo(); // reused: each check is one getsockopt, no allocation
        ScheduledFuture<?> task = ch.eventLoop().scheduleAtFixedRate(() -> {
            if (ch.isOpen() && epoll.tcpInfo(info).state() == TCP_CLOSE) {
                flow.abort(side == Flow.Side.CLIENT ? Termination.CLIENT_RESET : Termination.UPSTREAM_RESET,
                        (side == Flow.Side.CLIENT ? "agent" : "upstream") + " reset the connection after half-closing");
            }
        }, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
        ch.closeFuture().addListener(f -> task.cancel(false));
    }
}
