package io.clawgress.enforcement.activation.source;

import io.clawgress.enforcement.activation.source.DropDirectorySource.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DropDirectorySourceTest {

    private static final Instant NOW = Instant.parse("2025-01-02T03:04:05.678Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final String STAMP = "@20250102T030405.678Z";
    private static final Duration FAST = Duration.ofMillis(50);
    /** So long that only a watch event can trigger a scan within a test. */
    private static final Duration NEVER = Duration.ofHours(1);

    @TempDir
    Path tmp;

    private final RecordingSink sink = new RecordingSink();

    @Test
    void fileRenamedInIsOfferedExactlyOnceAndMovedToProcessed() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("drop"));
        try (var source = new DropDirectorySource(new Settings(dir, 1000, NEVER, 20), sink, CLOCK)) {
            source.start();
            dropByRename(dir, "first.tar.gz", "one");
            Await.until("first offered and moved", () -> Files.exists(dir.resolve("processed/first.tar.gz" + STAMP)));
            dropByRename(dir, "second.bundle", "two");
            Await.until("second offered and moved", () -> Files.exists(dir.resolve("processed/second.bundle" + STAMP)));

            assertThat(sink.contents()).containsExactly("one", "two");
            assertThat(sink.offered.getFirst().source()).isEqualTo("drop:" + dir.resolve("first.tar.gz"));
            assertThat(sink.offered.getFirst().receivedAt()).isEqualTo(NOW);
            assertThat(names(dir)).containsExactly("processed");
            assertThat(source.offeredCount()).isEqualTo(2);
            assertThat(source.refusedCount()).isZero();
        }
    }

    @Test
    void stagingNamesAndOtherFilesAreLeftAlone() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("drop"));
        List<String> ignored = List.of(".hidden.tar.gz", "x.tar.gz.tmp", "x.tar.gz.partial", "y.partial", "z.tmp",
                "notes.txt", "x.tgz", "x.tar");
        for (String name : ignored) {
            Files.writeString(dir.resolve(name), name);
        }
        try (var source = new DropDirectorySource(new Settings(dir, 1000, FAST, 20), sink, CLOCK)) {
            source.start();
            dropByRename(dir, "real.tar.gz", "real");
            Await.until("real offered", () -> Files.exists(dir.resolve("processed/real.tar.gz" + STAMP)));
            long scans = source.scanCount();
            Await.until("two more scans", () -> source.scanCount() >= scans + 2);

            assertThat(sink.contents()).containsExactly("real");
            assertThat(names(dir)).containsExactlyInAnyOrderElementsOf(
                    Stream.concat(ignored.stream(), Stream.of("processed")).toList());
        }
    }

    @Test
    void fileOverTheCapGoesToFailed() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("drop"));
        try (var source = new DropDirectorySource(new Settings(dir, 10, FAST, 20), sink, CLOCK)) {
            source.start();
            dropByRename(dir, "big.tar.gz", "01234567890");
            Await.until("big moved to failed/", () -> Files.exists(dir.resolve("failed/big.tar.gz" + STAMP)));

            assertThat(sink.offered).isEmpty();
            assertThat(source.refusedCount()).isEqualTo(1);
            assertThat(Files.readString(dir.resolve("failed/big.tar.gz" + STAMP))).isEqualTo("01234567890");
        }
    }

    @Test
    void fifoAndDirectoryWithABundleNameGoToFailedWithoutBeingOpened() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("drop"));
        Fifos.create(dir.resolve("pipe.tar.gz"));
        Files.createDirectory(dir.resolve("dir.bundle"));
        try (var source = new DropDirectorySource(new Settings(dir, 1000, FAST, 20), sink, CLOCK)) {
            source.start();
            Await.until("both moved to failed/", () -> Files.exists(dir.resolve("failed/pipe.tar.gz" + STAMP))
                    && Files.exists(dir.resolve("failed/dir.bundle" + STAMP)));
            assertThat(sink.offered).isEmpty();
            assertThat(source.refusedCount()).isEqualTo(2);
        }
    }

    @Test
    void throwingSinkMovesTheFileToFailed() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("drop"));
        BundleSink failing = c -> {
            throw new IllegalStateException("queue full");
        };
        try (var source = new DropDirectorySource(new Settings(dir, 1000, FAST, 20), failing, CLOCK)) {
            source.start();
            dropByRename(dir, "x.tar.gz", "x");
            Await.until("x moved to failed/", () -> Files.exists(dir.resolve("failed/x.tar.gz" + STAMP)));
            assertThat(source.refusedCount()).isEqualTo(1);
        }
    }

    @Test
    void directoryThatAppearsLaterIsPickedUp() throws IOException {
        Path dir = tmp.resolve("drop");
        try (var source = new DropDirectorySource(new Settings(dir, 1000, FAST, 20), sink, CLOCK)) {
            source.start();
            Await.until("a scan that found no directory", () -> source.scanCount() >= 1);
            assertThat(source.directoryPresent()).isFalse();

            Files.createDirectory(dir);
            dropByRename(dir, "late.tar.gz", "late");
            Await.until("late offered", () -> sink.size() == 1);
            assertThat(source.directoryPresent()).isTrue();
            assertThat(sink.contents()).containsExactly("late");
        }
    }

    @Test
    void fileThereBeforeStartIsPickedUp() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("drop"));
        Files.writeString(dir.resolve("early.tar.gz"), "early");
        try (var source = new DropDirectorySource(new Settings(dir, 1000, NEVER, 20), sink, CLOCK)) {
            source.start();
            Await.until("early offered", () -> sink.size() == 1);
            assertThat(sink.contents()).containsExactly("early");
        }
    }

    @Test
    void rescanFindsFilesWithoutAnyWatchEvent() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("drop"));
        try (var source = new DropDirectorySource(new Settings(dir, 1000, FAST, 20), sink, CLOCK, false)) {
            source.start();
            Await.until("first scan", () -> source.scanCount() >= 1);
            dropByRename(dir, "missed.tar.gz", "missed");
            Await.until("missed offered", () -> sink.size() == 1);
            assertThat(sink.contents()).containsExactly("missed");
        }
    }

    @Test
    void oldestMtimeFirstAndOnlyTheNewestKeptInProcessed() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("drop"));
        Instant t0 = Instant.parse("2024-06-01T00:00:00Z");
        writeWithMtime(dir.resolve("a.tar.gz"), "a", t0.plusSeconds(20));
        writeWithMtime(dir.resolve("b.tar.gz"), "b", t0.plusSeconds(30));
        writeWithMtime(dir.resolve("c.tar.gz"), "c", t0.plusSeconds(10));
        try (var source = new DropDirectorySource(new Settings(dir, 1000, NEVER, 2), sink, new TickingClock(NOW))) {
            source.start();
            Await.until("three offered", () -> sink.size() == 3);
            Await.until("all moved", () -> names(dir).equals(List.of("processed")));

            assertThat(sink.contents()).containsExactly("c", "a", "b");
            // Each move reads the ticking clock, so the three got distinct stamps; c, the oldest move, was pruned.
            assertThat(names(dir.resolve("processed")))
                    .extracting(n -> n.substring(0, n.indexOf('@')))
                    .containsExactly("a.tar.gz", "b.tar.gz");
        }
    }

    @Test
    void settingsSayWhatTheyExpect() {
        Path dir = tmp.resolve("drop");
        assertThatThrownBy(() -> new Settings(dir, 0, FAST, 20))
                .hasMessage("maxBytes: 0 (expected: > 0 and <= 1073741824)");
        assertThatThrownBy(() -> new Settings(dir, 10, FAST, 0))
                .hasMessage("keep: 0 (expected: >= 1 and <= 10000)");
        assertThatThrownBy(() -> new Settings(dir, 10, Duration.ZERO, 1))
                .hasMessage("rescanInterval: PT0S (expected: >= PT0.01S)");
        assertThat(Settings.of(dir)).isEqualTo(new Settings(dir, 32L << 20, Duration.ofSeconds(5), 20));
    }

    @Test
    void bundleNames() {
        assertThat(Stream.of("a.tar.gz", "a.bundle", "x.y.tar.gz", ".a.tar.gz", ".bundle", "a.tar.gz.tmp",
                "a.partial", "a.tgz", "a.BUNDLE").filter(DropDirectorySource::isBundleName))
                .containsExactly("a.tar.gz", "a.bundle", "x.y.tar.gz");
    }

    /** The documented protocol: write under an ignored name in the same filesystem, then rename into place. */
    private static void dropByRename(Path dir, String name, String content) throws IOException {
        Path staged = Files.writeString(dir.resolve("." + name + ".tmp"), content, StandardCharsets.UTF_8);
        Files.move(staged, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writeWithMtime(Path file, String content, Instant mtime) throws IOException {
        Files.writeString(file, content);
        Files.setLastModifiedTime(file, FileTime.from(mtime));
    }

    private static List<String> names(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of("<" + e + ">");
        }
    }

    /** Advances one second on every read, so successive moves get distinct timestamps. */
    private static final class TickingClock extends Clock {
        private final AtomicLong millis;

        TickingClock(Instant start) {
            millis = new AtomicLong(start.toEpochMilli());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.addAndGet(1000));
        }
    }
}
