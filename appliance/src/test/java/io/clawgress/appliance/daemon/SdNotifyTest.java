package io.clawgress.appliance.daemon;

import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * sd_notify against a real unix datagram socket bound by the test (as systemd binds its notification socket), by
 * path and in the abstract namespace; the watchdog's rules; and that notification never throws or blocks.
 */
class SdNotifyTest {

    private static final long PID = ProcessHandle.current().pid();

    private Path dir;
    private UnixDatagramChannel receiver;
    private String socket;

    @BeforeEach
    void bind() throws IOException {
        // A short directory: sun_path holds 108 bytes.
        dir = Files.createTempDirectory(Path.of("/tmp"), "sdn-");
        socket = dir.resolve("notify.sock").toString();
        receiver = UnixDatagramChannel.open();
        receiver.bind(new UnixSocketAddress(socket));
    }

    @AfterEach
    void close() throws IOException {
        receiver.close();
        Files.deleteIfExists(Path.of(socket));
        Files.deleteIfExists(dir);
    }

    private String receive() throws Exception {
        // Blocking receive off the test thread, bounded.
        CompletableFuture<String> f = CompletableFuture.supplyAsync(() -> {
            try {
                ByteBuffer buf = ByteBuffer.allocate(4096);
                receiver.receive(buf);
                buf.flip();
                return StandardCharsets.UTF_8.decode(buf).toString();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return f.get(5, TimeUnit.SECONDS);
    }

    @Test
    void sendsEachStateAsOneDatagramToAPathSocket() throws Exception {
        try (SdNotify n = SdNotify.fromEnvironment(Map.of(SdNotify.NOTIFY_SOCKET, socket), PID)) {
            assertThat(n.enabled()).isTrue();
            assertThat(n.ready("serving on 0.0.0.0:15001")).isTrue();
            assertThat(receive()).isEqualTo("READY=1\nSTATUS=serving on 0.0.0.0:15001");
            assertThat(n.stopping("draining 3\nconnection(s)")).isTrue();
            assertThat(receive()).as("a newline in a status would start a new assignment")
                    .isEqualTo("STOPPING=1\nSTATUS=draining 3 connection(s)");
            assertThat(n.watchdog()).isTrue();
            assertThat(receive()).isEqualTo("WATCHDOG=1");
        }
    }

    @Test
    void reloadingCarriesClockMonotonicInMicroseconds() throws Exception {
        try (SdNotify n = SdNotify.fromEnvironment(Map.of(SdNotify.NOTIFY_SOCKET, socket), PID)) {
            long before = TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
            assertThat(n.reloading("reloading /etc/clawgress/clawgress.yaml")).isTrue();
            long after = TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
            String[] lines = receive().split("\n");
            assertThat(lines).hasSize(3);
            assertThat(lines[0]).isEqualTo("RELOADING=1");
            assertThat(lines[1]).startsWith("MONOTONIC_USEC=");
            assertThat(lines[2]).isEqualTo("STATUS=reloading /etc/clawgress/clawgress.yaml");
            long usec = Long.parseLong(lines[1].substring("MONOTONIC_USEC=".length()));
            // HotSpot on Linux reads System.nanoTime from CLOCK_MONOTONIC too; the native read must fall in between.
            assertThat(usec).isBetween(before - 1000, after + 1000);
        }
    }

    @Test
    void theAbstractNamespaceIsNamedWithAnAt() throws Exception {
        String name = "clawgress-test-" + UUID.randomUUID();
        try (UnixDatagramChannel abstractReceiver = UnixDatagramChannel.open()) {
            abstractReceiver.bind(new UnixSocketAddress("\0" + name));
            try (SdNotify n = SdNotify.fromEnvironment(Map.of(SdNotify.NOTIFY_SOCKET, "@" + name), PID)) {
                assertThat(n.ready("up")).isTrue();
            }
            ByteBuffer buf = ByteBuffer.allocate(256);
            CompletableFuture<Void> got = CompletableFuture.runAsync(() -> {
                try {
                    abstractReceiver.receive(buf);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            got.get(5, TimeUnit.SECONDS);
            buf.flip();
            assertThat(StandardCharsets.UTF_8.decode(buf).toString()).isEqualTo("READY=1\nSTATUS=up");
        }
    }

    @Test
    void withoutNotifySocketEverythingIsANoOp() {
        SdNotify n = SdNotify.fromEnvironment(Map.of(SdNotify.WATCHDOG_USEC, "1000000"), PID);
        assertThat(n.enabled()).isFalse();
        assertThat(n.ready("x")).isFalse();
        assertThat(n.watchdog()).isFalse();
        assertThat(SdNotify.disabled().enabled()).isFalse();
    }

    @Test
    void anUnusableSocketNameTurnsNotificationOffInsteadOfFailing() {
        for (String bad : new String[] {"relative/notify.sock", "@", "vsock:2:1234", "/tmp/a\nb",
                "/" + "x".repeat(SdNotify.MAX_ADDRESS_BYTES)}) {
            SdNotify n = SdNotify.fromEnvironment(Map.of(SdNotify.NOTIFY_SOCKET, bad), PID);
            assertThat(n.enabled()).as(bad).isFalse();
        }
    }

    @Test
    void theWatchdogAppliesOnlyToTheProcessWatchdogPidNames() {
        Map<String, String> base = Map.of(SdNotify.NOTIFY_SOCKET, socket, SdNotify.WATCHDOG_USEC, "3000000");
        assertThat(SdNotify.fromEnvironment(base, PID).watchdogInterval()).contains(Duration.ofSeconds(3));
        assertThat(SdNotify.fromEnvironment(with(base, SdNotify.WATCHDOG_PID, Long.toString(PID)), PID)
                .watchdogInterval()).contains(Duration.ofSeconds(3));
        assertThat(SdNotify.fromEnvironment(with(base, SdNotify.WATCHDOG_PID, Long.toString(PID + 1)), PID)
                .watchdogInterval()).isEmpty();
        assertThat(SdNotify.fromEnvironment(with(base, SdNotify.WATCHDOG_PID, "init"), PID).watchdogInterval())
                .isEmpty();
        assertThat(SdNotify.fromEnvironment(with(base, SdNotify.WATCHDOG_USEC, "0"), PID).watchdogInterval())
                .isEmpty();
        assertThat(SdNotify.fromEnvironment(with(base, SdNotify.WATCHDOG_USEC, "soon"), PID).watchdogInterval())
                .isEmpty();
    }

    @Test
    void aSocketNobodyListensOnFailsQuietly() throws IOException {
        receiver.close();
        Files.deleteIfExists(Path.of(socket));
        try (SdNotify n = SdNotify.fromEnvironment(Map.of(SdNotify.NOTIFY_SOCKET, socket), PID)) {
            assertThat(n.ready("x")).isFalse();
            assertThat(n.watchdog()).as("still no exception on the second failure").isFalse();
        }
    }

    @Test
    @Timeout(30)
    void aFullReceiveQueueDropsTheMessageInsteadOfBlocking() {
        try (SdNotify n = SdNotify.fromEnvironment(Map.of(SdNotify.NOTIFY_SOCKET, socket), PID)) {
            // Nobody reads: the kernel queues datagrams up to the receiver's limit, then a blocking send would wait.
            int sent = 0;
            boolean dropped = false;
            for (int i = 0; i < 100_000 && !dropped; i++) {
                if (n.watchdog()) {
                    sent++;
                } else {
                    dropped = true;
                }
            }
            assertThat(dropped).as("after %d queued datagrams", sent).isTrue();
            assertThat(sent).isPositive();
        }
    }

    @Test
    void closedNotifierSendsNothing() {
        SdNotify n = SdNotify.fromEnvironment(Map.of(SdNotify.NOTIFY_SOCKET, socket), PID);
        n.close();
        assertThat(n.ready("x")).isFalse();
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        java.util.HashMap<String, String> m = new java.util.HashMap<>(base);
        m.put(key, value);
        return m;
    }
}
