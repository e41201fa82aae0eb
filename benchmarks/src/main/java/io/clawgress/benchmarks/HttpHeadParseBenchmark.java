package io.clawgress.benchmarks;

import io.clawgress.tproxy.peek.HttpHeadParser;
import io.clawgress.tproxy.peek.PeekResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Cost of peeking a complete HTTP/1.1 request head (DESIGN.md §3 step 3) held in a direct buffer: {@code curl} is
 * the 4-line head curl sends (78 bytes), {@code browser} a 12-line head like a browser's (about 600 bytes). Also
 * the first-bytes check that picks the HTTP parser. Run: {@code scripts/bench.sh HttpHead}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HttpHeadParseBenchmark {

    static final String CURL = "GET /v1/models HTTP/1.1\r\n"
            + "Host: api.example.com\r\n"
            + "User-Agent: curl/8.5.0\r\n"
            + "Accept: */*\r\n"
            + "\r\n";

    static final String BROWSER = "GET /docs/getting-started?lang=en&utm_source=agent HTTP/1.1\r\n"
            + "Host: www.example.com\r\n"
            + "Connection: keep-alive\r\n"
            + "Upgrade-Insecure-Requests: 1\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            + "Chrome/126.0.0.0 Safari/537.36\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
            + "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n"
            + "Accept-Encoding: gzip, deflate\r\n"
            + "Accept-Language: en-US,en;q=0.9\r\n"
            + "Cache-Control: max-age=0\r\n"
            + "Cookie: session=3f2a9c1e7b4d8a6f0e5c2b1a; theme=dark\r\n"
            + "If-None-Match: \"5f8e2d1c\"\r\n"
            + "Referer: http://www.example.com/\r\n"
            + "\r\n";

    private static final int LIMIT = 16 * 1024;

    @Param({"curl", "browser"})
    String head;

    private ByteBuf buf;

    @Setup
    public void setUp() {
        byte[] bytes = ("curl".equals(head) ? CURL : BROWSER).getBytes(StandardCharsets.US_ASCII);
        buf = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
        if (!(HttpHeadParser.parse(buf, LIMIT) instanceof PeekResult.Http http) || http.host() == null
                || !Boolean.TRUE.equals(HttpHeadParser.looksLikeHttp(buf))) {
            throw new IllegalStateException("benchmark input does not parse as expected");
        }
    }

    @TearDown
    public void tearDown() {
        buf.release();
    }

    @Benchmark
    public PeekResult parse() {
        return HttpHeadParser.parse(buf, LIMIT);
    }

    @Benchmark
    public Boolean looksLikeHttp() {
        return HttpHeadParser.looksLikeHttp(buf);
    }
}
