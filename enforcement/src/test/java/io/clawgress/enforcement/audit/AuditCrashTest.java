package io.clawgress.enforcement.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.clawgress.enforcement.audit.AuditFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Kills (SIGKILL) a child JVM that writes audit records under load, restarts it on the same directory, and checks
 * after every kill that the log verifies (a torn last line at most), that every record the child reported written
 * is on disk, and that each run's records form an unbroken prefix: a crash loses at most the queue.
 */
class AuditCrashTest {

    private static final int KILLS = 4;

    @TempDir
    Path tmp;

    @Test
    void killMinus9LosesAtMostTheQueueAndTheChainContinuesAfterRestart() throws Exception {
        Path dir = tmp.resolve("audit");
        Path state = tmp.resolve("state");
        SplittableRandom random = new SplittableRandom(System.nanoTime());
        for (int run = 0; run < KILLS; run++) {
            String context = "run " + run;
            long reported = runAndKill(dir, state, "r" + run, random.nextInt(300), context);
            AuditKey key = AuditKey.openOrCreate(state);
            AuditVerifier.Result r = verify(dir, key);
            assertThat(r.outcome()).as(context + ": " + r.finding()).isNotEqualTo(AuditVerifier.Outcome.BROKEN);

            String prefix = "r" + run + "-";
            List<Integer> ids = new ArrayList<>();
            for (Line l : ofType(lines(dir), "flow")) {
                String id = l.record().get("flow_id").asText();
                if (id.startsWith(prefix)) {
                    ids.add(Integer.parseInt(id.substring(prefix.length())));
                }
            }
            assertThat(ids.size()).as(context).isGreaterThanOrEqualTo((int) reported);
            for (int i = 0; i < ids.size(); i++) {
                assertThat(ids.get(i)).as(context + ": record " + i).isEqualTo(i);
            }
        }
        AuditKey key = AuditKey.openOrCreate(state);
        AuditLog log = AuditLog.open(AuditSettings.defaults(dir).withRetention(0, Duration.ZERO), key,
                Clock.systemUTC());
        log.record(flow("after"));
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        AuditVerifier.Result r = verify(dir, key);
        assertThat(r.outcome()).as(String.valueOf(r.finding())).isEqualTo(AuditVerifier.Outcome.OK);
        assertThat(r.firstSeq()).isEqualTo(1);
    }

    /** Starts a child, waits until it reported records on disk, kills it after {@code delayMillis}. */
    private static long runAndKill(Path dir, Path state, String prefix, int delayMillis, String context)
            throws Exception {
        Path stderr = dir.resolveSibling("child.stderr");
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                AuditCrashChild.class.getName(), dir.toString(), state.toString(), prefix);
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
                .start();
        AtomicLong last = new AtomicLong();
        CountDownLatch some = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("written ")) {
                        last.set(Long.parseLong(line.substring("written ".length())));
                        if (last.get() > 0) {
                            some.countDown();
                        }
                    }
                }
            } catch (IOException e) {
                // the child died mid-line
            }
        });
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!some.await(20, TimeUnit.MILLISECONDS)) {
                if (!child.isAlive() || System.nanoTime() > deadline) {
                    fail(context + ": the child wrote nothing:\n"
                            + (Files.exists(stderr) ? Files.readString(stderr) : ""));
                }
            }
            Thread.sleep(delayMillis);
        } finally {
            // SIGKILL through the handle, so our end of the pipe stays open for the last reports.
            child.toHandle().destroyForcibly();
            child.waitFor();
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        return last.get();
    }
}
