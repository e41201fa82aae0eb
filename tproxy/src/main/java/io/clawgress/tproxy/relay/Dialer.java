package io.clawgress.tproxy.relay;

import io.clawgress.api.DialMode;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.tproxy.dns.NameResolution;
import io.clawgress.tproxy.flow.Flow;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Consumer;

/**
 * Opens the upstream connection of an allowed flow (relayed or intercepted): for an allowed name, resolves it on our
 * own resolvers and dials an address of the answer ({@code dial: resolved}) or the original address only if it is
 * one ({@code original_if_resolved}); for an address rule, dials the original destination. Dials on the client's
 * own event loop (no locks). Every failure ends the flow with its termination code; on success the connected
 * upstream channel (autoRead off, nothing in its pipeline) goes to the caller, on the flow's event loop.
 */
public final class Dialer {

    private final Bootstrap upstreamBootstrap;
    private final NameResolution names;

    /**
     * @param upstreamBootstrap a bootstrap with channel class and options set ({@link RelayStage#configure})
     * @param names             the gateway's resolvers, for relays to an allowed name
     */
    public Dialer(Bootstrap upstreamBootstrap, NameResolution names) {
        this.upstreamBootstrap = upstreamBootstrap;
        this.names = names;
    }

    /**
     * Dials for {@code flow}. Runs on the flow's event loop; {@code onConnected} does too.
     *
     * @param host   the allowed name, or {@code null} for an address rule (then {@code dial} is ORIGINAL)
     * @param ruleId the rule that allowed it, for the record of a binding failure
     */
    public void dial(Flow flow, InetSocketAddress original, String host, DialMode dial, String ruleId,
                     Consumer<Channel> onConnected) {
        if (host == null) {
            connect(flow, original, onConnected);
            return;
        }
        // A name counts only with an address we resolved for it (DESIGN.md §3 step 6a): never trust the agent's.
        names.resolveAll(host, flow.client().eventLoop()).addListener((Future<List<InetAddress>> f) ->
                resolved(flow, original, host, dial, ruleId, f, onConnected));
    }

    /** Runs on the flow's event loop. */
    private void resolved(Flow flow, InetSocketAddress original, String host, DialMode dial, String ruleId,
                          Future<List<InetAddress>> f, Consumer<Channel> onConnected) {
        flow.observer().dnsLookup(NameResolution.outcome(f));
        Channel client = flow.client();
        if (!client.isActive()) {
            flow.abort(Termination.CLIENT_RESET, "agent went away while " + host + " was resolved");
            return;
        }
        if (!f.isSuccess()) {
            flow.bindingDenied(new Verdict.Deny(Termination.NAME_RESOLUTION_FAILED, ruleId,
                    "cannot resolve " + host + ": " + Flow.describe(f.cause())));
            return;
        }
        List<InetAddress> answers = NameResolution.dialable(f.getNow());
        if (answers.isEmpty()) {
            flow.bindingDenied(new Verdict.Deny(Termination.NAME_RESOLUTION_FAILED, ruleId,
                    host + " resolves to no address the gateway may dial " + texts(f.getNow())
                            + " (loopback, link-local and multicast are refused)"));
            return;
        }
        boolean originalIsAnswer = answers.contains(original.getAddress());
        switch (dial) {
            case ORIGINAL_IF_RESOLVED -> {
                if (!originalIsAnswer) {
                    flow.bindingDenied(new Verdict.Deny(Termination.NAME_ADDRESS_MISMATCH, ruleId,
                            host + " resolves to " + texts(answers) + ", not to the original destination "
                                    + NetUtil.toAddressString(original.getAddress())));
                    return;
                }
                connect(flow, original, onConnected);
            }
            case RESOLVED -> {
                if (originalIsAnswer) {
                    connect(flow, original, onConnected);
                } else {
                    InetSocketAddress chosen = new InetSocketAddress(answers.get(0), original.getPort());
                    flow.dialling(chosen, "original destination " + NetUtil.toAddressString(original.getAddress())
                            + " is not an address of " + host + " " + texts(answers) + "; dialled "
                            + NetUtil.toSocketAddressString(chosen) + " instead");
                    connect(flow, chosen, onConnected);
                }
            }
            case ORIGINAL -> throw new IllegalStateException("a relay with host " + host + " dials original");
        }
    }

    private static String texts(List<InetAddress> addresses) {
        return addresses.stream().map(NetUtil::toAddressString).toList().toString();
    }

    /** Runs on the flow's event loop. */
    private void connect(Flow flow, InetSocketAddress address, Consumer<Channel> onConnected) {
        Channel client = flow.client();
        if (flow.dialled() == null) {
            flow.dialling(address, null);
        }
        ChannelFuture connect = upstreamBootstrap.clone()
                .group(client.eventLoop())
                .handler(new ChannelInboundHandlerAdapter())
                .connect(address);
        flow.attachUpstream(connect.channel());
        connect.addListener((ChannelFuture f) -> connected(flow, f, address, onConnected));
    }

    /** Runs on the flow's event loop. */
    private static void connected(Flow flow, ChannelFuture f, InetSocketAddress upstreamAddress,
                                  Consumer<Channel> onConnected) {
        Channel client = flow.client();
        if (!f.isSuccess()) {
            Throwable cause = f.cause();
            if (cause instanceof ConnectTimeoutException) {
                flow.abort(Termination.UPSTREAM_CONNECT_TIMEOUT,
                        "no answer from " + NetUtil.toSocketAddressString(upstreamAddress)
                                + " within the connect timeout");
            } else {
                flow.abort(Termination.UPSTREAM_CONNECT_FAILED,
                        cause == null ? "connect cancelled" : Flow.describe(cause));
            }
            return;
        }
        Channel upstream = f.channel();
        flow.upstreamConnected();
        if (!client.isActive()) {
            flow.abort(Termination.CLIENT_RESET, "agent went away while the upstream was dialled");
            return;
        }
        onConnected.accept(upstream);
    }
}
