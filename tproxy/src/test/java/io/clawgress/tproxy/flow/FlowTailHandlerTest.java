package io.clawgress.tproxy.flow;

import io.clawgress.api.FlowRecord;
import io.clawgress.api.Termination;
import io.clawgress.tproxy.testing.DuplexEmbeddedChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The last handler of an agent channel before the relay is in place: what the agent sends early is kept for the
 * relay (and owned by the flow until then), and whatever no stage handled ends the flow with a reset.
 */
class FlowTailHandlerTest {

    private final List<FlowRecord> records = new ArrayList<>();
    private int slotsReleased;
    private DuplexEmbeddedChannel client;
    private Flow flow;

    @BeforeEach
    void acceptAgent() {
        client = DuplexEmbeddedChannel.of("198.18.2.2:80", "198.18.1.2:40000");
        flow = new Flow("f-1", client, records::add, () -> slotsReleased++);
        client.pipeline().addLast(new FlowTailHandler(flow));
    }

    @AfterEach
    void releaseLeftovers() {
        client.finishAndReleaseAll();
    }

    @Test
    void bytesBeforeTheRelayAreKeptInOrderAndOwnedByTheFlow() {
        ByteBuf a = ascii("GET / HTTP/1.1\r\n");
        ByteBuf b = ascii("Host: example.com\r\n");
        ByteBuf c = ascii("\r\n");
        client.writeInbound(a, b);
        client.writeInbound(c);

        assertThat((Object) client.readInbound()).as("nothing goes past the tail").isNull();
        assertThat(List.of(a, b, c)).as("kept, not released").allSatisfy(buf -> assertThat(buf.refCnt()).isOne());
        assertThat(client.isOpen()).isTrue();
        assertThat(records).isEmpty();

        List<ByteBuf> drained = new ArrayList<>();
        flow.earlyInput().drainTo(drained::add);
        try {
            assertThat(drained).hasSize(3);
            assertThat(drained.get(0)).isSameAs(a);
            assertThat(drained.get(1)).isSameAs(b);
            assertThat(drained.get(2)).isSameAs(c);
            assertThat(drained).extracting(buf -> buf.toString(StandardCharsets.US_ASCII))
                    .containsExactly("GET / HTTP/1.1\r\n", "Host: example.com\r\n", "\r\n");
        } finally {
            drained.forEach(ByteBuf::release); // drainTo handed ownership over
        }
        List<ByteBuf> again = new ArrayList<>();
        flow.earlyInput().drainTo(again::add);
        assertThat(again).as("drained once").isEmpty();
    }

    @Test
    void theAgentsEndOfStreamIsRemembered() {
        assertThat(flow.earlyInput().isInputShutdown()).isFalse();
        client.receiveFin();
        assertThat(flow.earlyInput().isInputShutdown()).isTrue();
        assertThat(client.isOpen()).as("a half-close is not an ending").isTrue();
        assertThat(records).isEmpty();
    }

    @Test
    void otherUserEventsEndHereAndAreReleased() {
        DefaultByteBufHolder event = new DefaultByteBufHolder(ascii("event"));
        client.pipeline().fireUserEventTriggered(event);
        assertThat(event.refCnt()).isZero();
        assertThat(flow.earlyInput().isInputShutdown()).isFalse();
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void exactlyTheLimitIsKeptAndOneByteMoreResetsTheAgentAndReleasesEverything() {
        ByteBuf first = zeros(EarlyInput.LIMIT_BYTES / 2);
        ByteBuf second = zeros(EarlyInput.LIMIT_BYTES / 2);
        client.writeInbound(first, second);
        assertThat(client.isOpen()).as("256 KiB is allowed").isTrue();

        ByteBuf oneMore = zeros(1);
        client.writeInbound(oneMore);

        assertThat(client.isOpen()).isFalse();
        assertThat(client.linger()).isZero();
        assertThat(List.of(first, second, oneMore)).allSatisfy(buf -> assertThat(buf.refCnt()).isZero());
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(Termination.INTERNAL_ERROR);
            assertThat(r.termination().code()).isEqualTo("internal_error");
            assertThat(r.detail()).isEqualTo("more than 262144 bytes arrived before the relay was in place");
            assertThat(r.bytesUp()).as("nothing was relayed, but everything was read from the agent")
                    .isEqualTo(EarlyInput.LIMIT_BYTES + 1);
        });
        assertThat(slotsReleased).isOne();
    }

    @Test
    void somethingOtherThanBytesIsReleasedAndResetsTheAgent() {
        ByteBuf early = ascii("early");
        client.writeInbound(early);
        DefaultByteBufHolder unexpected = new DefaultByteBufHolder(ascii("x"));
        client.writeInbound(unexpected);

        assertThat(unexpected.refCnt()).isZero();
        assertThat(early.refCnt()).isZero();
        assertThat(client.isOpen()).isFalse();
        assertThat(client.linger()).isZero();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(Termination.INTERNAL_ERROR);
            assertThat(r.detail()).isEqualTo("unexpected io.netty.buffer.DefaultByteBufHolder on the agent channel");
        });
    }

    /** An error no stage handled, and how the record must name it. */
    record Failure(Throwable cause, Termination termination, String detail) {
        @Override
        public String toString() {
            return cause.toString();
        }
    }

    static Stream<Failure> failures() {
        return Stream.of(
                new Failure(new IOException("Connection reset by peer"), Termination.CLIENT_RESET,
                        "Connection reset by peer"),
                new Failure(new SocketException("Broken pipe"), Termination.CLIENT_RESET, "Broken pipe"),
                new Failure(new IllegalStateException("a stage's bug"), Termination.INTERNAL_ERROR,
                        "java.lang.IllegalStateException: a stage's bug"),
                new Failure(new NullPointerException(), Termination.INTERNAL_ERROR,
                        "java.lang.NullPointerException"),
                new Failure(new StackOverflowError(), Termination.INTERNAL_ERROR, "java.lang.StackOverflowError"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void anUnhandledErrorResetsTheAgentAndReleasesWhatItSent(Failure failure) {
        ByteBuf early = ascii("GET / HTTP/1.1\r\n");
        client.writeInbound(early);

        client.pipeline().fireExceptionCaught(failure.cause());

        assertThat(client.isOpen()).isFalse();
        assertThat(client.linger()).as("a reset, not a FIN").isZero();
        assertThat(early.refCnt()).isZero();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(failure.termination());
            assertThat(r.detail()).isEqualTo(failure.detail());
        });
        assertThat(slotsReleased).isOne();
    }

    @Test
    void heldBytesAreReleasedWhenTheAgentGoesAwayBeforeTheRelay() {
        ByteBuf a = ascii("abc");
        ByteBuf b = ascii("def");
        client.writeInbound(a, b);

        client.close();

        assertThat(a.refCnt()).isZero();
        assertThat(b.refCnt()).isZero();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(Termination.CLIENT_RESET);
            assertThat(r.detail()).isEqualTo("agent connection closed");
        });
    }

    @Test
    void heldBytesAreReleasedWhenTheDaemonStops() {
        ByteBuf a = ascii("abc");
        client.writeInbound(a);

        flow.abort(Termination.SHUTDOWN, "clawgressd stopping");

        assertThat(a.refCnt()).isZero();
        assertThat(client.linger()).isZero();
        assertThat(records).singleElement().extracting(FlowRecord::termination).isEqualTo(Termination.SHUTDOWN);
    }

    @Test
    void theLimitCountsBytesHeldNotBytesSeen() {
        EarlyInput in = new EarlyInput();
        assertThat(in.add(zeros(EarlyInput.LIMIT_BYTES))).isTrue();
        in.drainTo(ByteBuf::release);
        ByteBuf next = zeros(1);
        assertThat(in.add(next)).as("room again once drained").isTrue();
        ByteBuf over = zeros(EarlyInput.LIMIT_BYTES);
        assertThat(in.add(over)).isFalse();
        assertThat(over.refCnt()).as("refused and released").isZero();
        in.release();
        assertThat(next.refCnt()).isZero();
    }

    private static ByteBuf ascii(String s) {
        // Direct, so the paranoid leak detector tracks it.
        return Unpooled.directBuffer(s.length()).writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static ByteBuf zeros(int n) {
        return Unpooled.directBuffer(n).writeZero(n);
    }
}
