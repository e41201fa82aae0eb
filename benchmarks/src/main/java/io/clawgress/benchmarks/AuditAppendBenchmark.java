package io.clawgress.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import io.clawgress.enforcement.audit.AuditKey;
import io.clawgress.enforcement.audit.AuditLog;
import io.clawgress.enforcement.audit.AuditSettings;
import io.clawgress.enforcement.audit.AuditVerifier;
import io.clawgress.enforcement.audit.CanonicalJson;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The audit writer (DESIGN.md §6). {@code writeBatch}: per record, the whole path from the data path's offer to the
 * bytes in the segment (page cache; fsync only at rotation and retention): queue hand-off, record body, RFC 8785
 * canonical JSON, SHA-256, the line, a signed checkpoint every 1000 records. {@code canonicalAndHash}: the verifier's
 * per-record work on a parsed record. {@code verify}: {@link AuditVerifier} over a 10,000-record log, per record.
 * Run: {@code scripts/bench.sh AuditAppend -bm avgt -tu us}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AuditAppendBenchmark {

    private static final int BATCH = 10_000;
    private static final Instant T0 = Instant.parse("2026-11-21T12:00:00Z");

    private Path tmp;
    private AuditLog log;
    private FlowRecord[] records;
    private JsonNode parsed;
    private MessageDigest sha256;
    private AuditVerifier verifier;
    private Path verifyDir;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        tmp = Files.createTempDirectory("audit-bench");
        AuditKey key = AuditKey.openOrCreate(tmp.resolve("state"));
        records = new FlowRecord[BATCH];
        for (int i = 0; i < BATCH; i++) {
            records[i] = flow("735b51e7-" + String.format("%016x", i));
        }
        log = AuditLog.open(AuditSettings.defaults(tmp.resolve("audit")).withQueueCapacity(4 * BATCH)
                .withRetention(512L * 1024 * 1024, Duration.ZERO), key, Clock.systemUTC());

        verifyDir = tmp.resolve("verify");
        AuditLog v = AuditLog.open(AuditSettings.defaults(verifyDir).withQueueCapacity(BATCH), key, Clock.systemUTC());
        for (FlowRecord r : records) {
            v.record(r);
        }
        if (!v.close(Duration.ofSeconds(60))) {
            throw new IllegalStateException("could not write the log to verify");
        }
        verifier = new AuditVerifier(List.of(key.publicKey()));
        Path first;
        try (Stream<Path> files = Files.list(verifyDir)) {
            first = files.filter(p -> p.toString().endsWith(".jsonl")).sorted().findFirst().orElseThrow();
        }
        try (Stream<String> lines = Files.lines(first)) {
            parsed = new ObjectMapper().readTree(lines.findFirst().orElseThrow());
        }
        sha256 = MessageDigest.getInstance("SHA-256");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        log.close(Duration.ofSeconds(60));
        try (Stream<Path> walk = Files.walk(tmp)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long writeBatch() {
        long target = log.written() + BATCH;
        for (FlowRecord r : records) {
            log.record(r);
        }
        while (log.written() < target) {
            if (log.dropped() > 0) {
                throw new IllegalStateException("dropped records: the queue is too small for the batch");
            }
            LockSupport.parkNanos(20_000); // leave the CPU to the writer thread
        }
        return target;
    }

    @Benchmark
    public byte[] canonicalAndHash() {
        return sha256.digest(CanonicalJson.bytes(parsed));
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public AuditVerifier.Result verify() throws IOException {
        return verifier.verify(verifyDir);
    }

    private static FlowRecord flow(String id) {
        InetSocketAddress dst = new InetSocketAddress("198.18.2.2", 443);
        return new FlowRecord(id, T0, new InetSocketAddress("198.18.1.2", 40000), dst,
                Optional.of(new Identity("research-bot", "research", null, "dev", null, AuthMethod.SUBNET, true)),
                "relay", "allowed by rule web: api.example.com:443 matches api.example.com, port in 443", "web",
                "static:4818446f985f", 74, 9200, Duration.ofNanos(339_565_000), Termination.COMPLETED, null,
                PeekFacts.tls("api.example.com", List.of("h2", "http/1.1"), false), dst);
    }
}
