package io.clawgress.benchmarks;

import io.clawgress.intercept.ca.InterceptCa;
import io.clawgress.intercept.ca.InterceptNames;
import io.clawgress.intercept.ca.LeafMinter;
import io.clawgress.intercept.ca.MintedLeaf;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Leaf minting for TLS interception (issue 5): what a new intercepted name costs (a P-256 key, a signed leaf, the
 * cache insertion and, once the cache is full, an eviction), and what a cached name costs on the event loop (the
 * name check, the cache lookup and a completed future). The mint runs on the calling thread here; the daemon runs
 * it on an off-loop executor. Run: {@code scripts/bench.sh LeafMint}.
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LeafMintBenchmark {

    private static final Executor SAME_THREAD = Runnable::run;

    private Path stateDir;
    private LeafMinter minter;
    private long next;

    @Setup
    public void setUp() throws Exception {
        stateDir = Files.createTempDirectory("clawgress-leafmint-bench");
        InterceptCa ca = InterceptCa.openOrCreate(InterceptCa.directoryIn(stateDir), Clock.systemUTC());
        minter = new LeafMinter(ca.issueIntermediate(InterceptNames.of(List.of("api.example.com", "*.bench.example")),
                Duration.ofDays(7)), LeafMinter.Settings.DEFAULTS, Clock.systemUTC());
        minter.mint("api.example.com", SAME_THREAD).join();
    }

    @TearDown
    public void tearDown() throws IOException {
        try (Stream<Path> files = Files.walk(stateDir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A name never seen before: always a miss. After 10k names every mint also evicts the eldest leaf. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public MintedLeaf mintUncached() {
        return minter.mint("h" + next++ + ".bench.example", SAME_THREAD).join();
    }

    /**
     * For comparison: a P-256 key from the JDK's provider. The minter generates its keys, and signs, with
     * BouncyCastle's lightweight API instead, which is about twice as fast on CPUs without AVX-512.
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public KeyPair jdkP256KeyGeneration() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /** The same name again: a cache hit, what the event loop pays per connection to an already minted name. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public MintedLeaf cacheHit() {
        return minter.mint("api.example.com", SAME_THREAD).join();
    }
}
