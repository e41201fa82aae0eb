package io.clawgress.benchmarks;

import io.clawgress.tproxy.peek.ClientHelloParser;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Parse cost of each real ClientHello in the corpus ({@code tproxy/src/test/resources/clienthello/}, captured from
 * real clients by {@code tproxy/scripts/capture-clienthellos.sh}), whole, from a direct buffer. DESIGN.md §8:
 * at most 500 ns, aim 100 ns. Run from the repository root: {@code scripts/bench.sh ClientHelloCorpus}; another
 * corpus directory with {@code -jvmArgsAppend -Dclawgress.corpus=DIR}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ClientHelloCorpusBenchmark {

    private static final int LIMIT = 16 * 1024;

    @Param({"curl-default", "curl-http1.1", "openssl-tls13", "openssl-tls12", "openssl-nosni",
            "openssl-maxfrag-longname", "python-ssl", "node-tls", "java-sslsocket", "java-httpclient",
            "chromium-headless"})
    String entry;

    private ByteBuf hello;

    @Setup
    public void setUp() throws IOException {
        Path dir = Path.of(System.getProperty("clawgress.corpus", "tproxy/src/test/resources/clienthello"));
        byte[] bytes = Files.readAllBytes(dir.resolve(entry + ".bin"));
        hello = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
        if (!(ClientHelloParser.parse(hello, LIMIT) instanceof PeekResult.Tls)) {
            throw new IllegalStateException(entry + " does not parse as a ClientHello");
        }
    }

    @TearDown
    public void tearDown() {
        hello.release();
    }

    @Benchmark
    public PeekResult parse() {
        return ClientHelloParser.parse(hello, LIMIT);
    }
}
