package io.clawgress.benchmarks;

import io.clawgress.enforcement.agents.AgentDirectory;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentStatus;
import io.clawgress.enforcement.store.HistoryEntry;
import io.clawgress.enforcement.store.PolicyStore;
import io.clawgress.enforcement.store.StoreSettings;
import io.clawgress.enforcement.store.StoredBundle;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Reads from the two LMDB stores (lmdbjava): the policy store ({@code PolicyStore}: the active bundle, read at start
 * and by {@code bundle history}) and the agent registry ({@code AgentRegistry}: one agent by id, as an mTLS or JWT
 * identity is looked up, and the whole directory, as a change is picked up). Each call is a read transaction.
 * The registry holds {@code agents} agents; the store a 64 KiB bundle in each of its 5 generations.
 * Run: {@code scripts/bench.sh LmdbRead}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LmdbReadBenchmark {

    @Param({"1000"})
    int agents;

    private Path dir;
    private PolicyStore store;
    private AgentRegistry registry;
    private String[] ids;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("clawgress-lmdb-bench-");
        store = PolicyStore.open(dir.resolve("policy.lmdb"), StoreSettings.DEFAULTS);
        byte[] bundle = new byte[64 * 1024];
        Instant t = Instant.parse("2026-11-21T12:00:00Z");
        for (long rev = 1; rev <= 5; rev++) {
            bundle[0] = (byte) rev;
            StoredBundle b = StoredBundle.of(rev, bundle.clone(), "bench", "benchmark", t.plusSeconds(rev));
            store.commitActivation(b, new HistoryEntry(t.plusSeconds(rev), "benchmark", "bench", rev,
                    HistoryEntry.ACTIVATED, null, null));
        }
        registry = AgentRegistry.open(dir.resolve(AgentRegistry.DIRECTORY_NAME));
        ids = new String[agents];
        for (int i = 0; i < agents; i++) {
            ids[i] = "agent-" + i;
            registry.add(new AgentRecord(ids[i], "team-" + (i % 20), "project-" + (i % 50), "prod", "gold",
                    AgentStatus.ACTIVE, null, null, t, t));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        registry.close();
        store.close();
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public Optional<StoredBundle> policyStoreActive() throws Exception {
        return store.active();
    }

    @Benchmark
    public Optional<AgentRecord> agentById() throws Exception {
        return registry.get(ids[ThreadLocalRandom.current().nextInt(ids.length)]);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public AgentDirectory agentDirectorySnapshot() throws Exception {
        return registry.snapshot();
    }
}
