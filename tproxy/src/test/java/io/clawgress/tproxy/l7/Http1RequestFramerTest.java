package io.clawgress.tproxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Valid request traffic: keep-alive sequences, bodies streamed exactly, derived facts, pause, limits. */
class Http1RequestFramerTest {

    private static final String HOST = "Host: a.example\r\n";

    private final Recorder<RequestHead> events = new Recorder<>();
    private Http1RequestFramer framer = new Http1RequestFramer(Http1FramerSettings.REQUEST_DEFAULTS, events);

    private List<RequestHead> frame(Feed.Mode mode, String requests) {
        mode.feed(framer, Feed.bytes(requests));
        assertThat(events.refusal()).as(events.summary().toString()).isNull();
        return events.heads();
    }

    @ParameterizedTest
    @EnumSource(Feed.Mode.class)
    void threeKeepAliveRequestsBackToBack(Feed.Mode mode) {
        String requests = "GET /v1/models?limit=1 HTTP/1.1\r\n" + HOST + "Accept: */*\r\n\r\n"
                + "POST /v1/chat HTTP/1.1\r\n" + HOST + "Content-Type: application/json\r\nContent-Length: 10\r\n\r\n"
                + "{\"a\": \"b\"}"
                + "POST /upload HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                + "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE;q=\"a b\"\r\nin \r\n\r\nchunks.\r\n0\r\nX-Checksum: abc\r\n"
                + "Expires: never\r\n\r\n";
        List<RequestHead> heads = frame(mode, requests);

        assertThat(heads).extracting(RequestHead::method).containsExactly("GET", "POST", "POST");
        assertThat(heads).extracting(RequestHead::target).containsExactly("/v1/models?limit=1", "/v1/chat", "/upload");
        assertThat(heads).extracting(RequestHead::framing).containsExactly(BodyFraming.NONE,
                new BodyFraming.ContentLength(10), BodyFraming.CHUNKED);
        assertThat(heads).allSatisfy(h -> {
            assertThat(h.host()).isEqualTo("a.example");
            assertThat(h.port()).isEqualTo(-1);
            assertThat(h.keepAlive()).isTrue();
            assertThat(h.version()).isEqualTo(HttpVersion.HTTP_1_1);
        });
        assertThat(events.bodies()).containsExactly("", "{\"a\": \"b\"}", "Wikipedia in \r\n\r\nchunks.");
        Recorder.End last = (Recorder.End) events.events.getLast();
        assertThat(last.trailers().toString()).isEqualTo("[X-Checksum: abc, Expires: never]");
        assertThat(framer.isBetweenMessages()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Feed.Mode.class)
    void headAndExpectContinue(Feed.Mode mode) {
        List<RequestHead> heads = frame(mode, "HEAD /x HTTP/1.1\r\n" + HOST + "\r\n"
                + "PUT /y HTTP/1.1\r\n" + HOST + "Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"
                + "PUT /z HTTP/1.0\r\nExpect: 100-continue\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nz");

        assertThat(heads).extracting(RequestHead::method).containsExactly("HEAD", "PUT", "PUT");
        assertThat(heads.get(0).framing()).isEqualTo(BodyFraming.NONE);
        assertThat(heads).extracting(RequestHead::expectContinue).containsExactly(false, true, false);
        assertThat(events.bodies()).containsExactly("", "abc", "z");
    }

    @ParameterizedTest
    @EnumSource(Feed.Mode.class)
    void http10KeepAliveOnlyWhenAsked(Feed.Mode mode) {
        List<RequestHead> heads = frame(mode, "GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"
                + "GET /b HTTP/1.0\r\nHost: a.example:8080\r\n\r\n");

        assertThat(heads).extracting(RequestHead::keepAlive).containsExactly(true, false);
        assertThat(heads).extracting(RequestHead::version).containsOnly(HttpVersion.HTTP_1_0);
        assertThat(heads.get(0).host()).isNull();
        assertThat(heads.get(1).host()).isEqualTo("a.example");
        assertThat(heads.get(1).port()).isEqualTo(8080);
        assertThat(framer.isBetweenMessages()).isTrue();

        Feed.whole(framer, Feed.bytes("GET /c HTTP/1.0\r\n\r\n"));
        assertThat(events.refusal().code()).isEqualTo(RefusalCode.REQUEST_AFTER_CLOSE);
        assertThat(events.heads()).hasSize(2);
    }

    @Test
    void connectionCloseEndsTheConnection() {
        List<RequestHead> heads = frame(Feed.Mode.WHOLE, "POST / HTTP/1.1\r\n" + HOST + "Connection: keep-alive, "
                + "CLOSE\r\nContent-Length: 2\r\n\r\nhi");

        assertThat(heads.getFirst().keepAlive()).isFalse();
        assertThat(events.bodies()).containsExactly("hi");
        framer.inputClosed();
        assertThat(events.refusal()).isNull();
    }

    @Test
    void largeContentLengthBodyIsStreamedAsItArrives() {
        int size = 256 * 1024;
        byte[] body = new byte[size];
        for (int i = 0; i < size; i++) {
            body[i] = (byte) (i * 31 + 7);
        }
        Feed.whole(framer, Feed.bytes("POST /big HTTP/1.1\r\n" + HOST + "Content-Length: " + size + "\r\n\r\n"));
        assertThat(events.heads()).hasSize(1);

        ByteBuf received = Unpooled.buffer(size);
        for (int i = 0; i < size; i += 1024) {
            int before = events.events.size();
            Feed.piece(framer, body, i, 1024);
            // each piece comes out at once, as one part of exactly its bytes: nothing is held back or accumulated
            assertThat(events.events.size()).isGreaterThan(before);
            Recorder.Body part = (Recorder.Body) events.events.get(before);
            assertThat(part.bytes()).hasSize(1024);
            received.writeBytes(part.bytes());
        }
        assertThat(events.events.getLast()).isInstanceOf(Recorder.End.class);
        assertThat(events.bodyParts()).isEqualTo(size / 1024);
        assertThat(Arrays.equals(received.array(), 0, size, body, 0, size)).isTrue();
    }

    @Test
    void chunkedBodyIsStreamedWithinAChunk() {
        Feed.whole(framer, Feed.bytes("POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n1000\r\n"));
        for (int i = 0; i < 16; i++) {
            int before = events.events.size();
            Feed.whole(framer, Feed.bytes("x".repeat(256)));
            assertThat(events.events).hasSize(before + 1);
        }
        Feed.whole(framer, Feed.bytes("\r\n0\r\n\r\n"));
        assertThat(events.bodies()).containsExactly("x".repeat(4096));
    }

    @ParameterizedTest
    @EnumSource(Feed.Mode.class)
    void acceptedVariantsOfFramingFields(Feed.Mode mode) {
        List<RequestHead> heads = frame(mode,
                // HTAB is OWS (RFC 9110 §5.6.3): the value is exactly "chunked"
                "POST /1 HTTP/1.1\r\n" + HOST + "Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n"
                // coding names are case-insensitive (RFC 9112 §7)
                + "POST /2 HTTP/1.1\r\n" + HOST + "transfer-encoding:  CHUNKED \t\r\n\r\n"
                + "000A\r\n0123456789\r\n0\r\n\r\n"
                + "POST /3 HTTP/1.1\r\n" + HOST + "content-length: \t 0 \r\n\r\n"
                + "POST /4 HTTP/1.1\r\n" + HOST + "Content-Length:3\r\n\r\nabc");

        assertThat(heads).extracting(RequestHead::framing).containsExactly(BodyFraming.CHUNKED, BodyFraming.CHUNKED,
                new BodyFraming.ContentLength(0), new BodyFraming.ContentLength(3));
        assertThat(events.bodies()).containsExactly("", "0123456789", "", "abc");
    }

    @ParameterizedTest
    @EnumSource(Feed.Mode.class)
    void hostAndTargetForms(Feed.Mode mode) {
        List<RequestHead> heads = frame(mode,
                "GET http://A.Example/p/q?x=1 HTTP/1.1\r\nHost: a.example:80\r\n\r\n"
                + "GET HTTPS://a.example HTTP/1.1\r\nHost: A.EXAMPLE:443\r\n\r\n"
                + "GET https://a.example:8443?q HTTP/1.1\r\nHost: a.example:8443\r\n\r\n"
                + "GET /x HTTP/1.1\r\nHost: [2001:DB8::1]:8443\r\n\r\n"
                + "OPTIONS * HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n"
                + "GET http://b.example/only-target HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                + "PROPFIND /dav/ HTTP/1.1\r\n" + HOST + "Depth: 1\r\n\r\n");

        assertThat(heads).extracting(RequestHead::host).containsExactly("a.example", "a.example", "a.example",
                "2001:db8::1", "192.0.2.1", "b.example", "a.example");
        assertThat(heads).extracting(RequestHead::port).containsExactly(-1, -1, 8443, 8443, -1, -1, -1);
        assertThat(heads).extracting(RequestHead::path).containsExactly("/p/q", "/", "/", "/x", "*", "/only-target",
                "/dav/");
        assertThat(heads).extracting(RequestHead::query).containsExactly("x=1", null, "q", null, null, null, null);
        assertThat(heads).extracting(RequestHead::absoluteForm).containsExactly(true, true, true, false, false, true,
                false);
        assertThat(heads.getLast().method()).isEqualTo("PROPFIND");
    }

    @Test
    void fieldsKeepOrderCaseAndValuesWithoutOws() {
        frame(Feed.Mode.WHOLE, "GET / HTTP/1.1\r\nhost: a.example\r\nX-Multi: 1\r\nAccept:\t */* \t\r\n"
                + "x-multi: 2\r\nX-Empty:\r\nX-Latin1: caf\u00e9\r\n\r\n");
        HttpFields f = events.heads().getFirst().fields();

        assertThat(f.size()).isEqualTo(6);
        assertThat(f.name(0)).isEqualTo("host");
        assertThat(f.value(2)).isEqualTo("*/*");
        assertThat(f.getAll("x-multi")).containsExactly("1", "2");
        assertThat(f.count("x-multi")).isEqualTo(2);
        assertThat(f.get("x-empty")).isEmpty();
        assertThat(f.get("x-latin1")).isEqualTo("caf\u00e9");
        assertThat(f.get("missing")).isNull();
        assertThat(f.isNamed(1, "x-multi")).isTrue();
        assertThatThrownBy(() -> f.name(6)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    /** Every control byte at every offset of a 24-byte value is found (the value scan checks 8 bytes at a time). */
    @Test
    void controlBytesAnywhereInALongValue() {
        for (int pos = 0; pos < 24; pos++) {
            for (int c = 0; c < 256; c++) {
                char[] value = "abcdefghijklmnopqrstuvwx".toCharArray();
                value[pos] = (char) c;
                String request = "GET / HTTP/1.1\r\n" + HOST + "X-V: " + new String(value) + "\r\n\r\n";
                Recorder<RequestHead> recorder = new Recorder<>();
                Http1RequestFramer f = new Http1RequestFramer(Http1FramerSettings.REQUEST_DEFAULTS, recorder);
                ByteBuf in = Unpooled.wrappedBuffer(Feed.bytes(request)); // heap: 6144 runs, untracked
                f.feed(in);
                in.release();
                boolean allowed = c == '\t' || c >= 0x20 && c != 0x7f;
                if (allowed) {
                    assertThat(recorder.refusal()).as("byte 0x%02x at %d", c, pos).isNull();
                } else {
                    assertThat(recorder.refusal()).as("byte 0x%02x at %d", c, pos).isNotNull();
                    assertThat(recorder.refusal().code()).isIn(RefusalCode.INVALID_FIELD_VALUE, RefusalCode.BARE_LF,
                            RefusalCode.BARE_CR);
                }
            }
        }
    }

    @Test
    void pauseLeavesTheRestInTheBuffer() {
        events.afterEvent = () -> framer.pause();
        String head = "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 5\r\n\r\n";
        ByteBuf in = Unpooled.directBuffer().writeBytes(Feed.bytes(head + "hello" + "GET /next HTTP/1.1\r\n" + HOST
                + "\r\n"));
        try {
            framer.feed(in);
            assertThat(events.events).hasSize(1);
            assertThat(in.readerIndex()).isEqualTo(head.length());
            framer.feed(in); // still paused: nothing moves
            assertThat(events.events).hasSize(1);

            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                framer.resume();
                framer.feed(in);
                seen.add(events.events.getLast().getClass().getSimpleName());
            }
            assertThat(seen).containsExactly("Body", "End", "Head", "End");
            framer.resume();
            framer.feed(in);
            assertThat(events.events).hasSize(5);
            assertThat(in.isReadable()).isFalse();
            assertThat(events.heads()).extracting(RequestHead::target).containsExactly("/", "/next");
        } finally {
            in.release();
        }
    }

    @Test
    void pausedEndIsDeliveredByAnEmptyFeed() {
        events.afterEvent = () -> framer.pause();
        Feed.whole(framer, Feed.bytes("GET / HTTP/1.1\r\n" + HOST + "\r\n"));
        assertThat(events.events).hasSize(1);
        framer.resume();
        framer.feed(Unpooled.EMPTY_BUFFER);
        assertThat(events.events.getLast()).isInstanceOf(Recorder.End.class);
    }

    @Test
    void inputClosedBetweenMessagesIsQuiet() {
        frame(Feed.Mode.WHOLE, "GET / HTTP/1.1\r\n" + HOST + "\r\n");
        framer.inputClosed();
        assertThat(events.refusal()).isNull();
    }

    @Test
    void inputClosedInsideAHeadOrBodyIsTruncated() {
        Feed.whole(framer, Feed.bytes("GET / HTTP/1.1\r\nHo"));
        framer.inputClosed();
        assertThat(events.refusal().code()).isEqualTo(RefusalCode.TRUNCATED_REQUEST);

        Recorder<RequestHead> other = new Recorder<>();
        framer = new Http1RequestFramer(Http1FramerSettings.REQUEST_DEFAULTS, other);
        Feed.whole(framer, Feed.bytes("POST / HTTP/1.1\r\n" + HOST + "Content-Length: 9\r\n\r\nabc"));
        framer.inputClosed();
        assertThat(other.refusal().code()).isEqualTo(RefusalCode.TRUNCATED_REQUEST);
        assertThat(other.refusal().status()).isEqualTo(400);
    }

    @Test
    void upgradeIsFramedWhenAllowed() {
        Http1FramerSettings allow = new Http1FramerSettings(16 * 1024, 100, 256, 8 * 1024, 32, true);
        framer = new Http1RequestFramer(allow, events);
        List<RequestHead> heads = frame(Feed.Mode.WHOLE, "GET / HTTP/1.1\r\n" + HOST + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n\r\n");
        assertThat(heads.getFirst().upgradeRequested()).isTrue();
    }

    @Test
    void headAtExactlyTheLimitIsAcceptedAndOneMoreByteIsNot() {
        String start = "GET / HTTP/1.1\r\n" + HOST + "X-Pad: ";
        Http1FramerSettings small = new Http1FramerSettings(256, 3, 16, 64, 2, false);
        String exact = start + "p".repeat(256 - start.length() - 4) + "\r\n\r\n";
        assertThat(exact).hasSize(256);

        framer = new Http1RequestFramer(small, events);
        frame(Feed.Mode.BYTE_BY_BYTE, exact);
        assertThat(events.heads()).hasSize(1);
        assertThat(events.heads().getFirst().headLength()).isEqualTo(256);

        Recorder<RequestHead> other = new Recorder<>();
        framer = new Http1RequestFramer(small, other);
        Feed.byteByByte(framer, Feed.bytes(start + "p".repeat(256 - start.length() - 3) + "\r\n\r\n"));
        assertThat(other.refusal().code()).isEqualTo(RefusalCode.HEAD_TOO_LARGE);
        assertThat(other.refusal().status()).isEqualTo(431);
    }

    @Test
    void fieldAndTrailerCountsAtTheirLimits() {
        Http1FramerSettings small = new Http1FramerSettings(1024, 3, 16, 64, 2, false);
        framer = new Http1RequestFramer(small, events);
        frame(Feed.Mode.WHOLE, "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\nX: 1\r\n\r\n"
                + "1;a=b\r\nx\r\n0\r\nT1: 1\r\nT2: 2\r\n\r\n");
        assertThat(events.bodies()).containsExactly("x");

        Recorder<RequestHead> other = new Recorder<>();
        framer = new Http1RequestFramer(small, other);
        Feed.whole(framer, Feed.bytes("POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n"
                + "0\r\nT1: 1\r\nT2: 2\r\nT3: 3\r\n\r\n"));
        assertThat(other.refusal().code()).isEqualTo(RefusalCode.TRAILER_TOO_LARGE);

        Recorder<RequestHead> third = new Recorder<>();
        framer = new Http1RequestFramer(small, third);
        Feed.whole(framer, Feed.bytes("POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n"
                + "1;a=0123456789abc\r\nx\r\n0\r\n\r\n")); // ";a=0123456789abc" is 16 bytes: at the limit
        assertThat(third.refusal()).isNull();
        Feed.whole(framer, Feed.bytes("POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n"
                + "1;a=0123456789abcd\r\nx\r\n0\r\n\r\n"));
        assertThat(third.refusal().code()).isEqualTo(RefusalCode.CHUNK_EXTENSION_TOO_LONG);
    }

    @Test
    void largestChunkSizeIsAccepted() {
        Feed.whole(framer, Feed.bytes("POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n"
                + "7fffffffffffffff\r\nabc"));
        assertThat(events.refusal()).isNull();
        assertThat(events.bodies()).isEmpty();
        assertThat(events.bodyParts()).isEqualTo(1);
    }

    @Test
    void settingsAndRefusalsValidateThemselves() {
        assertThatThrownBy(() -> new Http1FramerSettings(0, 1, 1, 1, 1, false))
                .hasMessage("maxHeadBytes: 0 (expected: > 0)");
        assertThatThrownBy(() -> new Refusal("Bad Code", 400, "x")).hasMessageContaining("snake_case");
        assertThatThrownBy(() -> new Refusal("bad_code", 200, "x")).hasMessage("status: 200 (expected: 400..599)");
        assertThatThrownBy(() -> new BodyFraming.ContentLength(-1)).hasMessage("length: -1 (expected: >= 0)");
    }
}
