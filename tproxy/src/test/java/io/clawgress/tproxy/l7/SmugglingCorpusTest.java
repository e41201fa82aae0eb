package io.clawgress.tproxy.l7;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Request-smuggling corpus (RFC 9112 §6.3, §11.2; the CL.TE / TE.CL / TE.TE families and obfuscations from James
 * Kettle's "HTTP Desync Attacks" and PortSwigger's labs, plus chunk-framing and line-ending variants): every payload
 * is refused with its exact code and status, fed whole, byte by byte and in random splits, and no request head is
 * ever emitted from the smuggled part (e.g. the {@code G} after a CL.TE body never becomes a {@code GPOST} request).
 */
class SmugglingCorpusTest {

    private static final String HOST = "Host: a.example\r\n";

    /** name, bytes (ISO-8859-1), code, status, methods of the heads emitted before the refusal. */
    static Stream<Arguments> corpus() {
        List<Arguments> c = new ArrayList<>();
        // ---- CL.TE and TE.CL (RFC 9112 §6.3 item 3) ----
        add(c, "CL.TE", "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\nG", "te_cl_conflict", 400);
        add(c, "CL.TE GPOST", "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 13\r\nTransfer-Encoding: chunked\r\n"
                + "\r\n0\r\n\r\nSMUGGLED", "te_cl_conflict", 400);
        add(c, "TE.CL", "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
                + "8\r\nSMUGGLED\r\n0\r\n\r\n", "te_cl_conflict", 400);
        add(c, "TE.CL with GET smuggled", "POST / HTTP/1.1\r\n" + HOST + "Content-length: 4\r\nTransfer-Encoding: "
                + "chunked\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\nContent-Type: x\r\nContent-Length: 15\r\n\r\nx=1\r\n0\r\n"
                + "\r\n", "te_cl_conflict", 400);
        add(c, "TE.TE xchunked + CL", "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 4\r\nTransfer-Encoding: "
                + "xchunked\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\n\r\n", "te_cl_conflict", 400);
        add(c, "TE.TE chunked + x + CL", "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n"
                + "Transfer-Encoding: x\r\nContent-Length: 4\r\n\r\n0\r\n\r\nG", "te_cl_conflict", 400);
        add(c, "Transfer_Encoding (CGI reads it as TE) + CL", "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 5\r\n"
                + "Transfer_Encoding: chunked\r\n\r\n0\r\n\r\nG", "invalid_field_name", 400);
        add(c, "Content_Length", "POST / HTTP/1.1\r\n" + HOST + "Content_Length: 5\r\n\r\nGPOST", "invalid_field_name",
                400);
        // ---- TE obfuscations (TE.TE) ----
        add(c, "TE xchunked", te("xchunked"), "chunked_not_final", 400);
        add(c, "TE SP before colon", "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
                "whitespace_before_colon", 400);
        add(c, "TE HTAB before colon", "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n",
                "whitespace_before_colon", 400);
        add(c, "TE chunked + TE x", "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n"
                + "Transfer-Encoding: x\r\n\r\n0\r\n\r\n", "duplicate_transfer_encoding", 400);
        add(c, "TE chunked twice (equal)", "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "duplicate_transfer_encoding", 400);
        add(c, "leading SP on first field (obs-fold)", "POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\n" + HOST
                + "\r\n0\r\n\r\n", "obs_fold", 400);
        add(c, "leading SP on a later field (obs-fold)", "POST / HTTP/1.1\r\n" + HOST + " Transfer-Encoding: "
                + "chunked\r\n\r\n0\r\n\r\n", "obs_fold", 400);
        add(c, "obs-fold continuing TE", "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding:\r\n chunked\r\n\r\n"
                + "0\r\n\r\n", "obs_fold", 400);
        add(c, "X: X[LF]Transfer-Encoding (bare LF)", "POST / HTTP/1.1\r\n" + HOST + "X: X\nTransfer-Encoding: "
                + "chunked\r\n\r\n0\r\n\r\n", "bare_lf", 400);
        add(c, "Transfer-Encoding[LF]: chunked", "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding\n: chunked\r\n"
                + "\r\n0\r\n\r\n", "bare_lf", 400);
        add(c, "TE quoted", te("\"chunked\""), "invalid_transfer_encoding", 400);
        add(c, "TE chunked, identity", te("chunked, identity"), "chunked_not_final", 400);
        add(c, "TE identity, chunked", te("identity, chunked"), "unsupported_transfer_coding", 501);
        add(c, "TE gzip, chunked", te("gzip, chunked"), "unsupported_transfer_coding", 501);
        add(c, "TE chunked;x", te("chunked;x"), "invalid_transfer_encoding", 400);
        add(c, "TE chunked; q=1", te("chunked; q=1"), "invalid_transfer_encoding", 400);
        add(c, "TE chunk", te("chunk"), "chunked_not_final", 400);
        add(c, "TE chunked, chunked", te("chunked, chunked"), "chunked_not_final", 400);
        add(c, "TE chunked trailing comma", te("chunked,"), "invalid_transfer_encoding", 400);
        add(c, "TE leading comma", te(", chunked"), "invalid_transfer_encoding", 400);
        add(c, "TE empty", te(""), "invalid_transfer_encoding", 400);
        add(c, "TE non-ASCII", te("\u00ffchunked"), "invalid_transfer_encoding", 400);
        add(c, "TE chunked + NBSP", te("chunked\u00a0"), "invalid_transfer_encoding", 400);
        add(c, "TE chunked + VT", te("chunked\u000b"), "invalid_field_value", 400);
        add(c, "TE NUL", te("\u0000chunked"), "invalid_field_value", 400);
        add(c, "TE ch unked", te("ch unked"), "invalid_transfer_encoding", 400);
        add(c, "TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "transfer_encoding_http10", 400);
        // ---- Content-Length ----
        add(c, "CL twice, equal", "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n"
                + "hello", "duplicate_content_length", 400);
        add(c, "CL twice, different", "POST / HTTP/1.1\r\n" + HOST + "Content-Length: 0\r\nContent-Length: 5\r\n"
                + "\r\nGPOST", "duplicate_content_length", 400);
        add(c, "CL list", cl("5, 5"), "invalid_content_length", 400);
        add(c, "CL +5", cl("+5"), "invalid_content_length", 400);
        add(c, "CL -1", cl("-1"), "invalid_content_length", 400);
        add(c, "CL leading zero", cl("05"), "invalid_content_length", 400);
        add(c, "CL space inside", cl("1 0"), "invalid_content_length", 400);
        add(c, "CL hex", cl("0x5"), "invalid_content_length", 400);
        add(c, "CL empty", cl(""), "invalid_content_length", 400);
        add(c, "CL overflow", cl("99999999999999999999"), "invalid_content_length", 400);
        add(c, "CL 2^63", cl("9223372036854775808"), "invalid_content_length", 400);
        add(c, "CL space before colon", "POST / HTTP/1.1\r\n" + HOST + "Content-Length : 5\r\n\r\nhello",
                "whitespace_before_colon", 400);
        // ---- bytes in heads ----
        add(c, "NUL in a header value", "GET / HTTP/1.1\r\n" + HOST + "X-A: a\u0000b\r\n\r\n", "invalid_field_value",
                400);
        add(c, "DEL in a header value", "GET / HTTP/1.1\r\n" + HOST + "X-A: a\u007fb\r\n\r\n", "invalid_field_value",
                400);
        add(c, "bare LF ends the request line", "GET / HTTP/1.1\n" + HOST + "\r\n", "bare_lf", 400);
        add(c, "bare LF ends the head", "GET / HTTP/1.1\r\n" + HOST + "\n", "bare_lf", 400);
        add(c, "bare CR in the request line", "GET / HTTP/1.1\r" + HOST + "\r\n", "bare_cr", 400);
        add(c, "bare CR in a field value", "GET / HTTP/1.1\r\n" + HOST + "X-A: a\rTransfer-Encoding: chunked\r\n"
                + "\r\n", "bare_cr", 400);
        add(c, "bare CR in a field name", "GET / HTTP/1.1\r\n" + HOST + "X-A\r: a\r\n\r\n", "bare_cr", 400);
        add(c, "invalid byte in a field name", "GET / HTTP/1.1\r\n" + HOST + "X[A]: a\r\n\r\n", "invalid_field_name",
                400);
        add(c, "field line without colon (SP)", "GET / HTTP/1.1\r\n" + HOST + "Transfer-Encoding chunked\r\n\r\n",
                "invalid_field_name", 400);
        add(c, "empty field name", "GET / HTTP/1.1\r\n" + HOST + ": a\r\n\r\n", "invalid_field_name", 400);
        add(c, "empty line before the request line", "\r\nGET / HTTP/1.1\r\n" + HOST + "\r\n",
                "invalid_request_line", 400);
        // ---- Host ----
        add(c, "missing Host", "GET / HTTP/1.1\r\n\r\n", "missing_host", 400);
        add(c, "two Host fields", "GET / HTTP/1.1\r\n" + HOST + "Host: b.example\r\n\r\n", "duplicate_host", 400);
        add(c, "Host with userinfo", "GET / HTTP/1.1\r\nHost: a@b.example\r\n\r\n", "invalid_host", 400);
        add(c, "Host with space", "GET / HTTP/1.1\r\nHost: a.example b.example\r\n\r\n", "invalid_host", 400);
        add(c, "absolute-form naming another host", "GET http://b.example/ HTTP/1.1\r\n" + HOST + "\r\n",
                "host_mismatch", 400);
        add(c, "absolute-form naming another port", "GET http://a.example:8080/ HTTP/1.1\r\n" + HOST + "\r\n",
                "host_mismatch", 400);
        // ---- request line ----
        add(c, "two SPs", "GET  / HTTP/1.1\r\n" + HOST + "\r\n", "invalid_request_line", 400);
        add(c, "HTAB separator", "GET\t/ HTTP/1.1\r\n" + HOST + "\r\n", "invalid_method", 400);
        add(c, "fragment in target", "GET /a#b HTTP/1.1\r\n" + HOST + "\r\n", "invalid_request_target", 400);
        add(c, "method of 21 bytes", "ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\r\n" + HOST + "\r\n", "invalid_method", 400);
        add(c, "lower-case version", "GET / http/1.1\r\n" + HOST + "\r\n", "invalid_version", 400);
        add(c, "HTTP/1.10", "GET / HTTP/1.10\r\n" + HOST + "\r\n", "invalid_version", 400);
        add(c, "HTTP/1.2", "GET / HTTP/1.2\r\n" + HOST + "\r\n", "http_version_not_supported", 505);
        add(c, "HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "http_version_not_supported", 505);
        add(c, "HTTP/0.9", "GET /\r\n", "invalid_request_line", 400);
        add(c, "CONNECT", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", "connect_not_supported",
                501);
        add(c, "Upgrade h2c", "GET / HTTP/1.1\r\n" + HOST + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n", "upgrade_not_supported", 501);
        add(c, "Upgrade websocket", "GET /chat HTTP/1.1\r\n" + HOST + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                "upgrade_not_supported", 501);
        // ---- chunk framing (RFC 9112 §7.1) ----
        addChunked(c, "chunk-size 0x10", "0x10\r\n0123456789abcdef\r\n0\r\n\r\n", "invalid_chunk_size", 400);
        addChunked(c, "chunk-size -1", "-1\r\n0\r\n\r\n", "invalid_chunk_size", 400);
        addChunked(c, "chunk-size empty", "\r\nhello\r\n0\r\n\r\n", "invalid_chunk_size", 400);
        addChunked(c, "chunk-size with SP", "5 \r\nhello\r\n0\r\n\r\n", "invalid_chunk_size", 400);
        addChunked(c, "chunk-size 17 hex digits", "00000000000000005\r\nhello\r\n0\r\n\r\n",
                "chunk_size_overflow", 400);
        addChunked(c, "chunk-size 2^64-1", "ffffffffffffffff\r\nhello\r\n0\r\n\r\n", "chunk_size_overflow", 400);
        addChunked(c, "chunk-size 2^63", "8000000000000000\r\nhello\r\n0\r\n\r\n", "chunk_size_overflow", 400);
        addChunked(c, "chunk-size bare LF", "5\nhello\r\n0\r\n\r\n", "bare_lf", 400);
        addChunked(c, "chunk-size bare CR", "5\rhello\r\n0\r\n\r\n", "bare_cr", 400);
        addChunked(c, "chunk data without CRLF", "5\r\nhelloGET / HTTP/1.1\r\n" + HOST + "\r\n0\r\n\r\n",
                "missing_chunk_crlf", 400);
        addChunked(c, "chunk data then bare LF", "5\r\nhello\n0\r\n\r\n", "bare_lf", 400);
        addChunked(c, "chunk data then bare CR", "5\r\nhello\r0\r\n\r\n", "bare_cr", 400);
        addChunked(c, "chunk-ext with LF (TERM.EXT)", "5;a\nxx\r\n0\r\n\r\nGET /x HTTP/1.1\r\n" + HOST + "\r\n",
                "bare_lf", 400);
        addChunked(c, "chunk-ext BWS", "5 ;a=b\r\nhello\r\n0\r\n\r\n", "invalid_chunk_size", 400);
        addChunked(c, "chunk-ext SP after ;", "5; a=b\r\nhello\r\n0\r\n\r\n", "invalid_chunk_extension", 400);
        addChunked(c, "chunk-ext empty name", "5;\r\nhello\r\n0\r\n\r\n", "invalid_chunk_extension", 400);
        addChunked(c, "chunk-ext CR in quoted value", "5;a=\"x\ry\"\r\nhello\r\n0\r\n\r\n",
                "invalid_chunk_extension", 400);
        addChunked(c, "chunk-ext LF in quoted value", "5;a=\"x\ny\"\r\nhello\r\n0\r\n\r\n", "bare_lf", 400);
        addChunked(c, "chunk-ext too long", "5;a=" + "x".repeat(300) + "\r\nhello\r\n0\r\n\r\n",
                "chunk_extension_too_long", 400);
        addChunked(c, "trailer with Content-Length", "5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n",
                "forbidden_trailer_field", 400);
        addChunked(c, "trailer with Transfer-Encoding", "0\r\nTransfer-Encoding: chunked\r\n\r\n",
                "forbidden_trailer_field", 400);
        addChunked(c, "trailer with Host", "0\r\nHost: b.example\r\n\r\n", "forbidden_trailer_field", 400);
        addChunked(c, "trailer obs-fold", "0\r\nX-T: a\r\n b\r\n\r\n", "obs_fold", 400);
        addChunked(c, "trailer bare LF", "0\r\nX-T: a\n\r\n", "bare_lf", 400);
        addChunked(c, "trailer too large", "0\r\nX-T: " + "a".repeat(9000) + "\r\n\r\n", "trailer_too_large",
                400);
        // ---- limits ----
        add(c, "head of 17 KiB", "GET / HTTP/1.1\r\n" + HOST + "X-Big: " + "a".repeat(17 * 1024) + "\r\n\r\n",
                "head_too_large", 431);
        add(c, "head line without end", "GET / HTTP/1.1\r\n" + HOST + "X-A: " + "b".repeat(16400),
                "head_too_large", 431);
        add(c, "101 fields", "GET / HTTP/1.1\r\n" + HOST + "X-A: b\r\n".repeat(100) + "\r\n", "too_many_fields",
                431);
        // ---- pipelined: the first request passes, the attack after it does not ----
        add(c, "GET then CL.TE", "GET / HTTP/1.1\r\n" + HOST + "\r\nPOST / HTTP/1.1\r\n" + HOST + "Content-Length: "
                + "6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", "te_cl_conflict", 400, "GET");
        add(c, "request after Connection: close", "GET / HTTP/1.1\r\n" + HOST + "Connection: close\r\n\r\n"
                + "GET /admin HTTP/1.1\r\n" + HOST + "\r\n", "request_after_close", 400, "GET");
        add(c, "request after HTTP/1.0", "GET / HTTP/1.0\r\n\r\nGET /admin HTTP/1.1\r\n" + HOST + "\r\n",
                "request_after_close", 400, "GET");
        add(c, "chunked body hiding a request", "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n" + HOST + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n",
                "duplicate_content_length", 400, "POST");
        return c.stream();
    }

    private static void add(List<Arguments> c, String name, String request, String code, int status,
                            String... heads) {
        c.add(arguments(name, request, code, status, List.of(heads)));
    }

    private static String te(String value) {
        return "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: " + value + "\r\n\r\n0\r\n\r\n";
    }

    private static String cl(String value) {
        return "POST / HTTP/1.1\r\n" + HOST + "Content-Length: " + value + "\r\n\r\nhello";
    }

    private static void addChunked(List<Arguments> c, String name, String body, String code, int status) {
        add(c, name, chunked(body), code, status, "POST"); // the head was emitted; the body is cut short
    }

    private static String chunked(String body) {
        return "POST / HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n" + body;
    }

    /** Each payload whole, byte by byte and in random splits; then split in two at every offset (or ~500). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void refusedWithItsCode(String name, String request, String code, int status, List<String> headsBefore) {
        byte[] bytes = Feed.bytes(request);
        List<String> whole = null;
        for (Feed.Mode mode : Feed.Mode.values()) {
            Recorder<RequestHead> events = new Recorder<>();
            Http1RequestFramer framer = new Http1RequestFramer(Http1FramerSettings.REQUEST_DEFAULTS, events);
            mode.feed(framer, bytes);
            framer.inputClosed();

            Refusal refusal = events.refusal();
            assertThat(refusal).as(mode + ": " + events.summary()).isNotNull();
            assertThat(refusal.code()).as(mode + ": " + refusal.message()).isEqualTo(code);
            assertThat(refusal.status()).as(mode.toString()).isEqualTo(status);
            assertThat(events.heads()).as(mode.toString()).extracting(RequestHead::method)
                    .containsExactlyElementsOf(headsBefore);
            assertThat(events.events.getLast()).isInstanceOf(Recorder.Refused.class);
            assertThat(framer.isRefused()).isTrue();
            if (whole == null) {
                whole = events.summary();
            } else {
                assertThat(events.summary()).as(mode.toString()).isEqualTo(whole);
            }
        }
        int step = bytes.length <= 1000 ? 1 : bytes.length / 499;
        for (int at = 1; at < bytes.length; at += step) {
            assertThat(run(bytes, at)).as("split at " + at).isEqualTo(whole);
        }
    }

    /**
     * The events when the bytes arrive in two pieces. Heap buffers here (not leak-tracked, so hundreds of splits stay
     * cheap); the direct-buffer runs above are the ones that prove every body part is released.
     */
    private static List<String> run(byte[] bytes, int splitAt) {
        Recorder<RequestHead> events = new Recorder<>();
        Http1RequestFramer framer = new Http1RequestFramer(Http1FramerSettings.REQUEST_DEFAULTS, events);
        framer.feed(Unpooled.wrappedBuffer(bytes, 0, splitAt));
        framer.feed(Unpooled.wrappedBuffer(bytes, splitAt, bytes.length - splitAt));
        return events.summary();
    }
}
