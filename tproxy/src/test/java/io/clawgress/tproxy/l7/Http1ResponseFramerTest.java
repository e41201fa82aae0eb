package io.clawgress.tproxy.l7;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Upstream responses: framing per request method and status, interim heads, streaming, and refusals (502). */
class Http1ResponseFramerTest {

    private final Recorder<ResponseHead> events = new Recorder<>();
    private final Http1ResponseFramer framer = new Http1ResponseFramer(Http1FramerSettings.RESPONSE_DEFAULTS, events);

    private List<ResponseHead> frame(Feed.Mode mode, String responses, String... methods) {
        for (String m : methods) {
            framer.expectResponse(m);
        }
        mode.feed(framer, Feed.bytes(responses));
        assertThat(events.refusal()).as(events.summary().toString()).isNull();
        return events.heads();
    }

    @ParameterizedTest
    @EnumSource(Feed.Mode.class)
    void contentLengthAndChunkedOnOneConnection(Feed.Mode mode) {
        List<ResponseHead> heads = frame(mode, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                + "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n"
                + "Server-Timing: db;dur=53\r\n\r\n"
                + "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n"
                + "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n!", "GET", "POST", "GET", "GET");

        assertThat(heads).extracting(ResponseHead::status).containsExactly(200, 201, 404, 200);
        assertThat(heads).extracting(ResponseHead::reason).containsExactly("OK", "Created", "", "");
        assertThat(heads).extracting(ResponseHead::framing).containsExactly(new BodyFraming.ContentLength(5),
                BodyFraming.CHUNKED, new BodyFraming.ContentLength(0), new BodyFraming.ContentLength(1));
        assertThat(heads).extracting(ResponseHead::keepAlive).containsOnly(true);
        assertThat(heads).extracting(ResponseHead::requestMethod).containsExactly("GET", "POST", "GET", "GET");
        assertThat(events.bodies()).containsExactly("hello", "abcde", "", "!");
        assertThat(events.summary()).contains("end [Server-Timing: db;dur=53]");
        assertThat(framer.pendingResponses()).isZero();
        framer.inputClosed();
        assertThat(events.refusal()).isNull();
    }

    @ParameterizedTest
    @EnumSource(Feed.Mode.class)
    void interimResponsesThenTheFinalOne(Feed.Mode mode) {
        List<ResponseHead> heads = frame(mode, "HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "POST");

        assertThat(heads).extracting(ResponseHead::status).containsExactly(100, 103, 200);
        assertThat(heads).extracting(ResponseHead::interim).containsExactly(true, true, false);
        assertThat(heads).extracting(ResponseHead::requestMethod).containsOnly("POST");
        assertThat(events.summary()).hasSize(5); // three heads, one body, one end
        assertThat(events.bodies()).containsExactly("ok");
    }

    @ParameterizedTest
    @EnumSource(Feed.Mode.class)
    void noBodyForHead204And304WhateverTheFieldsSay(Feed.Mode mode) {
        List<ResponseHead> heads = frame(mode,
                "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
                + "HTTP/1.1 204 No Content\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend", "HEAD", "HEAD", "GET", "DELETE", "GET");

        assertThat(heads).extracting(ResponseHead::framing).containsExactly(BodyFraming.NONE, BodyFraming.NONE,
                BodyFraming.NONE, BodyFraming.NONE, new BodyFraming.ContentLength(3));
        assertThat(events.bodies()).containsExactly("", "", "", "", "end");
    }

    @Test
    void serverSentEventsCloseDelimitedStreamEachEventAsItArrives() {
        frame(Feed.Mode.WHOLE, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                + "Cache-Control: no-cache\r\n\r\n", "GET");
        ResponseHead head = events.heads().getFirst();
        assertThat(head.eventStream()).isTrue();
        assertThat(head.framing()).isEqualTo(BodyFraming.UNTIL_CLOSE);
        assertThat(head.keepAlive()).isFalse();

        for (int i = 0; i < 30; i++) {
            int before = events.events.size();
            Feed.whole(framer, Feed.bytes("data: event " + i + "\n\n"));
            assertThat(events.events).hasSize(before + 1);
            assertThat(new String(((Recorder.Body) events.events.getLast()).bytes()))
                    .isEqualTo("data: event " + i + "\n\n");
        }
        assertThat(events.events.getLast()).isInstanceOf(Recorder.Body.class);
        framer.inputClosed();
        assertThat(events.events.getLast()).isInstanceOf(Recorder.End.class);
        assertThat(events.refusal()).isNull();
    }

    @Test
    void serverSentEventsChunkedStreamEvenPartialChunks() {
        frame(Feed.Mode.WHOLE, "HTTP/1.1 200 OK\r\nContent-Type: TEXT/EVENT-STREAM\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n", "GET");
        assertThat(events.heads().getFirst().eventStream()).isTrue();

        Feed.whole(framer, Feed.bytes("b\r\ndata: one\n\n"));
        assertThat(events.bodyParts()).isEqualTo(1);
        Feed.whole(framer, Feed.bytes("\r\n10\r\ndata: "));
        assertThat(events.bodyParts()).isEqualTo(2); // half a chunk is already out
        Feed.whole(framer, Feed.bytes("two.....\n\n\r\n0\r\n\r\n"));
        assertThat(events.refusal()).isNull();
        assertThat(events.bodies()).containsExactly("data: one\n\ndata: two.....\n\n");
        assertThat(events.heads().getFirst().keepAlive()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Feed.Mode.class)
    void http10Responses(Feed.Mode mode) {
        List<ResponseHead> heads = frame(mode, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n"
                + "\r\nokHTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", "GET", "GET");
        assertThat(heads).extracting(ResponseHead::keepAlive).containsExactly(true, false);

        Feed.whole(framer, Feed.bytes("HTTP/1.1 200 OK\r\n\r\n"));
        assertThat(events.refusal().code()).isEqualTo(RefusalCode.RESPONSE_AFTER_CLOSE);
        assertThat(events.refusal().status()).isEqualTo(502);
    }

    @Test
    void http10WithoutLengthReadsUntilClose() {
        frame(Feed.Mode.WHOLE, "HTTP/1.0 200 OK\r\n\r\nsome bytes", "GET");
        Feed.whole(framer, Feed.bytes(" and more"));
        framer.inputClosed();
        assertThat(events.heads().getFirst().framing()).isEqualTo(BodyFraming.UNTIL_CLOSE);
        assertThat(events.bodies()).containsExactly("some bytes and more");
    }

    @Test
    void writeToReproducesTheHead() {
        String head = "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n";
        frame(Feed.Mode.WHOLE, head, "GET");
        io.netty.buffer.ByteBuf out = io.netty.buffer.Unpooled.directBuffer();
        try {
            events.heads().getFirst().writeTo(out);
            assertThat(out.toString(java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo(head);
            assertThat(events.heads().getFirst().headLength()).isEqualTo(head.length());
            assertThat(events.heads().getFirst().fields().getAll("set-cookie")).containsExactly("a=1", "b=2");
        } finally {
            out.release();
        }
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                arguments("101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
                        "switching_protocols_refused"),
                arguments("TE and CL", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                        "te_cl_conflict"),
                arguments("two CL", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
                        "duplicate_content_length"),
                arguments("TE gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "chunked_not_final"),
                arguments("TE on 1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                        "transfer_encoding_http10"),
                arguments("status 4 digits", "HTTP/1.1 2000 OK\r\n\r\n", "invalid_status_line"),
                arguments("status 099", "HTTP/1.1 099 Odd\r\n\r\n", "invalid_status_code"),
                arguments("status 600", "HTTP/1.1 600 Odd\r\n\r\n", "invalid_status_code"),
                arguments("HTTP/2", "HTTP/2 200\r\n\r\n", "invalid_status_line"),
                arguments("HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", "http_version_not_supported"),
                arguments("not HTTP", "SSH-2.0-OpenSSH_9.6\r\n", "invalid_status_line"),
                arguments("empty line first", "\r\nHTTP/1.1 200 OK\r\n\r\n", "invalid_status_line"),
                arguments("bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "bare_lf"),
                arguments("obs-fold", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n", "obs_fold"),
                arguments("NUL in reason", "HTTP/1.1 200 O\u0000K\r\n\r\n", "invalid_status_line"),
                arguments("chunk without CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
                        "missing_chunk_crlf"),
                arguments("two responses for one request", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "unsolicited_response"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void badFramingIsRefusedWith502(String name, String response, String code) {
        for (Feed.Mode mode : Feed.Mode.values()) {
            Recorder<ResponseHead> recorder = new Recorder<>();
            Http1ResponseFramer f = new Http1ResponseFramer(Http1FramerSettings.RESPONSE_DEFAULTS, recorder);
            f.expectResponse("GET");
            mode.feed(f, Feed.bytes(response));
            assertThat(recorder.refusal()).as(mode + ": " + recorder.summary()).isNotNull();
            assertThat(recorder.refusal().code()).as(recorder.refusal().message()).isEqualTo(code);
            assertThat(recorder.refusal().status()).isEqualTo(502);
        }
    }

    @Test
    void responseBeforeAnyRequestIsUnsolicited() {
        Feed.whole(framer, Feed.bytes("HTTP/1.1 200 OK\r\n\r\n"));
        assertThat(events.refusal().code()).isEqualTo(RefusalCode.UNSOLICITED_RESPONSE);
        assertThat(events.heads()).isEmpty();
    }

    @Test
    void closeBeforeOrDuringAResponseIsTruncated() {
        framer.expectResponse("GET");
        framer.inputClosed();
        assertThat(events.refusal().code()).isEqualTo(RefusalCode.TRUNCATED_RESPONSE);

        Recorder<ResponseHead> other = new Recorder<>();
        Http1ResponseFramer f = new Http1ResponseFramer(Http1FramerSettings.RESPONSE_DEFAULTS, other);
        f.expectResponse("GET");
        Feed.whole(f, Feed.bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"));
        f.inputClosed();
        assertThat(other.refusal().code()).isEqualTo(RefusalCode.TRUNCATED_RESPONSE);
        assertThat(other.bodies()).isEmpty();
    }

    @Test
    void connectIsNeverExpected() {
        assertThatThrownBy(() -> framer.expectResponse("CONNECT")).hasMessageContaining("CONNECT");
    }
}
