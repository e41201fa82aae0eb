package io.clawgress.enforcement.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills (SIGKILL) a child JVM that commits bundle after bundle, at random moments, and checks after every kill that
 * the store reopens with a whole bundle active: the last one the child reported committed, or the one it was
 * committing. A child JVM spends most of its life starting (jnr-ffi binds liblmdb), so the kills run in two lanes,
 * each with its own store, to keep the test near half a minute.
 */
class PolicyStoreCrashTest {

    private static final int KILLS = 50;
    private static final int LANES = 2;
    private static final int MAX_DELAY_MILLIS = 300;

    @TempDir
    Path tmp;

    @Test
    void everyKillLeavesTheLastCommittedOrTheNextBundleActive() throws Exception {
        long seed = System.nanoTime();
        ExecutorService lanes = Executors.newFixedThreadPool(LANES);
        try {
            List<Future<Void>> results = new ArrayList<>();
            for (int lane = 0; lane < LANES; lane++) {
                Path laneDir = Files.createDirectories(tmp.resolve("lane-" + lane));
                SplittableRandom random = new SplittableRandom(seed + lane);
                String context = "seed " + seed + ", lane " + lane;
                results.add(lanes.submit(() -> {
                    killRepeatedly(laneDir, KILLS / LANES, random, context);
                    return null;
                }));
            }
            for (Future<Void> f : results) {
                f.get();
            }
        } finally {
            lanes.shutdownNow();
        }
    }

    private static void killRepeatedly(Path laneDir, int kills, SplittableRandom random, String laneContext)
            throws Exception {
        Path dir = laneDir.resolve("policy.lmdb");
        Path childTmp = Files.createDirectories(laneDir.resolve("tmp"));
        Path stderr = laneDir.resolve("child.stderr");
        long expectedAtLeast = 1;
        for (int kill = 0; kill < kills; kill++) {
            String context = laneContext + ", kill " + kill;
            long reported = runAndKill(dir, childTmp, stderr, random.nextLong(), random.nextInt(MAX_DELAY_MILLIS + 1),
                    context);
            assertThat(reported).as(context).isGreaterThanOrEqualTo(expectedAtLeast);

            try (PolicyStore store = PolicyStore.open(dir, StoreSettings.DEFAULTS)) {
                // active() re-hashes the bytes: a torn bundle would be StoreException CORRUPT.
                StoredBundle active = store.active().orElseThrow();
                assertThat(active.revision()).as(context).isIn(reported, reported + 1);
                assertThat(StoredBundle.sha256Hex(active.bytes())).as(context).isEqualTo(active.sha256());
                assertThat(active.bytes()).as(context).hasSize(CrashChild.PAYLOAD_BYTES);
                // The history entry was appended in the same transaction as the active pointer.
                assertThat(store.history(1).get(0).revision()).as(context).isEqualTo(active.revision());
                assertThat(store.revisions()).as(context).startsWith(active.revision()).hasSizeLessThanOrEqualTo(5);
                expectedAtLeast = active.revision() + 1;
            }
        }
    }

    /** Starts a child, waits for its first commit, kills it after {@code delayMillis}; returns its last report. */
    private static long runAndKill(Path dir, Path childTmp, Path stderr, long childSeed, int delayMillis,
                                   String context) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(inheritedJvmFlags());
        // liblmdb and jffi's stub are extracted to java.io.tmpdir and deleted only on a clean exit. C1 only, serial
        // GC: the child starts faster.
        cmd.addAll(List.of("-Djava.io.tmpdir=" + childTmp, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(),
                dir.toString(), Long.toString(childSeed)));
        Process child = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
                .start();
        AtomicLong last = new AtomicLong(0);
        CountDownLatch first = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("committed ")) {
                        last.set(Long.parseLong(line.substring("committed ".length())));
                        first.countDown();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!first.await(20, TimeUnit.MILLISECONDS)) {
                if (!child.isAlive() || System.nanoTime() > deadline) {
                    fail("child committed nothing (exit: " + (child.isAlive() ? "none within 30 s" : child.exitValue())
                            + "; " + context + "):\n" + tail(stderr));
                }
            }
            Thread.sleep(delayMillis);
        } finally {
            // SIGKILL through the handle: Process.destroyForcibly() would also close our end of the pipe, losing
            // "committed" lines the child wrote just before it died.
            child.toHandle().destroyForcibly();
            child.waitFor();
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        return last.get();
    }

    private static String tail(Path file) throws IOException {
        List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    /** The flags this JVM got that the child needs too (native access, add-opens), whatever the JDK. */
    private static List<String> inheritedJvmFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("--enable-native-access")
                        || a.startsWith("--sun-misc-unsafe-memory-access"))
                .toList();
    }
}
