package io.clawgress.tproxy;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Decision;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.testing.netns.Await;
import io.clawgress.tproxy.dns.DnsSettings;
import io.clawgress.tproxy.dns.NameResolution;
import io.clawgress.tproxy.flow.ConnectionGate;
import io.clawgress.tproxy.flow.FlowIds;
import io.clawgress.tproxy.flow.OpenFlow;
import io.clawgress.tproxy.gate.CryptoPool;
import io.clawgress.tproxy.gate.GateSettings;
import io.clawgress.tproxy.origdst.LoopGuard;
import io.clawgress.tproxy.peek.PeekSettings;
import io.clawgress.tproxy.relay.RelayStage;
import io.clawgress.tproxy.transport.NettyTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link OpenFlows} (what {@link TransparentProxy#openFlows} and {@link TransparentProxy#kill} do) over real loopback
 * connections through the whole {@link FlowPipeline} on NIO, with two flow loops: the listing is gathered on each
 * flow's loop, a kill resets the agent's socket and the record says {@code admin_killed} with the detail. Loopback
 * has no TPROXY, so the original destination is the listener's own address: the loop guard is given another port.
 */
class OpenFlowsTest {

    private static final Duration T = Duration.ofSeconds(10);
    private static final Identity AGENT_7 =
            new Identity("agent-7", "team-a", null, "prod", null, AuthMethod.SUBNET, true);
    /** Neither a TLS record nor an HTTP method: opaque at once. */
    private static final byte[] PING = {0, 'p', 'i', 'n', 'g'};

    private final NettyTransport transport = NettyTransport.resolve(Transport.NIO);
    private final List<FlowRecord> records = new CopyOnWriteArrayList<>();
    private final ChannelGroup live = new DefaultChannelGroup("flows", GlobalEventExecutor.INSTANCE);
    private final List<Socket> agents = new ArrayList<>();
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private EventLoopGroup echoLoop;
    private NameResolution names;
    private Channel listener;
    private Channel echo;

    @BeforeEach
    void start() {
        boss = transport.newEventLoopGroup(1, "test-accept");
        workers = transport.newEventLoopGroup(2, "test-flow");
        echoLoop = transport.newEventLoopGroup(1, "test-echo");
        echo = new ServerBootstrap().group(echoLoop).channel(transport.serverChannelClass())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ctx.writeAndFlush(msg); // ownership moves to the write
                            }
                        });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        InetSocketAddress upstream = (InetSocketAddress) echo.localAddress();
        Decision relay = new Decision(Optional.of(AGENT_7), new Verdict.Relay(upstream, "allow.echo",
                "the echo server is allowed"), "rev-3");
        names = new NameResolution(DnsSettings.defaults(), transport.datagramChannelClass());
        FlowPipeline pipeline = new FlowPipeline(new FlowIds(), new ConnectionGate(100),
                new LoopGuard(new InetSocketAddress("127.0.0.1", 1)), facts -> relay, records::add,
                RelayStage.configure(transport.newClientBootstrap(), Duration.ofSeconds(2)), Duration.ofMinutes(1),
                live, new PeekSettings(PeekSettings.DEFAULT_MAX_BYTES, Duration.ofSeconds(30), Set.of()), names,
                GateSettings.defaults(CryptoPool.shared()), null);
        listener = new ServerBootstrap().group(boss, workers).channel(transport.serverChannelClass())
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(pipeline)
                .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : agents) {
            s.close();
        }
        listener.close().syncUninterruptibly();
        echo.close().syncUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        echoLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        names.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        agents.add(s);
        s.connect(listener.localAddress(), 5000);
        s.setSoTimeout(5000);
        return s;
    }

    /** An agent whose connection is relayed to the echo server, proven by one echoed ping. */
    private Socket relayed() throws IOException {
        Socket s = connect();
        s.getOutputStream().write(PING);
        assertThat(s.getInputStream().readNBytes(PING.length)).isEqualTo(PING);
        return s;
    }

    private List<OpenFlow> list() {
        return OpenFlows.list(live).orTimeout(5, TimeUnit.SECONDS).join();
    }

    private List<OpenFlow> awaitFlows(int n) {
        return Await.until(T, n + " open flows", () -> {
            List<OpenFlow> flows = list();
            return flows.size() == n ? Optional.of(flows) : Optional.empty();
        }, () -> list().toString());
    }

    @Test
    void noConnectionsNoFlows() {
        assertThat(list()).isEmpty();
    }

    @Test
    void theListingShowsEachFlowAsItStandsNewestFirst() throws IOException {
        Instant before = Instant.now();
        Socket relayedAgent = relayed();
        Socket quietAgent = connect(); // sends nothing: still peeking
        List<OpenFlow> flows = awaitFlows(2);

        OpenFlow quiet = flows.get(0);
        OpenFlow busy = flows.get(1);
        assertThat(busy.start()).isBeforeOrEqualTo(quiet.start()).isAfterOrEqualTo(before.minusMillis(1));
        assertThat(quiet.state()).isEqualTo(OpenFlow.State.PEEKING);
        assertThat(quiet.state().code()).isEqualTo("peeking");
        assertThat(quiet.verdict()).isNull();
        assertThat(quiet.rule()).isNull();
        assertThat(quiet.identity()).isEmpty();
        assertThat(quiet.agentId()).isNull();
        assertThat(quiet.policyRevision()).isEqualTo("none");
        assertThat(quiet.peek()).isEqualTo(PeekFacts.none());
        assertThat(quiet.source()).isEqualTo(quietAgent.getLocalSocketAddress());
        assertThat(quiet.bytesUp()).isZero();

        assertThat(busy.state()).isEqualTo(OpenFlow.State.RELAYING);
        assertThat(busy.verdict()).isEqualTo("relay");
        assertThat(busy.rule()).isEqualTo("allow.echo");
        assertThat(busy.policyRevision()).isEqualTo("rev-3");
        assertThat(busy.agentId()).isEqualTo("agent-7");
        assertThat(busy.peek().kind()).isEqualTo(PeekFacts.Kind.OPAQUE);
        assertThat(busy.source()).isEqualTo(relayedAgent.getLocalSocketAddress());
        assertThat(busy.originalDestination()).isEqualTo(listener.localAddress());
        assertThat(busy.dialled()).isEqualTo(echo.localAddress());
        assertThat(busy.bytesUp()).isEqualTo(PING.length);
        assertThat(busy.bytesDown()).isEqualTo(PING.length);
        assertThat(records).as("nothing ended").isEmpty();
    }

    @Test
    void flowsOnEveryEventLoopAreListed() throws IOException {
        for (int i = 0; i < 8; i++) {
            relayed();
        }
        List<OpenFlow> flows = awaitFlows(8);
        assertThat(flows).extracting(OpenFlow::flowId).doesNotHaveDuplicates();
        assertThat(flows).isSortedAccordingTo(OpenFlows.NEWEST_FIRST);
        assertThat(live.stream().map(Channel::eventLoop).distinct().count()).as("both flow loops carry flows")
                .isEqualTo(2);
    }

    @Test
    void aKillResetsTheAgentAndTheRecordSaysAdminKilledWithTheDetail() throws IOException {
        Socket victim = relayed();
        Socket bystander = relayed();
        OpenFlow target = awaitFlows(2).stream().filter(f -> f.source().equals(victim.getLocalSocketAddress()))
                .findFirst().orElseThrow();

        Optional<OpenFlow> killed = OpenFlows.kill(live, target.flowId(), "killed by uid 0: runaway agent")
                .orTimeout(5, TimeUnit.SECONDS).join();

        assertThat(killed).get().satisfies(f -> {
            assertThat(f.flowId()).isEqualTo(target.flowId());
            assertThat(f.state()).as("as it was just before").isEqualTo(OpenFlow.State.RELAYING);
        });
        InputStream in = victim.getInputStream();
        assertThatThrownBy(() -> {
            if (in.read() == -1) {
                throw new SocketException("end of stream");
            }
        }).as("the agent's connection is reset").isInstanceOf(SocketException.class);
        FlowRecord r = Await.until(T, "the killed flow's record",
                () -> records.stream().filter(x -> x.flowId().equals(target.flowId())).findFirst(),
                records::toString);
        assertThat(r.termination()).isEqualTo(Termination.ADMIN_KILLED);
        assertThat(r.termination().code()).isEqualTo("admin_killed");
        assertThat(r.detail()).isEqualTo("killed by uid 0: runaway agent");
        assertThat(r.verdict()).isEqualTo("relay");
        assertThat(r.ruleId()).isEqualTo("allow.echo");
        assertThat(r.bytesUp()).isEqualTo(PING.length);

        assertThat(awaitFlows(1)).singleElement().satisfies(f ->
                assertThat(f.source()).isEqualTo(bystander.getLocalSocketAddress()));
        bystander.getOutputStream().write("still here".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(bystander.getInputStream().readNBytes(10), StandardCharsets.US_ASCII))
                .as("the other flow goes on").isEqualTo("still here");
    }

    @Test
    void aFlowStillPeekingCanBeKilledToo() throws IOException {
        connect();
        OpenFlow quiet = awaitFlows(1).getFirst();
        assertThat(OpenFlows.kill(live, quiet.flowId(), "admin").join()).get()
                .extracting(OpenFlow::state).isEqualTo(OpenFlow.State.PEEKING);
        FlowRecord r = Await.until(T, "the record", () -> records.stream().findFirst(), records::toString);
        assertThat(r.termination()).isEqualTo(Termination.ADMIN_KILLED);
        assertThat(r.verdict()).as("killed before a decision").isEqualTo("deny");
        assertThat(awaitFlows(0)).isEmpty();
    }

    @Test
    void anUnknownOrFinishedFlowIsNotFound() throws IOException {
        assertThat(OpenFlows.kill(live, "00000000-0000000000000001", "x").join()).isEmpty();
        Socket agent = relayed();
        OpenFlow flow = awaitFlows(1).getFirst();
        agent.close();
        awaitFlows(0);
        assertThat(OpenFlows.kill(live, flow.flowId(), "too late").join()).isEmpty();
        FlowRecord r = Await.until(T, "the record", () -> records.stream().findFirst(), records::toString);
        assertThat(r.termination()).as("its own ending stands").isNotEqualTo(Termination.ADMIN_KILLED);
    }
}
