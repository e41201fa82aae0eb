package io.clawgress.benchmarks;

import io.clawgress.tproxy.l7.Http1FramerSettings;
import io.clawgress.tproxy.l7.Http1Listener;
import io.clawgress.tproxy.l7.Http1RequestFramer;
import io.clawgress.tproxy.l7.Http1ResponseFramer;
import io.clawgress.tproxy.l7.HttpFields;
import io.clawgress.tproxy.l7.Refusal;
import io.clawgress.tproxy.l7.RequestHead;
import io.clawgress.tproxy.l7.RequestHeadWriter;
import io.clawgress.tproxy.l7.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Cost of framing one keep-alive request on the L7 gate (DESIGN.md §3 6b): a typical 600-byte request head with a
 * 1 KiB Content-Length body, whole in one direct buffer, through {@link Http1RequestFramer} (head copied and checked,
 * body passed on as a retained slice); the same body chunked; the head re-serialised without
 * {@code Proxy-Authorization}; and a response head with a 1 KiB body through {@link Http1ResponseFramer}. The framers
 * are reused across invocations, as on one connection. Run: {@code scripts/bench.sh Http1Framer}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class Http1FramerBenchmark {

    static final String HEAD = "POST /v1/chat/completions?stream=false&trace=agent-42 HTTP/1.1\r\n"
            + "Host: api.example.com\r\n"
            + "User-Agent: OpenAI/Python 1.51.0\r\n"
            + "Accept: application/json\r\n"
            + "Accept-Encoding: gzip, deflate\r\n"
            + "Content-Type: application/json\r\n"
            + "Authorization: Bearer sk-test-0123456789abcdef0123456789abcdef0123456789abcdef\r\n"
            + "Proxy-Authorization: Bearer eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJhZ2VudC00MiIsImF1ZCI6"
            + "ImNsYXdncmVzcyIsImV4cCI6MTc5OTk5OTk5OX0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJl\r\n"
            + "X-Stainless-Lang: python\r\n"
            + "X-Request-Id: 7f3c2a1e-9b4d-4e6f-8a2b-1c3d5e7f9a0b\r\n"
            + "Connection: keep-alive\r\n";

    private static final int BODY = 1024;

    private ByteBuf lengthRequest;
    private ByteBuf chunkedRequest;
    private ByteBuf response;
    private ByteBuf out;
    private Http1RequestFramer requests;
    private Http1RequestFramer chunkedRequests;
    private Http1ResponseFramer responses;
    private final RequestHeadWriter writer = RequestHeadWriter.removing("Proxy-Authorization");
    private final Sink<RequestHead> requestSink = new Sink<>();
    private final Sink<ResponseHead> responseSink = new Sink<>();
    private RequestHead head;

    /** Consumes events like a forwarding gate would: keeps the head, releases body parts, counts ends. */
    static final class Sink<H> implements Http1Listener<H> {
        H head;
        long bodyBytes;
        int ends;
        Refusal refusal;

        @Override
        public void onHead(H h) {
            head = h;
        }

        @Override
        public void onBodyPart(ByteBuf content) {
            bodyBytes += content.readableBytes();
            content.release();
        }

        @Override
        public void onEnd(HttpFields trailers) {
            ends++;
        }

        @Override
        public void onRefusal(Refusal r) {
            refusal = r;
        }
    }

    @Setup
    public void setUp() {
        String body = "x".repeat(BODY);
        lengthRequest = direct(HEAD + "Content-Length: " + BODY + "\r\n\r\n" + body);
        chunkedRequest = direct(HEAD + "Transfer-Encoding: chunked\r\n\r\n400\r\n" + body + "\r\n0\r\n\r\n");
        response = direct("HTTP/1.1 200 OK\r\nDate: Sat, 21 Nov 2026 15:00:00 GMT\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + BODY + "\r\nConnection: keep-alive\r\nx-request-id: req_0123456789abcdef\r\n"
                + "openai-processing-ms: 412\r\nstrict-transport-security: max-age=31536000\r\n\r\n" + body);
        out = Unpooled.directBuffer(1024);
        requests = new Http1RequestFramer(Http1FramerSettings.REQUEST_DEFAULTS, requestSink);
        chunkedRequests = new Http1RequestFramer(Http1FramerSettings.REQUEST_DEFAULTS, requestSink);
        responses = new Http1ResponseFramer(Http1FramerSettings.RESPONSE_DEFAULTS, responseSink);

        requests.feed(lengthRequest);
        head = requestSink.head;
        chunkedRequests.feed(chunkedRequest);
        responses.expectResponse("POST");
        responses.feed(response);
        int headLength = HEAD.length() + ("Content-Length: " + BODY + "\r\n\r\n").length();
        if (requestSink.refusal != null || responseSink.refusal != null || requestSink.ends != 2
                || responseSink.ends != 1 || requestSink.bodyBytes != 2L * BODY || head.headLength() != headLength
                || headLength < 580 || headLength > 640) {
            throw new IllegalStateException("benchmark input does not frame as expected: " + requestSink.refusal
                    + " " + responseSink.refusal + " head " + headLength + " bytes");
        }
    }

    private static ByteBuf direct(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
        return Unpooled.directBuffer(bytes.length).writeBytes(bytes);
    }

    @TearDown
    public void tearDown() {
        lengthRequest.release();
        chunkedRequest.release();
        response.release();
        out.release();
    }

    /** Head (≈600 bytes) and a 1 KiB Content-Length body, whole. */
    @Benchmark
    public RequestHead requestContentLength() {
        lengthRequest.readerIndex(0);
        requests.feed(lengthRequest);
        return requestSink.head;
    }

    /** The same head with the 1 KiB body as one chunk and the last chunk. */
    @Benchmark
    public RequestHead requestChunked() {
        chunkedRequest.readerIndex(0);
        chunkedRequests.feed(chunkedRequest);
        return requestSink.head;
    }

    /** Re-serialising the head without Proxy-Authorization. */
    @Benchmark
    public int writeHead() {
        out.clear();
        writer.write(head, out);
        return out.writerIndex();
    }

    /** A response head (≈330 bytes) and a 1 KiB Content-Length body. */
    @Benchmark
    public ResponseHead responseContentLength() {
        responses.expectResponse("POST");
        response.readerIndex(0);
        responses.feed(response);
        return responseSink.head;
    }
}
