package io.clawgress.enforcement.activation.source;

import io.clawgress.enforcement.activation.source.BoundedFileReader.Read;
import io.clawgress.enforcement.activation.source.BoundedFileReader.Refused;
import io.clawgress.enforcement.bundle.Limits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * One configured bundle file (e.g. {@code /etc/clawgress/bundle.tar.gz}), read when asked: at startup, and again on
 * whatever reload trigger the caller wires up. It has no thread: {@link #start()} and {@link #readOnce()} do blocking
 * disk I/O on the calling thread, which must not be an event loop.
 *
 * <p>A symbolic link is followed, and its target must be a regular file (so the usual "symlink to the current
 * release" layout works, while FIFOs and devices are refused). A missing file is not an error (the gateway may get its
 * bundle from another source): it yields nothing and a warning.
 */
public final class BundleFileSource implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BundleFileSource.class);

    /** 32 MiB: what the bundle reader accepts compressed. */
    public static final long DEFAULT_MAX_BYTES = Limits.DEFAULTS.maxCompressedBytes();

    private final Path path;
    private final long maxBytes;
    private final BundleSink sink;
    private final Clock clock;
    private final String source;
    private final LongAdder offered = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private volatile String lastRefusal;

    public BundleFileSource(Path path, BundleSink sink) {
        this(path, DEFAULT_MAX_BYTES, sink, Clock.systemUTC());
    }

    public BundleFileSource(Path path, long maxBytes, BundleSink sink, Clock clock) {
        this.path = Objects.requireNonNull(path, "path");
        this.maxBytes = SourceChecks.maxBytes(maxBytes);
        this.sink = Objects.requireNonNull(sink, "sink");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.source = "file:" + path;
    }

    /**
     * Reads the file and offers it to the sink if it could be read; calling thread. Returns whether something was
     * offered. Never throws for bad input or a failing sink (logged and counted).
     */
    public boolean start() {
        Optional<BundleCandidate> candidate = readOnce();
        if (candidate.isEmpty()) {
            return false;
        }
        if (SourceChecks.offer(sink, candidate.get(), LOG, offered)) {
            return true;
        }
        refused.increment();
        return false;
    }

    /** Reads the file without offering it; calling thread. Empty (and a warning logged) when it is refused. */
    public Optional<BundleCandidate> readOnce() {
        return switch (BoundedFileReader.read(path, maxBytes)) {
            case Read read -> {
                lastRefusal = null;
                yield Optional.of(new BundleCandidate(read.bytes(), source, clock.instant()));
            }
            case Refused r -> {
                refused.increment();
                lastRefusal = r.toString();
                LOG.warn("bundle candidate refused: source={} reason={}", source, r);
                yield Optional.empty();
            }
        };
    }

    /** Why the last {@link #readOnce()} yielded nothing ({@code REASON: message}), or null if it read the file. */
    public String lastRefusal() {
        return lastRefusal;
    }

    public long offeredCount() {
        return offered.sum();
    }

    public long refusedCount() {
        return refused.sum();
    }

    public Path path() {
        return path;
    }

    /** Nothing to release: the source has no thread and keeps no file open. */
    @Override
    public void close() {
    }
}
