package io.clawgress.enforcement.agents;

import static io.clawgress.enforcement.agents.AgentFixture.agent;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the daemon relies on: {@code clawgressctl} writes the registry from another process while the daemon has it
 * open, and the daemon sees each commit — generation and records — by polling, without reopening. The child JVM
 * ({@link AgentRegistryChild}) answers each command only after its commit returned, so every assertion here is about
 * a committed write; none waits on a timer except the watcher, which is awaited through its listener.
 */
class AgentRegistryCrossProcessTest {

    private static final long TIMEOUT_SECONDS = 60;

    @TempDir
    Path tmp;

    @Test
    void aWriterInAnotherProcessIsSeenWithoutReopening() throws Exception {
        Path dir = AgentRegistry.directoryIn(tmp);
        BlockingQueue<AgentDirectory> published = new LinkedBlockingQueue<>();
        try (AgentRegistry registry = AgentRegistry.open(dir);
             AgentDirectoryWatcher watcher = AgentDirectoryWatcher.start(registry, Duration.ofMillis(10),
                     (previous, current) -> published.add(current));
             Child child = Child.start(dir, tmp)) {
            registry.add(agent("parent-1"));
            assertThat(child.await("ready ")).as("the child sees the parent's write").isEqualTo("ready 1");

            // 1. A record added by the child: generation and record visible as soon as its commit returned.
            assertThat(child.call("add child-1")).isEqualTo("generation 2");
            assertThat(registry.generation()).isEqualTo(2);
            assertThat(registry.get("child-1")).contains(agent("child-1"));
            assertThat(awaitGeneration(published, 2).isActive("child-1")).isTrue();
            assertThat(watcher.current().generation()).isEqualTo(2);

            // 2. A disable by the child reaches the data path's directory.
            assertThat(child.call("disable parent-1 leaked key")).isEqualTo("generation 3");
            AgentDirectory afterDisable = awaitGeneration(published, 3);
            assertThat(afterDisable.isActive("parent-1")).isFalse();
            assertThat(afterDisable.lookup("parent-1").statusReason()).isEqualTo("leaked key");
            assertThat(watcher.current().isActive("parent-1")).isFalse();

            // 3. While the child commits 50 adds, every snapshot the parent takes is one whole commit.
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger snapshots = new AtomicInteger();
            AtomicReference<Throwable> torn = new AtomicReference<>();
            Thread reader = Thread.ofPlatform().name("parent-reader").start(() -> {
                try {
                    while (!stop.get()) {
                        AgentDirectory d = registry.snapshot();
                        assertThat(d.size()).as("generation " + d.generation()).isEqualTo(d.generation() - 1);
                        snapshots.incrementAndGet();
                    }
                } catch (Throwable t) {
                    torn.set(t);
                }
            });
            assertThat(child.call("burst b 50")).isEqualTo("generation 53");
            stop.set(true);
            reader.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
            assertThat(torn.get()).isNull();
            assertThat(snapshots.get()).isPositive();
            assertThat(registry.snapshot().size()).isEqualTo(52);

            // 4. And the other way round: the parent writes while the child has the registry open.
            assertThat(registry.add(agent("parent-2"))).isEqualTo(54);
            assertThat(child.call("get parent-2")).isEqualTo("agent parent-2 active 54");
            assertThat(child.call("get parent-1")).isEqualTo("agent parent-1 disabled 54");
            assertThat(awaitGeneration(published, 54).size()).isEqualTo(53);

            assertThat(child.exit()).as(child.stderr()).isZero();
        }
    }

    @Test
    void aProcessWithALargerMapIsFollowed() throws Exception {
        Path dir = AgentRegistry.directoryIn(tmp);
        // This process maps 128 KiB (as an older release with a smaller MAP_SIZE_BYTES might); the child maps
        // MAP_SIZE_BYTES and writes more than 128 KiB. LMDB then answers this process's next transaction with
        // MDB_MAP_RESIZED; the registry adopts the larger size and retries, once.
        int smallMap = 128 * 1024;
        try (AgentRegistry registry = AgentRegistry.open(dir, AgentFixture.CLOCK, smallMap);
             Child child = Child.start(dir, tmp)) {
            assertThat(child.await("ready ")).isEqualTo("ready 0");
            assertThat(child.call("fill big 200")).isEqualTo("generation 200");
            assertThat(Files.size(dir.resolve("data.mdb"))).isGreaterThan(smallMap);

            assertThat(registry.generation()).isEqualTo(200);
            assertThat(registry.mapSizeAdoptions()).isEqualTo(1);
            assertThat(registry.snapshot().size()).isEqualTo(200);
            assertThat(registry.add(agent("parent-1"))).isEqualTo(201);
            assertThat(child.call("get parent-1")).isEqualTo("agent parent-1 active 201");
            assertThat(child.exit()).as(child.stderr()).isZero();
        }
    }

    private static AgentDirectory awaitGeneration(BlockingQueue<AgentDirectory> published, long generation)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            AgentDirectory d = published.poll(1, TimeUnit.SECONDS);
            if (d != null && d.generation() == generation) {
                return d;
            }
        }
        throw new AssertionError("the watcher did not publish generation " + generation + " within "
                + TIMEOUT_SECONDS + " s");
    }

    /** The child JVM, its stdin as a command channel and its stdout as a queue of answers. */
    private static final class Child implements AutoCloseable {
        private final Process process;
        private final PrintWriter commands;
        private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        private final Path stderr;

        private Child(Process process, Path stderr) {
            this.process = process;
            this.stderr = stderr;
            this.commands = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8),
                    true);
            Thread.ofPlatform().daemon().name("child-stdout").start(() -> {
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        answers.add(line);
                    }
                } catch (IOException e) {
                    answers.add("stdout failed: " + e);
                }
            });
        }

        static Child start(Path dir, Path tmp) throws IOException {
            Path childTmp = Files.createDirectories(tmp.resolve("child-tmp"));
            Path stderr = tmp.resolve("child.stderr");
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElseThrow());
            cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                    .filter(a -> a.startsWith("--add-opens") || a.startsWith("--enable-native-access")
                            || a.startsWith("--sun-misc-unsafe-memory-access"))
                    .toList());
            // liblmdb is extracted to java.io.tmpdir; C1 only and serial GC start the child faster.
            cmd.addAll(List.of("-Djava.io.tmpdir=" + childTmp, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), AgentRegistryChild.class.getName(), dir.toString()));
            Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
            return new Child(p, stderr);
        }

        /** The next line, which must start with {@code prefix}. */
        String await(String prefix) throws InterruptedException, IOException {
            String line = answers.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (line == null || !line.startsWith(prefix)) {
                throw new AssertionError("child: " + (line == null ? "no answer within " + TIMEOUT_SECONDS + " s"
                        : "'" + line + "'") + " (expected: " + prefix + "...; alive: " + process.isAlive() + ")\n"
                        + stderr());
            }
            return line;
        }

        String call(String command) throws InterruptedException, IOException {
            commands.println(command);
            return await("");
        }

        int exit() throws InterruptedException {
            commands.println("exit");
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("child did not exit within " + TIMEOUT_SECONDS + " s");
            }
            return process.exitValue();
        }

        String stderr() throws IOException {
            return Files.exists(stderr) ? Files.readString(stderr) : "";
        }

        @Override
        public void close() throws InterruptedException {
            commands.close();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.toHandle().destroyForcibly();
                process.waitFor();
            }
        }
    }
}
