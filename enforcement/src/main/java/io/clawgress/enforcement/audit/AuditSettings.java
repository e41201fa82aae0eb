package io.clawgress.enforcement.audit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The {@code audit} config section. Every field has a default ({@link #defaults(Path)}); docs/audit.md lists them.
 *
 * @param dir                    {@code audit.dir}: where segments live
 * @param queueCapacity          {@code audit.queue_capacity}: records that may wait for the writer; more are dropped
 *                               and announced by a gap record. The writer may hold as many again in memory while the
 *                               directory cannot be written
 * @param segmentMaxBytes        {@code audit.segment_max_bytes}: a segment is closed before a record would take it past
 *                               this size (a checkpoint that closes it may go past by one line)
 * @param segmentMaxAge          {@code audit.segment_max_age}: a segment is closed, at its next record, once its first
 *                               record is this old
 * @param checkpointEvery        {@code audit.checkpoint_every}: a signed checkpoint after this many records
 * @param checkpointInterval     {@code audit.checkpoint_interval}: ... or once this long has passed since the last one,
 *                               whichever comes first, when there is anything new to sign
 * @param onOverflow             {@code audit.on_overflow}
 * @param retentionMaxTotalBytes {@code audit.retention_max_mib}: oldest segments are deleted while all segments
 *                               together are larger; 0 disables the limit
 * @param retentionMaxAge        {@code audit.retention_max_age}: segments whose newest record is older are deleted;
 *                               zero disables the limit
 * @param retryInitialBackoff    first wait after a failed write; doubles up to {@code retryMaxBackoff}
 * @param retryMaxBackoff        longest wait between write attempts while the directory cannot be written
 */
public record AuditSettings(Path dir, int queueCapacity, long segmentMaxBytes, Duration segmentMaxAge,
                            int checkpointEvery, Duration checkpointInterval, OverflowMode onOverflow,
                            long retentionMaxTotalBytes, Duration retentionMaxAge, Duration retryInitialBackoff,
                            Duration retryMaxBackoff) {

    public static final Path DEFAULT_DIR = Path.of("/var/log/clawgress/audit");
    public static final int DEFAULT_QUEUE_CAPACITY = 65_536;
    public static final long DEFAULT_SEGMENT_MAX_BYTES = 64L * 1024 * 1024;
    public static final Duration DEFAULT_SEGMENT_MAX_AGE = Duration.ofHours(1);
    public static final int DEFAULT_CHECKPOINT_EVERY = 1000;
    public static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofSeconds(10);
    public static final long DEFAULT_RETENTION_MAX_TOTAL_BYTES = 10L * 1024 * 1024 * 1024;
    public static final Duration DEFAULT_RETENTION_MAX_AGE = Duration.ZERO;
    public static final Duration DEFAULT_RETRY_INITIAL_BACKOFF = Duration.ofMillis(100);
    public static final Duration DEFAULT_RETRY_MAX_BACKOFF = Duration.ofSeconds(5);

    public AuditSettings {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(segmentMaxAge, "segmentMaxAge");
        Objects.requireNonNull(checkpointInterval, "checkpointInterval");
        Objects.requireNonNull(onOverflow, "onOverflow");
        Objects.requireNonNull(retentionMaxAge, "retentionMaxAge");
        Objects.requireNonNull(retryInitialBackoff, "retryInitialBackoff");
        Objects.requireNonNull(retryMaxBackoff, "retryMaxBackoff");
        if (queueCapacity < 1 || queueCapacity > 16_777_216) {
            throw new IllegalArgumentException("queueCapacity: " + queueCapacity + " (expected: 1..16777216)");
        }
        if (segmentMaxBytes < 4096) {
            throw new IllegalArgumentException("segmentMaxBytes: " + segmentMaxBytes + " (expected: >= 4096)");
        }
        requirePositive("segmentMaxAge", segmentMaxAge);
        if (checkpointEvery < 1) {
            throw new IllegalArgumentException("checkpointEvery: " + checkpointEvery + " (expected: >= 1)");
        }
        requirePositive("checkpointInterval", checkpointInterval);
        if (retentionMaxTotalBytes < 0) {
            throw new IllegalArgumentException("retentionMaxTotalBytes: " + retentionMaxTotalBytes
                    + " (expected: >= 0; 0 = no limit)");
        }
        if (retentionMaxAge.isNegative()) {
            throw new IllegalArgumentException("retentionMaxAge: " + retentionMaxAge
                    + " (expected: >= 0; 0 = no limit)");
        }
        requirePositive("retryInitialBackoff", retryInitialBackoff);
        if (retryMaxBackoff.compareTo(retryInitialBackoff) < 0) {
            throw new IllegalArgumentException("retryMaxBackoff: " + retryMaxBackoff
                    + " (expected: >= retryInitialBackoff " + retryInitialBackoff + ")");
        }
    }

    /** Every default, writing to {@code dir}. */
    public static AuditSettings defaults(Path dir) {
        return new AuditSettings(dir, DEFAULT_QUEUE_CAPACITY, DEFAULT_SEGMENT_MAX_BYTES, DEFAULT_SEGMENT_MAX_AGE,
                DEFAULT_CHECKPOINT_EVERY, DEFAULT_CHECKPOINT_INTERVAL, OverflowMode.DROP_AND_GAP,
                DEFAULT_RETENTION_MAX_TOTAL_BYTES, DEFAULT_RETENTION_MAX_AGE, DEFAULT_RETRY_INITIAL_BACKOFF,
                DEFAULT_RETRY_MAX_BACKOFF);
    }

    public AuditSettings withQueueCapacity(int v) {
        return new AuditSettings(dir, v, segmentMaxBytes, segmentMaxAge, checkpointEvery, checkpointInterval,
                onOverflow, retentionMaxTotalBytes, retentionMaxAge, retryInitialBackoff, retryMaxBackoff);
    }

    public AuditSettings withSegment(long maxBytes, Duration maxAge) {
        return new AuditSettings(dir, queueCapacity, maxBytes, maxAge, checkpointEvery, checkpointInterval,
                onOverflow, retentionMaxTotalBytes, retentionMaxAge, retryInitialBackoff, retryMaxBackoff);
    }

    public AuditSettings withCheckpoint(int every, Duration interval) {
        return new AuditSettings(dir, queueCapacity, segmentMaxBytes, segmentMaxAge, every, interval,
                onOverflow, retentionMaxTotalBytes, retentionMaxAge, retryInitialBackoff, retryMaxBackoff);
    }

    public AuditSettings withOnOverflow(OverflowMode v) {
        return new AuditSettings(dir, queueCapacity, segmentMaxBytes, segmentMaxAge, checkpointEvery,
                checkpointInterval, v, retentionMaxTotalBytes, retentionMaxAge, retryInitialBackoff, retryMaxBackoff);
    }

    public AuditSettings withRetention(long maxTotalBytes, Duration maxAge) {
        return new AuditSettings(dir, queueCapacity, segmentMaxBytes, segmentMaxAge, checkpointEvery,
                checkpointInterval, onOverflow, maxTotalBytes, maxAge, retryInitialBackoff, retryMaxBackoff);
    }

    public AuditSettings withRetryBackoff(Duration initial, Duration max) {
        return new AuditSettings(dir, queueCapacity, segmentMaxBytes, segmentMaxAge, checkpointEvery,
                checkpointInterval, onOverflow, retentionMaxTotalBytes, retentionMaxAge, initial, max);
    }

    private static void requirePositive(String name, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }
}
