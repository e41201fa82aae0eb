package io.clawgress.tproxy.relay;

import io.clawgress.api.FlowRecord;
import io.clawgress.api.Termination;
import io.clawgress.tproxy.flow.Flow;
import io.clawgress.tproxy.testing.DuplexEmbeddedChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.timeout.IdleStateEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.clawgress.tproxy.testing.DuplexEmbeddedChannel.ascii;
import static org.assertj.core.api.Assertions.assertThat;

/** The relay between an agent channel and an upstream channel, byte by byte, without sockets. */
class RelayHandlerTest {

    private final List<FlowRecord> records = new ArrayList<>();
    private int released;
    private DuplexEmbeddedChannel client;
    private DuplexEmbeddedChannel upstream;
    private Flow flow;

    @BeforeEach
    void joinChannels() {
        // Agent 198.18.1.2 connected to 198.18.2.2:80; the gateway dialled it from 198.18.2.1.
        client = DuplexEmbeddedChannel.of("198.18.2.2:80", "198.18.1.2:40000");
        upstream = DuplexEmbeddedChannel.of("198.18.2.1:50000", "198.18.2.2:80");
        flow = new Flow("f-1", client, records::add, () -> released++);
        flow.attachUpstream(upstream);
        flow.upstreamConnected();
        client.pipeline().addLast(new RelayHandler(flow, Flow.Side.CLIENT, upstream));
        upstream.pipeline().addLast(new RelayHandler(flow, Flow.Side.UPSTREAM, client));
        client.resetReadRequests();
        upstream.resetReadRequests();
    }

    @AfterEach
    void releaseLeftovers() {
        client.finishAndReleaseAll();
        upstream.finishAndReleaseAll();
    }

    @Test
    void bytesGoBothWaysAndAreCountedPerDirection() {
        client.writeInbound(ascii("GET / HTTP/1.1\r\n\r\n"));
        assertThat(upstream.readOutboundAscii()).isEqualTo("GET / HTTP/1.1\r\n\r\n");

        upstream.writeInbound(ascii("HTTP/1.1 200 OK\r\n"), ascii("\r\nhello"));
        assertThat(client.readOutboundAscii()).isEqualTo("HTTP/1.1 200 OK\r\n\r\nhello");

        assertThat(flow.bytesUp()).isEqualTo(18);
        assertThat(flow.bytesDown()).isEqualTo(24);
    }

    @Test
    void readsOnlyWhileThePeerIsWritable() {
        client.writeInbound(ascii("a"));
        assertThat(client.readRequests()).as("peer writable: next read requested").isEqualTo(1);

        upstream.setWritable(false);
        client.resetReadRequests();
        client.writeInbound(ascii("b"));
        assertThat(client.readRequests()).as("peer full: no further read").isZero();

        upstream.setWritable(true);
        assertThat(client.readRequests()).as("peer drained: reading resumes").isEqualTo(1);
        assertThat(upstream.readOutboundAscii()).isEqualTo("ab");
    }

    @Test
    void backpressureWorksInTheDownstreamDirectionToo() {
        client.setWritable(false);
        upstream.writeInbound(ascii("x"));
        assertThat(upstream.readRequests()).isZero();
        client.setWritable(true);
        assertThat(upstream.readRequests()).isEqualTo(1);
        assertThat(client.readOutboundAscii()).isEqualTo("x");
    }

    @Test
    void halfCloseFromTheAgentIsPassedOnAfterItsBytesAndTheResponseStillFlows() {
        client.writeInbound(ascii("request"));
        client.receiveFin();

        assertThat(upstream.isOutputShutdown()).isTrue();
        assertThat(upstream.readOutboundAscii()).isEqualTo("request");
        assertThat(records).as("one direction still open").isEmpty();
        assertThat(client.isOpen()).isTrue();

        upstream.writeInbound(ascii("the rest of the response"));
        assertThat(client.readOutboundAscii()).isEqualTo("the rest of the response");
        upstream.receiveFin();

        assertThat(client.isOutputShutdown())
                .as("the last end of stream completes the flow: the close sends the FIN, no shutdownOutput() first")
                .isFalse();
        assertThat(client.isOpen()).isFalse();
        assertThat(upstream.isOpen()).isFalse();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(Termination.COMPLETED);
            assertThat(r.bytesUp()).isEqualTo(7);
            assertThat(r.bytesDown()).isEqualTo(24);
        });
        assertThat(client.linger()).as("completed flows close with FIN, not RST").isNull();
        assertThat(released).isEqualTo(1);
    }

    @Test
    void halfCloseFromTheUpstreamFirstAlsoCompletes() {
        upstream.writeInbound(ascii("banner"));
        upstream.receiveFin();
        assertThat(client.isOutputShutdown()).isTrue();
        assertThat(client.readOutboundAscii()).isEqualTo("banner");

        client.writeInbound(ascii("late"));
        assertThat(upstream.readOutboundAscii()).isEqualTo("late");
        client.receiveFin();
        assertThat(records).singleElement().extracting(FlowRecord::termination).isEqualTo(Termination.COMPLETED);
    }

    @Test
    void anAgentErrorResetsBothSides() {
        client.writeInbound(ascii("partial"));
        client.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        client.runPendingTasks();
        upstream.runPendingTasks();

        assertThat(client.isOpen()).isFalse();
        assertThat(upstream.isOpen()).isFalse();
        assertThat(upstream.linger()).as("upstream gets a reset, not a clean end").isZero();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(Termination.CLIENT_RESET);
            assertThat(r.detail()).isEqualTo("Connection reset by peer");
            assertThat(r.bytesUp()).isEqualTo(7);
        });
    }

    @Test
    void anUpstreamErrorResetsTheAgent() {
        upstream.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        client.runPendingTasks();
        assertThat(client.isOpen()).isFalse();
        assertThat(client.linger()).isZero();
        assertThat(records).singleElement().extracting(FlowRecord::termination).isEqualTo(Termination.UPSTREAM_RESET);
    }

    @Test
    void anUpstreamSocketClosedUnderUsResetsTheAgentOnce() {
        client.writeInbound(ascii("sent"));
        upstream.close();
        client.runPendingTasks();
        assertThat(client.isOpen()).isFalse();
        assertThat(client.linger()).isZero();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(Termination.UPSTREAM_RESET);
            assertThat(r.detail()).isEqualTo("upstream connection closed");
        });
        assertThat(released).isEqualTo(1);
    }

    @Test
    void idleTimeoutClosesBothWithFin() {
        client.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        client.runPendingTasks();
        assertThat(client.isOpen()).isFalse();
        assertThat(upstream.isOpen()).isFalse();
        assertThat(client.linger()).isNull();
        assertThat(records).singleElement().extracting(FlowRecord::termination).isEqualTo(Termination.IDLE_TIMEOUT);
    }

    @Test
    void theFirstEndingWinsAndTheRecordIsWrittenOnce() {
        client.pipeline().fireExceptionCaught(new IOException("boom"));
        flow.abort(Termination.UPSTREAM_RESET, "later");
        flow.end(Termination.IDLE_TIMEOUT, "later still");
        client.runPendingTasks();
        assertThat(records).singleElement().extracting(FlowRecord::termination).isEqualTo(Termination.CLIENT_RESET);
        assertThat(released).isEqualTo(1);
    }

    @Test
    void somethingOtherThanBytesIsReleasedAndFailsTheFlow() {
        ByteBuf inside = ascii("x");
        io.netty.buffer.DefaultByteBufHolder holder = new io.netty.buffer.DefaultByteBufHolder(inside);
        client.pipeline().fireChannelRead(holder);
        client.runPendingTasks();
        assertThat(holder.refCnt()).isZero();
    }
}
