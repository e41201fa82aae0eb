package io.clawgress.tproxy.relay;

import io.clawgress.api.FlowRecord;
import io.clawgress.api.Termination;
import io.clawgress.tproxy.Transport;
import io.clawgress.tproxy.flow.Flow;
import io.clawgress.tproxy.transport.NettyTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The normal life cycle of a relayed connection over real loopback sockets (the agent sends and half-closes, the
 * upstream answers and half-closes, both close) creates no exception on the event loop beyond the two Netty creates
 * itself: each has its stack trace filled, a cost per connection. Counted with JFR's {@code jdk.JavaExceptionThrow}
 * (every Throwable constructed), on the event loop's thread only, after a first flow has linked what the path needs.
 */
class RelayCloseExceptionsTest {

    private static final String LOOP = "relay-close";
    private static final int FLOWS = 3;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"EPOLL", "IO_URING"})
    @Timeout(60)
    void aHalfCloseThenCloseLifeCycleCreatesOnlyNettysOwnExceptions(Transport requested) throws Exception {
        NettyTransport transport = NettyTransport.resolve(requested);
        assertThat(transport.transport()).as("transport %s loads", requested).isEqualTo(requested);
        EventLoopGroup group = transport.newEventLoopGroup(1, LOOP);
        BlockingQueue<FlowRecord> records = new LinkedBlockingQueue<>();
        BlockingQueue<Boolean> relaying = new LinkedBlockingQueue<>();
        try (ServerSocket upstreamServer = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
             Recording recording = new Recording()) {
            InetSocketAddress upstreamAddress = (InetSocketAddress) upstreamServer.getLocalSocketAddress();
            Channel gateway = new ServerBootstrap().group(group).channel(transport.serverChannelClass())
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel client) {
                            Flow flow = new Flow("f", client, records::add, () -> { });
                            ChannelFuture connect = RelayStage.configure(transport.newClientBootstrap(),
                                            Duration.ofSeconds(5))
                                    .group(client.eventLoop()).handler(new ChannelInboundHandlerAdapter())
                                    .connect(upstreamAddress);
                            flow.attachUpstream(connect.channel());
                            connect.addListener((ChannelFuture f) -> {
                                Channel upstream = f.channel();
                                flow.upstreamConnected();
                                client.pipeline().addLast(new RelayHandler(flow, Flow.Side.CLIENT, upstream));
                                upstream.pipeline().addLast(new RelayHandler(flow, Flow.Side.UPSTREAM, client));
                                client.read();
                                upstream.read();
                                relaying.add(f.isSuccess());
                            });
                        }
                    })
                    .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
            try {
                // The first flow links and loads what the life cycle needs (the JDK's own LinkageErrors included).
                oneFlow(gateway, upstreamServer, relaying, records);
                recording.enable("jdk.JavaExceptionThrow").withStackTrace();
                recording.start();
                for (int i = 0; i < FLOWS; i++) {
                    oneFlow(gateway, upstreamServer, relaying, records);
                }
                recording.stop();
            } finally {
                gateway.close().sync();
            }
            Path file = tmp.resolve("relay.jfr");
            recording.dump(file);
            List<RecordedEvent> created = RecordingFile.readAllEvents(file).stream()
                    .filter(RelayCloseExceptionsTest::onTheEventLoop)
                    .filter(e -> !stackless(e) && !leakRecord(e))
                    .toList();
            // Two remain inside Netty 4.2.12 and cannot be avoided from a handler: AbstractUnsafe.shutdownOutput()
            // creates a ChannelOutputShutdownException even when the shutdown succeeds (the half-close relayed),
            // and the transport's shutdownInput() calls shutdown(SHUT_RD) on the socket that sent its FIN first,
            // which the kernel already moved to TCP_CLOSE when the answering FIN came (ENOTCONN), so Errors.ioResult
            // creates a NotYetConnectedException that the transport then ignores.
            assertThat(created).as("throwables created on the event loop by %d flows over %s", FLOWS, requested)
                    .filteredOn(e -> !isNettysShutdownInput(e) && !isNettysShutdownOutput(e))
                    .extracting(RelayCloseExceptionsTest::describe)
                    .isEmpty();
            assertThat(created).as("one shutdownOutput() per flow: the first end of stream relayed, not the last")
                    .filteredOn(RelayCloseExceptionsTest::isNettysShutdownOutput).hasSize(FLOWS);
            assertThat(created).filteredOn(RelayCloseExceptionsTest::isNettysShutdownInput)
                    .hasSizeLessThanOrEqualTo(FLOWS);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** Agent: "request" then FIN; upstream: reads to EOF, "response" then FIN; both close. */
    private static void oneFlow(Channel gateway, ServerSocket upstreamServer, BlockingQueue<Boolean> relaying,
                                BlockingQueue<FlowRecord> records) throws Exception {
        CompletableFuture<String> upstreamSaw = CompletableFuture.supplyAsync(() -> {
            try (Socket s = upstreamServer.accept()) {
                s.setSoTimeout(5000);
                String got = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                s.getOutputStream().write("response".getBytes(StandardCharsets.US_ASCII));
                s.shutdownOutput();
                return got;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String agentSaw;
        try (Socket agent = new Socket()) {
            agent.setSoTimeout(5000);
            agent.connect(gateway.localAddress());
            // Sent only once the relay is in place: the early-input path is RelayStage's, not under test here.
            assertThat(relaying.poll(5, TimeUnit.SECONDS)).as("upstream connected").isTrue();
            agent.getOutputStream().write("request".getBytes(StandardCharsets.US_ASCII));
            agent.shutdownOutput();
            agentSaw = new String(agent.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
        assertThat(upstreamSaw.get(5, TimeUnit.SECONDS)).isEqualTo("request");
        assertThat(agentSaw).isEqualTo("response");
        FlowRecord r = records.poll(5, TimeUnit.SECONDS);
        assertThat(r).isNotNull();
        assertThat(r.termination()).isEqualTo(Termination.COMPLETED);
        assertThat(r.bytesUp()).isEqualTo(7);
        assertThat(r.bytesDown()).isEqualTo(8);
    }

    /** Netty's StacklessClosedChannelException and the like: constructed without filling a stack trace. */
    private static boolean stackless(RecordedEvent e) {
        return e.getClass("thrownClass").getName().startsWith("io.netty.channel.Stackless");
    }

    /** The leak detector's access records: the tests run with paranoid leak detection, production does not. */
    private static boolean leakRecord(RecordedEvent e) {
        return e.getClass("thrownClass").getName().startsWith("io.netty.util.ResourceLeakDetector");
    }

    private static boolean isNettysShutdownOutput(RecordedEvent e) {
        return e.getClass("thrownClass").getName().equals("io.netty.channel.socket.ChannelOutputShutdownException")
                && calledFrom(e, "shutdownOutput");
    }

    private static boolean isNettysShutdownInput(RecordedEvent e) {
        return e.getClass("thrownClass").getName().equals("java.nio.channels.NotYetConnectedException")
                && calledFrom(e, "shutdownInput");
    }

    private static boolean calledFrom(RecordedEvent e, String method) {
        return e.getStackTrace().getFrames().stream().anyMatch(f -> f.getMethod().getName().equals(method)
                && f.getMethod().getType().getName().startsWith("io.netty.channel."));
    }

    private static boolean onTheEventLoop(RecordedEvent e) {
        return e.getThread() != null && e.getThread().getJavaName() != null
                && e.getThread().getJavaName().startsWith(LOOP);
    }

    private static String describe(RecordedEvent e) {
        return e.getClass("thrownClass").getName() + " " + e.getString("message") + e.getStackTrace().getFrames()
                .stream().limit(30).map(RecordedFrame::getMethod)
                .map(m -> m.getType().getName() + "." + m.getName())
                .collect(Collectors.joining("\n    at ", "\n    at ", ""));
    }
}
