package io.clawgress.benchmarks;

import io.clawgress.enforcement.bundle.BundleBuilder;
import io.clawgress.enforcement.bundle.BundleException;
import io.clawgress.enforcement.bundle.BundleReader;
import io.clawgress.enforcement.bundle.BundleVerifier;
import io.clawgress.enforcement.bundle.KeyGen;
import io.clawgress.enforcement.bundle.Limits;
import io.clawgress.enforcement.bundle.SigningAlg;
import io.clawgress.enforcement.bundle.TrustedKeys;
import io.clawgress.enforcement.bundle.UnpackedBundle;
import io.clawgress.enforcement.bundle.VerifiedBundle;
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
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Signed bundle verification, what a gateway does before it activates a bundle (DESIGN.md §5): {@code read} unpacks
 * the gzip'd tar within the limits (sizes, entry count, paths); {@code verify} checks the compact JWS of
 * {@code .signatures.json} against the trusted keys and every file's SHA-256 and the revision window; {@code
 * readAndVerify} is both, as an activation pays them. The bundle holds {@code policies} policy files of 100 rules
 * each (exact hosts, wildcards, CIDRs), signed with EdDSA or ES256. Not on the data path: it bounds how fast a new
 * bundle can take effect. Run: {@code scripts/bench.sh BundleVerify}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BundleVerifyBenchmark {

    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

    @Param({"EdDSA", "ES256"})
    String alg;

    @Param({"1", "10"})
    int policies;

    private byte[] gz;
    private UnpackedBundle unpacked;
    private TrustedKeys trusted;

    @Setup
    public void setUp() throws Exception {
        KeyGen.GeneratedKey key = KeyGen.generate(alg.equals("EdDSA") ? SigningAlg.EDDSA : SigningAlg.ES256,
                "bench");
        trusted = TrustedKeys.parse(KeyGen.keySetJson(List.of(key)).getBytes(StandardCharsets.UTF_8));
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int p = 0; p < policies; p++) {
            files.put("policies/p" + p + ".yaml", policy(p).getBytes(StandardCharsets.UTF_8));
        }
        gz = BundleBuilder.build(files, key.signingKey(), 7, NOW.minus(Duration.ofHours(1)),
                NOW.plus(Duration.ofDays(1)));
        unpacked = BundleReader.read(gz, Limits.DEFAULTS);
        BundleVerifier.verify(unpacked, trusted, NOW, 0, false);
    }

    static String policy(int p) {
        StringBuilder b = new StringBuilder("""
                apiVersion: clawgress.io/v1
                kind: Policy
                id: p%d
                priority: %d
                subjects: {team_id: [t%d]}
                rules:
                """.formatted(p, 10 + p % 10, p % 4));
        for (int r = 0; r < 100; r++) {
            String dest = switch (r % 3) {
                case 0 -> "{host: api%d-%d.example.com, ports: [443]}".formatted(p, r);
                case 1 -> "{host: \"*.svc%d-%d.example.net\", ports: [443]}".formatted(p, r);
                default -> "{cidr: 10.%d.%d.0/24}".formatted(p % 250, r);
            };
            b.append("  - {id: r").append(r).append(", action: allow, destinations: [").append(dest).append("]}\n");
        }
        return b.toString();
    }

    @Benchmark
    public UnpackedBundle read() throws BundleException {
        return BundleReader.read(gz, Limits.DEFAULTS);
    }

    @Benchmark
    public VerifiedBundle verify() throws BundleException {
        return BundleVerifier.verify(unpacked, trusted, NOW, 0, false);
    }

    @Benchmark
    public VerifiedBundle readAndVerify() throws BundleException {
        return BundleVerifier.verify(BundleReader.read(gz, Limits.DEFAULTS), trusted, NOW, 0, false);
    }
}
