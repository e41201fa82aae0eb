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

import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * Cost of peeking a complete ClientHello (DESIGN.md §3 step 3): a 517-byte hello as curl 7.88 with OpenSSL 3.0 sends
 * it (TLS 1.3 + 1.2 suites, SNI, ALPN h2 and http/1.1, supported_versions, an x25519 key share, padding to 512),
 * held in a direct buffer. {@code records=1} is the common in-place case; {@code records=2} splits the hello over two
 * records, which costs a copy. Also the cost of one call while the hello is still incomplete (the price of each
 * extra TCP segment). Run: {@code scripts/bench.sh ClientHello}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ClientHelloParseBenchmark {

    /**
     * The handshake message (512 bytes) from {@code ClientHelloBuilder.curlLike("api.example.com")} in the tproxy
     * tests, which matches a captured curl 7.88 / OpenSSL 3.0.19 ClientHello byte for byte except random, session
     * id and key share.
     */
    static final String CURL_OPENSSL3_HELLO = ""
            + "010001fc03034242424242424242424242424242424242424242424242424242424242424242205e5e5e5e5e5e5e5e5e"
            + "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e003e130213031301c02cc030009fcca9cca8ccaac02bc02f00"
            + "9ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff010001750000001400"
            + "1200000f6170692e6578616d706c652e636f6d000b000403000102000a00160014001d0017001e001900180100010101"
            + "02010301040010000e000c02683208687474702f312e31001600000017000000310000000d002a002804030503060308"
            + "0708080809080a080b080408050806040105010601030303010302040205020602002b0009080304030303020301002d"
            + "00020101003300260024001d0020dededededededededededededededededededededededededededededededede0015"
            + "00ae00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            + "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            + "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000";

    private static final int LIMIT = 16 * 1024;

    @Param({"1", "2"})
    int records;

    private ByteBuf complete;
    private ByteBuf incomplete;

    @Setup
    public void setUp() {
        byte[] message = HexFormat.of().parseHex(CURL_OPENSSL3_HELLO);
        complete = Unpooled.directBuffer(message.length + 5 * records);
        int offset = 0;
        for (int r = 0; r < records; r++) {
            int length = message.length / records + (r < message.length % records ? 1 : 0);
            complete.writeByte(22).writeShort(0x0301).writeShort(length).writeBytes(message, offset, length);
            offset += length;
        }
        incomplete = complete.retainedSlice(0, complete.readableBytes() - 1);
        if (!(ClientHelloParser.parse(complete, LIMIT) instanceof PeekResult.Tls tls)
                || !"api.example.com".equals(tls.sni())
                || !(ClientHelloParser.parse(incomplete, LIMIT) instanceof PeekResult.NeedMore)) {
            throw new IllegalStateException("benchmark input does not parse as expected");
        }
    }

    @TearDown
    public void tearDown() {
        incomplete.release();
        complete.release();
    }

    @Benchmark
    public PeekResult complete() {
        return ClientHelloParser.parse(complete, LIMIT);
    }

    @Benchmark
    public PeekResult oneByteShort() {
        return ClientHelloParser.parse(incomplete, LIMIT);
    }
}
