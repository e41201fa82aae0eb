package io.clawgress.appliance.daemon;

import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The watchdog pings only while every event loop runs a no-op in time: a wedged loop (here, one blocked on a latch)
 * stops the pings, so systemd would restart the daemon; once it answers again, pings resume.
 */
class WatchdogTest {

    private Path dir;
    private String socket;
    private UnixDatagramChannel receiver;
    private EventLoopGroup loops;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "wdg-");
        socket = dir.resolve("notify.sock").toString();
        receiver = UnixDatagramChannel.open();
        receiver.bind(new UnixSocketAddress(socket));
        receiver.configureBlocking(false);
        loops = new DefaultEventLoopGroup(2);
    }

    @AfterEach
    void tearDown() throws IOException {
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        receiver.close();
        Files.deleteIfExists(Path.of(socket));
        Files.deleteIfExists(dir);
    }

    /** Like TransparentProxy#probeEventLoops: a no-op on every loop of the group. */
    private Supplier<CompletableFuture<Void>> probe() {
        return () -> {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (EventExecutor loop : loops) {
                CompletableFuture<Void> one = new CompletableFuture<>();
                try {
                    loop.execute(() -> one.complete(null));
                } catch (RejectedExecutionException e) {
                    one.completeExceptionally(e);
                }
                all.add(one);
            }
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
        };
    }

    private List<String> drain() throws IOException {
        List<String> got = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.allocate(512);
        while (true) {
            try {
                if (receiver.receive(buf) == null) {
                    return got;
                }
            } catch (IOException e) {
                // jnr-unixsocket reports EAGAIN on a non-blocking socket as an exception: nothing more queued
                if (String.valueOf(e.getMessage()).contains("temporarily unavailable")) {
                    return got;
                }
                throw e;
            }
            buf.flip();
            got.add(StandardCharsets.UTF_8.decode(buf).toString());
            buf.clear();
        }
    }

    private SdNotify notifier(String watchdogUsec) {
        return SdNotify.fromEnvironment(Map.of(SdNotify.NOTIFY_SOCKET, socket, SdNotify.WATCHDOG_USEC,
                watchdogUsec), ProcessHandle.current().pid());
    }

    @Test
    void pingsWhileEveryLoopAnswersAndSkipsWhileOneIsWedged() throws Exception {
        try (SdNotify n = notifier("400000"); Watchdog w = Watchdog.start(n, probe())) {
            assertThat(w.active()).isTrue();
            w.tick();
            assertThat(drain()).contains("WATCHDOG=1");

            CountDownLatch release = new CountDownLatch(1);
            loops.next().execute(() -> {
                try {
                    release.await(); // a blocking call on an event loop: the loop is wedged
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Thread.sleep(300); // a round that probed before the wedge has pinged by now
            drain();
            // Each probe submits to every loop; the wedged one never runs it within the bound (100 ms here).
            for (int i = 0; i < 3; i++) {
                w.tick();
            }
            assertThat(drain()).as("no ping while a loop is wedged").doesNotContain("WATCHDOG=1");

            release.countDown();
            Thread.sleep(50);
            w.tick();
            assertThat(drain()).as("pings resume once the loop answers").contains("WATCHDOG=1");
        }
    }

    @Test
    void stoppedLoopsStopThePings() throws Exception {
        try (SdNotify n = notifier("400000"); Watchdog w = Watchdog.start(n, probe())) {
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            // The timer's own first round starts at once and may have probed before the shutdown: it has pinged
            // within its bound (200 ms here). Every round after the shutdown is refused by the loops.
            Thread.sleep(300);
            drain();
            w.tick();
            Thread.sleep(300); // the timer's own rounds meanwhile (one every 200 ms) are refused too
            assertThat(drain()).doesNotContain("WATCHDOG=1");
        }
    }

    @Test
    void pingsOnItsOwnAtHalfTheInterval() throws Exception {
        try (SdNotify n = notifier("200000"); Watchdog w = Watchdog.start(n, probe())) {
            Thread.sleep(1000);
            // 100 ms period over about a second; generous bounds, only "it pings by itself, repeatedly" matters.
            assertThat(drain().stream().filter("WATCHDOG=1"::equals).count()).isBetween(3L, 20L);
        }
    }

    @Test
    void withoutWatchdogUsecNothingRuns() {
        try (SdNotify n = SdNotify.fromEnvironment(Map.of(SdNotify.NOTIFY_SOCKET, socket),
                ProcessHandle.current().pid()); Watchdog w = Watchdog.start(n, probe())) {
            assertThat(w.active()).isFalse();
        }
    }
}
