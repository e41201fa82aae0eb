package io.clawgress.tproxy.peek;

import io.clawgress.api.FlowRecord;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import io.clawgress.tproxy.flow.Flow;
import io.clawgress.tproxy.testing.DuplexEmbeddedChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The peek stage on an embedded channel: what it concludes, what it passes on, and how it ends flows. */
class PeekStageTest {

    private static final PeekSettings SETTINGS = new PeekSettings(4096, Duration.ofSeconds(2), Set.of(22));

    private final List<FlowRecord> records = new ArrayList<>();
    private DuplexEmbeddedChannel ch;
    private Flow flow;
    private int activeAfterPeek;

    private void open(String destination) {
        ch = DuplexEmbeddedChannel.unregistered(destination, "198.18.1.2:40000");
        flow = new Flow("f-1", ch, records::add, () -> { });
        ch.pipeline().addLast("peek", new PeekStage(flow, SETTINGS));
        ch.pipeline().addLast("next", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                activeAfterPeek++;
            }
        });
        try {
            ch.register(); // after the stages are in place, as the server registers accepted channels
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        ch.freezeTime(); // from here only advanceTimeBy moves the clock (the deadline was set microseconds ago)
    }

    @AfterEach
    void close() {
        if (flow != null) {
            flow.earlyInput().drainTo(ByteBuf::release);
        }
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void aClientHelloSplitOverReadsYieldsSniAndAlpnAndIsPassedOnUnchanged() {
        open("198.18.2.2:443");
        byte[] hello = ClientHelloBuilder.curlLike("api.allowed.test").record();
        for (int i = 0; i < hello.length; i += 100) {
            assertThat(activeAfterPeek).as("no decision before the hello is complete").isZero();
            ch.writeInbound(direct(java.util.Arrays.copyOfRange(hello, i, Math.min(hello.length, i + 100))));
        }
        assertThat(activeAfterPeek).isOne();
        PeekFacts p = flow.facts().peek();
        assertThat(p.kind()).isEqualTo(PeekFacts.Kind.TLS);
        assertThat(p.name()).isEqualTo("api.allowed.test");
        assertThat(p.alpn()).containsExactly("h2", "http/1.1");
        assertThat(heldBytes()).as("the peeked bytes go on to the upstream exactly as sent").isEqualTo(hello);
        assertThat(ch.pipeline().get("peek")).as("one-shot").isNull();
    }

    @Test
    void anHttpRequestHeadYieldsMethodHostAndTarget() {
        open("198.18.2.2:80");
        byte[] head = "GET /v1/models HTTP/1.1\r\nHost: API.allowed.test:8080\r\nAccept: */*\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        ch.writeInbound(direct(head));
        PeekFacts p = flow.facts().peek();
        assertThat(p.kind()).isEqualTo(PeekFacts.Kind.HTTP);
        assertThat(p.name()).isEqualTo("api.allowed.test");
        assertThat(p.httpMethod()).isEqualTo("GET");
        assertThat(p.httpTarget()).isEqualTo("/v1/models");
        assertThat(heldBytes()).isEqualTo(head);
    }

    @Test
    void somethingElseIsOpaqueAtOnce() {
        open("198.18.2.2:5432");
        ch.writeInbound(direct(new byte[] {0, 0, 0, 8, 4, (byte) 210, 22, 47}));
        assertThat(flow.facts().peek().kind()).isEqualTo(PeekFacts.Kind.OPAQUE);
        assertThat(activeAfterPeek).isOne();
    }

    @Test
    void aTextProtocolThatIsNotHttpIsOpaqueButBrokenHttpIsMalformed() {
        open("198.18.2.2:11211");
        ch.writeInbound(direct("get session:42\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertThat(flow.facts().peek().kind()).as("memcached: no HTTP version").isEqualTo(PeekFacts.Kind.OPAQUE);
        close();
        records.clear();

        open("198.18.2.2:80");
        ch.writeInbound(direct("GET / HTTP/1.1\nHost: a.test\n\n".getBytes(StandardCharsets.US_ASCII)));
        assertThat(records).as("HTTP with bare LF (RFC 9112 §2.2)").singleElement()
                .extracting(FlowRecord::termination).isEqualTo(Termination.HTTP_MALFORMED);
    }

    @Test
    void aMalformedClientHelloEndsTheFlowWithItsOwnCode() {
        open("198.18.2.2:443");
        ch.writeInbound(direct(ClientHelloBuilder.record(0x16, 0x0301, new byte[0])));
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.linger()).as("reset").isZero();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(Termination.CLIENT_HELLO_MALFORMED);
            assertThat(r.ruleId()).isEqualTo(PeekStage.PEEK_RULE);
            assertThat(r.verdict()).isEqualTo("deny");
        });
        assertThat(activeAfterPeek).isZero();
    }

    @Test
    void anInvalidSniIsSniInvalid() {
        open("198.18.2.2:443");
        ch.writeInbound(direct(new ClientHelloBuilder().sni("a.test", "b.test").alpn("h2").record()));
        assertThat(records).singleElement().extracting(FlowRecord::termination).isEqualTo(Termination.SNI_INVALID);
    }

    @Test
    void moreThanTheLimitIsTooLarge() {
        open("198.18.2.2:80");
        ch.writeInbound(direct(("GET / HTTP/1.1\r\nX: " + "a".repeat(5000)).getBytes(StandardCharsets.US_ASCII)));
        assertThat(records).singleElement().extracting(FlowRecord::termination)
                .isEqualTo(Termination.HTTP_HEAD_TOO_LARGE);
    }

    @Test
    void silenceEndsAtTheDeadline() {
        open("198.18.2.2:443");
        ch.writeInbound(direct(new byte[] {0x16, 0x03}));
        ch.advanceTimeBy(1999, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.termination()).isEqualTo(Termination.PEEK_TIMEOUT);
            assertThat(r.reason()).contains("2 bytes received");
        });
    }

    @Test
    void anEndOfStreamInsideTheHelloIsMalformedAndBeforeAnyByteIsOpaque() {
        open("198.18.2.2:443");
        byte[] hello = ClientHelloBuilder.curlLike("a.test").record();
        ch.writeInbound(direct(java.util.Arrays.copyOf(hello, 40)));
        ch.receiveFin();
        assertThat(records).singleElement().extracting(FlowRecord::termination)
                .isEqualTo(Termination.CLIENT_HELLO_MALFORMED);

        close();
        records.clear();
        open("198.18.2.2:443");
        ch.receiveFin();
        assertThat(flow.facts().peek().kind()).isEqualTo(PeekFacts.Kind.OPAQUE);
        assertThat(flow.earlyInput().isInputShutdown()).as("the relay passes the FIN on").isTrue();
        assertThat(activeAfterPeek).isOne();
    }

    @Test
    void aServerFirstPortIsNotPeeked() {
        open("198.18.2.2:22");
        assertThat(activeAfterPeek).isOne();
        assertThat(flow.facts().peek().kind()).isEqualTo(PeekFacts.Kind.NONE);
        assertThat(ch.readRequests()).as("nothing read: the server speaks first").isZero();
    }

    private byte[] heldBytes() {
        List<Byte> out = new ArrayList<>();
        flow.earlyInput().drainTo(b -> {
            try {
                while (b.isReadable()) {
                    out.add(b.readByte());
                }
            } finally {
                b.release();
            }
        });
        byte[] bytes = new byte[out.size()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = out.get(i);
        }
        return bytes;
    }

    private static ByteBuf direct(byte[] bytes) {
        return Unpooled.directBuffer(bytes.length).writeBytes(bytes);
    }
}
