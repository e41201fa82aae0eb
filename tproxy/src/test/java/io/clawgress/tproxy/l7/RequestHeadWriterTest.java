package io.clawgress.tproxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Re-serialised heads: canonical lines, original order and case, identity header stripped, framing untouchable. */
class RequestHeadWriterTest {

    private static RequestHead parse(String request) {
        Recorder<RequestHead> events = new Recorder<>();
        Http1RequestFramer framer = new Http1RequestFramer(Http1FramerSettings.REQUEST_DEFAULTS, events);
        Feed.whole(framer, Feed.bytes(request));
        assertThat(events.refusal()).isNull();
        return events.heads().getFirst();
    }

    private static String write(RequestHeadWriter writer, RequestHead head) {
        ByteBuf out = writer.write(head, ByteBufAllocator.DEFAULT);
        try {
            assertThat(out.readableBytes()).isEqualTo(writer.encodedLength(head)).isEqualTo(out.capacity());
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
        }
    }

    @Test
    void canonicalHeadRoundTripsByteForByte() {
        String request = "POST /v1/chat?x=1 HTTP/1.1\r\nHost: api.example.com\r\nuser-agent: curl/8.5.0\r\n"
                + "Accept: */*\r\nX-Latin1: caf\u00e9\r\nContent-Length: 2\r\n\r\n";
        assertThat(write(RequestHeadWriter.removing(), parse(request + "{}"))).isEqualTo(request);
    }

    @Test
    void looseButAcceptedFormsComeOutCanonical() {
        RequestHead head = parse("GET / HTTP/1.1\r\nHost:a.example\r\nAccept: \t */* \t\r\nX-Empty:\r\n\r\n");
        assertThat(write(RequestHeadWriter.removing(), head))
                .isEqualTo("GET / HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\nX-Empty: \r\n\r\n");
    }

    @Test
    void stripsTheIdentityHeaderInAnyCaseAndKeepsTheRestInOrder() {
        RequestHead head = parse("POST /v1 HTTP/1.1\r\nHost: a.example\r\nPROXY-AUTHORIZATION: Bearer aaa.bbb.ccc\r\n"
                + "X-A: 1\r\nproxy-authorization: Bearer second\r\nTransfer-Encoding: chunked\r\nX-B: 2\r\n\r\n");
        RequestHeadWriter writer = new RequestHeadWriter(List.of("Proxy-Authorization"),
                List.of(new RequestHeadWriter.Field("Via", "1.1 clawgress")));
        String written = write(writer, head);

        assertThat(written).isEqualTo("POST /v1 HTTP/1.1\r\nHost: a.example\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n"
                + "X-B: 2\r\nVia: 1.1 clawgress\r\n\r\n");
        RequestHead again = parse(written);
        assertThat(again.framing()).isEqualTo(head.framing());
        assertThat(again.host()).isEqualTo(head.host());
        assertThat(again.fields().count("proxy-authorization")).isZero();
    }

    @Test
    void framingAndRoutingFieldsCanBeNeitherRemovedNorAdded() {
        for (String name : List.of("Content-Length", "transfer-encoding", "HOST")) {
            assertThatThrownBy(() -> RequestHeadWriter.removing(name))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("framing and routing");
            assertThatThrownBy(() -> new RequestHeadWriter.Field(name, "1"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("framing and routing");
        }
    }

    @Test
    void addedFieldsCannotInjectLines() {
        assertThatThrownBy(() -> new RequestHeadWriter.Field("X-A", "1\r\nTransfer-Encoding: chunked"))
                .hasMessageContaining("visible ASCII");
        assertThatThrownBy(() -> new RequestHeadWriter.Field("X-A", "a\nb")).hasMessageContaining("visible ASCII");
        assertThatThrownBy(() -> new RequestHeadWriter.Field("X-A", "caf\u00e9")).hasMessageContaining("visible");
        assertThatThrownBy(() -> new RequestHeadWriter.Field("X A", "1")).hasMessageContaining("token");
        assertThatThrownBy(() -> new RequestHeadWriter.Field("X-A:", "1")).hasMessageContaining("token");
        assertThatThrownBy(() -> new RequestHeadWriter.Field("X-A", " 1")).hasMessageContaining("whitespace");
        assertThatThrownBy(() -> RequestHeadWriter.removing("")).hasMessageContaining("field name");
    }

    @Test
    void trailersLoseTheRemovedNamesToo() {
        Recorder<RequestHead> events = new Recorder<>();
        Http1RequestFramer framer = new Http1RequestFramer(Http1FramerSettings.REQUEST_DEFAULTS, events);
        Feed.whole(framer, Feed.bytes("POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\nX-Sum: 1\r\nProxy-Authorization: Bearer x\r\n\r\n"));
        HttpFields trailers = ((Recorder.End) events.events.getLast()).trailers();

        ByteBuf out = Unpooled.directBuffer();
        try {
            RequestHeadWriter.removing("proxy-authorization").writeLastChunk(trailers, out);
            assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("0\r\nX-Sum: 1\r\n\r\n");
            out.clear();
            ChunkedWriter.writeLastChunk(HttpFields.EMPTY, out);
            assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("0\r\n\r\n");
        } finally {
            out.release();
        }
    }

    @Test
    void chunkHeadersAreCanonicalHex() {
        ByteBuf out = Unpooled.directBuffer();
        try {
            for (long size : new long[] {1, 15, 16, 255, 4096, 0xabcdefL, Long.MAX_VALUE}) {
                ChunkedWriter.writeChunkHeader(size, out);
            }
            ChunkedWriter.writeChunkEnd(out);
            assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo(
                    "1\r\nf\r\n10\r\nff\r\n1000\r\nabcdef\r\n7fffffffffffffff\r\n\r\n");
        } finally {
            out.release();
        }
        assertThatThrownBy(() -> ChunkedWriter.writeChunkHeader(0, Unpooled.EMPTY_BUFFER))
                .hasMessageContaining("size: 0");
    }

    @Test
    void rechunkedBodyFramesToTheSameBytes() {
        String request = "POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "00004;a=\"b\\\"c\"\r\nWiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n";
        Recorder<RequestHead> first = new Recorder<>();
        ByteBuf forwarded = Unpooled.directBuffer();
        RequestHeadWriter writer = RequestHeadWriter.removing("proxy-authorization");
        Http1Listener<RequestHead> forward = new Http1Listener<>() {
            @Override
            public void onHead(RequestHead head) {
                first.onHead(head);
                writer.write(head, forwarded);
            }

            @Override
            public void onBodyPart(ByteBuf content) {
                ChunkedWriter.writeChunkHeader(content.readableBytes(), forwarded);
                forwarded.writeBytes(content, content.readerIndex(), content.readableBytes());
                ChunkedWriter.writeChunkEnd(forwarded);
                first.onBodyPart(content);
            }

            @Override
            public void onEnd(HttpFields trailers) {
                writer.writeLastChunk(trailers, forwarded);
                first.onEnd(trailers);
            }

            @Override
            public void onRefusal(Refusal refusal) {
                first.onRefusal(refusal);
            }
        };
        try {
            Feed.byteByByte(new Http1RequestFramer(Http1FramerSettings.REQUEST_DEFAULTS, forward),
                    Feed.bytes(request));
            String canonical = forwarded.toString(StandardCharsets.ISO_8859_1);
            assertThat(canonical).endsWith("1\r\na\r\n0\r\nX-T: 1\r\n\r\n");

            Recorder<RequestHead> second = new Recorder<>();
            Feed.whole(new Http1RequestFramer(Http1FramerSettings.REQUEST_DEFAULTS, second), Feed.bytes(canonical));
            assertThat(second.bodies()).isEqualTo(first.bodies()).containsExactly("Wikipedia");
            assertThat(second.summary().getLast()).isEqualTo("end [X-T: 1]");
        } finally {
            forwarded.release();
        }
    }
}
