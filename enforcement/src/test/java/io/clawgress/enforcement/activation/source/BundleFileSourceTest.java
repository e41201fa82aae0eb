package io.clawgress.enforcement.activation.source;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

class BundleFileSourceTest {

    private static final Instant NOW = Instant.parse("2025-01-02T03:04:05Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path tmp;

    private final RecordingSink sink = new RecordingSink();

    @Test
    void missingFileYieldsNothingAndSaysWhy() {
        Path file = tmp.resolve("bundle.tar.gz");
        try (var source = new BundleFileSource(file, 100, sink, CLOCK)) {
            assertThat(source.readOnce()).isEmpty();
            assertThat(source.lastRefusal()).startsWith("MISSING: no such file").contains(file.toString());
            assertThat(source.start()).isFalse();
            assertThat(sink.offered).isEmpty();
            assertThat(source.refusedCount()).isEqualTo(2);
        }
    }

    @Test
    void fileOverTheCapIsRefused() throws IOException {
        Path file = Files.write(tmp.resolve("bundle.tar.gz"), new byte[101]);
        try (var source = new BundleFileSource(file, 100, sink, CLOCK)) {
            assertThat(source.start()).isFalse();
            assertThat(source.lastRefusal()).isEqualTo("TOO_BIG: " + file + " has 101 bytes (expected: <= 100)");
            assertThat(sink.offered).isEmpty();
        }
    }

    @Test
    void fileAtTheCapIsOfferedOnceWithItsSource() throws IOException {
        byte[] bytes = new byte[100];
        bytes[0] = 0x1f;
        Path file = Files.write(tmp.resolve("bundle.tar.gz"), bytes);
        try (var source = new BundleFileSource(file, 100, sink, CLOCK)) {
            assertThat(source.start()).isTrue();
            assertThat(sink.offered).singleElement().satisfies(c -> {
                assertThat(c.bytes()).isEqualTo(bytes);
                assertThat(c.source()).isEqualTo("file:" + file);
                assertThat(c.receivedAt()).isEqualTo(NOW);
            });
            assertThat(source.lastRefusal()).isNull();
            assertThat(source.offeredCount()).isEqualTo(1);
        }
    }

    @Test
    void symlinkToARegularFileIsFollowed() throws IOException {
        Path target = Files.write(tmp.resolve("release-7.tar.gz"), new byte[] {1, 2, 3});
        Path link = Files.createSymbolicLink(tmp.resolve("bundle.tar.gz"), target);
        try (var source = new BundleFileSource(link, 100, sink, CLOCK)) {
            assertThat(source.readOnce()).hasValueSatisfying(c -> {
                assertThat(c.bytes()).containsExactly(1, 2, 3);
                assertThat(c.source()).isEqualTo("file:" + link);
            });
        }
    }

    @Test
    void directoryOrSymlinkToOneIsRefused() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("d"));
        Path link = Files.createSymbolicLink(tmp.resolve("bundle.tar.gz"), dir);
        for (Path p : new Path[] {dir, link}) {
            try (var source = new BundleFileSource(p, 100, sink, CLOCK)) {
                assertThat(source.readOnce()).isEmpty();
                assertThat(source.lastRefusal()).startsWith("NOT_REGULAR: " + p + " is a directory");
            }
        }
    }

    @Test
    void fifoIsRefusedWithoutBeingOpened() throws Exception {
        Path fifo = Fifos.create(tmp.resolve("bundle.tar.gz"));
        try (var source = new BundleFileSource(fifo, 100, sink, CLOCK)) {
            // Opening a FIFO with no writer would block this thread forever.
            assertThat(source.readOnce()).isEmpty();
            assertThat(source.lastRefusal()).startsWith("NOT_REGULAR: " + fifo + " is a special file");
        }
    }

    @Test
    void throwingSinkIsCountedNotRethrown() throws IOException {
        Path file = Files.write(tmp.resolve("bundle.tar.gz"), new byte[] {1});
        BundleSink failing = c -> {
            throw new IllegalStateException("queue full");
        };
        try (var source = new BundleFileSource(file, 100, failing, CLOCK)) {
            assertThat(source.start()).isFalse();
            assertThat(source.refusedCount()).isEqualTo(1);
            assertThat(source.offeredCount()).isZero();
        }
    }
}
