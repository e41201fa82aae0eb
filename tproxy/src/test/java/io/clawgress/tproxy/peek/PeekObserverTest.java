package io.clawgress.tproxy.peek;

import io.clawgress.api.DataPathObserver;
import io.clawgress.api.DataPathObserver.PeekOutcome;
import io.clawgress.tproxy.flow.Flow;
import io.clawgress.tproxy.testing.DuplexEmbeddedChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The peek stage tells the flow's observer how each peek ended and how long it took (metrics). */
class PeekObserverTest {

    private static final PeekSettings SETTINGS = new PeekSettings(4096, Duration.ofSeconds(2), Set.of(22));

    private record Peeked(PeekOutcome outcome, long nanos) {
    }

    private final List<Peeked> seen = new ArrayList<>();
    private final DataPathObserver observer = new DataPathObserver() {
        @Override
        public void peekFinished(PeekOutcome outcome, long nanos) {
            seen.add(new Peeked(outcome, nanos));
        }
    };
    private DuplexEmbeddedChannel ch;
    private Flow flow;

    private void open(String destination) {
        ch = DuplexEmbeddedChannel.unregistered(destination, "198.18.1.2:40000");
        flow = new Flow("f-1", ch, r -> { }, () -> { }, null, observer);
        ch.pipeline().addLast("peek", new PeekStage(flow, SETTINGS));
        try {
            ch.register();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterEach
    void close() {
        if (flow != null) {
            flow.earlyInput().drainTo(ByteBuf::release);
        }
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
        flow = null;
        ch = null;
    }

    private void peek(String destination, ByteBuf first) {
        open(destination);
        ch.writeInbound(first);
        close();
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void eachEndingIsObservedOnceWithItsDuration() {
        peek("198.18.2.2:443", Unpooled.wrappedBuffer(ClientHelloBuilder.curlLike("a.test").record()));
        peek("198.18.2.2:80", bytes("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"));
        peek("198.18.2.2:5432", Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 8, 4, (byte) 210, 22, 47}));
        peek("198.18.2.2:80", bytes("GET / HTTP/1.1\nHost: a.test\n\n"));
        assertThat(seen).extracting(Peeked::outcome).containsExactly(PeekOutcome.TLS, PeekOutcome.HTTP,
                PeekOutcome.OPAQUE, PeekOutcome.MALFORMED);
        assertThat(seen).allSatisfy(p -> assertThat(p.nanos()).isNotNegative());
    }

    @Test
    void aTimeoutIsObservedWithTheTimeWaited() {
        open("198.18.2.2:443");
        ch.freezeTime();
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x16, 0x03}));
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(seen).singleElement().satisfies(p -> {
            assertThat(p.outcome()).isEqualTo(PeekOutcome.TIMEOUT);
            assertThat(p.nanos()).as("measured on the real clock, from the start of the peek").isNotNegative();
        });
    }

    @Test
    void aServerFirstPortIsNotAPeek() {
        open("198.18.2.2:22");
        assertThat(seen).isEmpty();
    }
}
