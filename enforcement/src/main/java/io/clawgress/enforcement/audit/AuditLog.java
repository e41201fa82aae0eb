package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.AuditSink;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.RequestRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static io.clawgress.enforcement.audit.AuditFields.*;
import static io.clawgress.enforcement.flowlog.FlowRecordFields.TIME;
import static io.clawgress.enforcement.flowlog.FlowRecordFields.TYPE;

/**
 * The tamper-evident audit log (docs/audit.md). The data path (and the admin API) only offers records to a bounded
 * queue ({@link #record}, {@link #request}, {@link #admin}: never block, never throw); one writer thread drains it into
 * hash-chained JSON Lines segments under {@code audit.dir}, signs a checkpoint every N records or T seconds, rotates
 * and retires segments, and survives a disk that refuses writes: it keeps what it could not write (up to the queue
 * capacity), retries with backoff, and once writing works again announces what was lost in a {@code gap} record.
 *
 * <p>Thread model: {@link #record}, {@link #request}, {@link #admin}, {@link #accepting} and the counters are called
 * from any thread (event loops, the admin API's worker); everything else named "writer thread" below runs on the
 * writer thread alone.
 */
public final class AuditLog implements AuditSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

    static final long DEFAULT_TICK_MILLIS = 100;
    private static final int MAX_BATCH = 4096;
    private static final int MAX_WRITE_BYTES = 1 << 20;
    private static final Duration RETENTION_CHECK_EVERY = Duration.ofMinutes(1);
    private static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final DateTimeFormatter PARTIAL_STAMP =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AuditSettings settings;
    private final AuditKey key;
    private final Clock clock;
    private final SegmentStore store;
    private final long tickMillis;
    private final Path dir;

    /** {@link FlowRecord}s, {@link RequestRecord}s and {@link AdminRecord}s in the order they were offered. */
    private final BlockingQueue<Object> queue;
    private final AtomicLong droppedFull = new AtomicLong();
    private final AtomicLong droppedClosed = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong adminWritten = new AtomicLong();
    private final AtomicLong writeErrors = new AtomicLong();
    private final AtomicLong gaps = new AtomicLong();
    private final AtomicLong checkpoints = new AtomicLong();
    private final AtomicLong deletedSegments = new AtomicLong();
    private volatile boolean failing;
    private volatile boolean closing;
    private volatile long closeDeadlineNanos;
    private volatile long publishedSeq;
    private volatile int pendingSize;
    private volatile boolean closedCleanly;
    private final Thread writer;

    // Writer thread state. The chain (lastSeq, lastHash, committedSize) only moves once bytes are written.
    private final AuditRecords records = new AuditRecords();
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private final CanonicalJson.ByteSink buf = new CanonicalJson.ByteSink(64 * 1024);
    private final Map<Path, Instant> lastRecordTimes = new HashMap<>();
    private long lastSeq;
    private String lastHash;
    private long sinceCheckpoint;
    private Instant lastCheckpointAt;
    private Path segmentPath;
    private SegmentStore.SegmentChannel channel;
    private long committedSize;
    private Instant segmentStartedAt;
    private boolean preservePartial;
    private long reportedFull;
    private long reportedClosed;
    private Instant lastRetentionCheck;
    private long backoffNanos;
    private long failedAttempts;
    private String lastFailure;

    private AuditLog(AuditSettings settings, AuditKey key, Clock clock, SegmentStore store, long tickMillis,
                     Recovered recovered) {
        this.settings = settings;
        this.key = key;
        this.clock = clock;
        this.store = store;
        this.tickMillis = tickMillis;
        this.dir = settings.dir();
        this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
        this.lastSeq = recovered.lastSeq;
        this.lastHash = recovered.lastHash;
        this.publishedSeq = recovered.lastSeq;
        this.segmentPath = recovered.segment;
        this.committedSize = recovered.committedSize;
        this.preservePartial = recovered.hasPartial;
        this.segmentStartedAt = recovered.segmentStartedAt;
        this.sinceCheckpoint = recovered.lastIsCheckpoint ? 0 : 1;
        this.lastCheckpointAt = clock.instant();
        this.writer = new Thread(this::run, "clawgress-audit-writer");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /**
     * Opens the audit log: finds the last segment in {@code settings.dir()}, continues the chain after its last
     * complete line (a torn line after it, left by a crash, is copied to {@code <segment>.partial-<UTC time>} and cut
     * off before the first write), and starts the writer thread. A directory that does not exist yet is created at
     * the first write. Blocking (reads the disk): call at startup.
     *
     * @throws IOException when the directory cannot be listed or read, or the last complete record cannot be parsed
     *                     (the chain cannot continue from it: {@code clawgressctl audit verify} says what is wrong)
     */
    public static AuditLog open(AuditSettings settings, AuditKey key, Clock clock) throws IOException {
        return open(settings, key, clock, new FileSegmentStore(), DEFAULT_TICK_MILLIS);
    }

    /** For tests: a chosen store (one that fails on demand) and writer tick. */
    static AuditLog open(AuditSettings settings, AuditKey key, Clock clock, SegmentStore store, long tickMillis)
            throws IOException {
        return new AuditLog(settings, key, clock, store, tickMillis, recover(settings.dir(), clock));
    }

    // ---- the data path (any thread) ----

    /** Never blocks or throws: a record that finds the queue full (or the log closing) is dropped and counted. */
    @Override
    public void record(FlowRecord record) {
        offer(record);
    }

    /** Never blocks or throws; same rules as {@link #record(FlowRecord)}. */
    @Override
    public void request(RequestRecord record) {
        offer(record);
    }

    /**
     * An admin API call (a change, or an attempt refused). Never blocks or throws, like {@link #record(FlowRecord)}:
     * the admin API goes on whether or not the record can be kept, and a dropped one is counted and announced by the
     * gap record like any other.
     */
    public void admin(AdminRecord record) {
        offer(record);
    }

    private void offer(Object record) {
        if (record == null) {
            return; // nothing to record; AuditSink must not throw
        }
        if (closing) {
            droppedClosed.incrementAndGet();
        } else if (!queue.offer(record)) {
            droppedFull.incrementAndGet();
        }
    }

    /**
     * Whether the data path may admit a new flow. Always true with {@code on_overflow: drop_and_gap}; with
     * {@code refuse_new_flows}, false while the queue is full, the directory cannot be written, or the log is closing
     * (the data path then resets the flow with termination {@code audit_unavailable}). Never blocks.
     */
    public boolean accepting() {
        if (settings.onOverflow() == OverflowMode.DROP_AND_GAP) {
            return true;
        }
        return !failing && !closing && queue.remainingCapacity() > 0;
    }

    /** Records dropped and counted: the queue was full, or they came after {@link #close} began. */
    public long dropped() {
        return droppedFull.get() + droppedClosed.get();
    }

    /** Flow, request and admin records written (gaps, checkpoints and retention records not included). */
    public long written() {
        return written.get();
    }

    /** Admin records written (also counted in {@link #written()}). */
    public long adminWritten() {
        return adminWritten.get();
    }

    /** Failed write attempts (each retry that fails counts). */
    public long writeErrors() {
        return writeErrors.get();
    }

    /** Whether the last write attempt failed: the writer is holding records in memory and retrying. */
    public boolean failing() {
        return failing;
    }

    public long gapsWritten() {
        return gaps.get();
    }

    public long checkpointsWritten() {
        return checkpoints.get();
    }

    /** Whole segments deleted by retention. */
    public long segmentsDeleted() {
        return deletedSegments.get();
    }

    /** Records waiting in the queue (not those the writer holds while the disk fails). */
    public int queueDepth() {
        return queue.size();
    }

    /** Seq of the last record on disk. */
    public long lastSeq() {
        return publishedSeq;
    }

    /** The key that signs this log's checkpoints ({@link AuditKey#publicKeyPem()} is what verify needs). */
    public AuditKey key() {
        return key;
    }

    /** For tests: records the writer holds, taken from the queue but not yet written. */
    int pendingForTest() {
        return pendingSize;
    }

    // ---- close ----

    /**
     * Stops accepting records, writes everything queued (and any gap record owed), writes a final checkpoint,
     * flushes the segment to the device and closes it. Waits up to {@code timeout}; if the directory cannot be
     * written until then, what is still held is lost and logged. Records offered after this began are dropped and
     * counted. Stop the data path first.
     *
     * @return whether everything offered before the call reached the disk, closed by a checkpoint
     */
    public boolean close(Duration timeout) {
        if (!writer.isAlive()) {
            return closedCleanly;
        }
        closeDeadlineNanos = System.nanoTime() + timeout.toNanos();
        closing = true;
        LockSupport.unpark(writer);
        try {
            writer.join(timeout.toMillis() + 1000);
            if (writer.isAlive()) {
                writer.interrupt();
                writer.join(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int stranded = queue.size();
        if (stranded > 0) { // offered in the instant close began, after the writer's last look
            droppedClosed.addAndGet(stranded);
            queue.clear();
            closedCleanly = false;
        }
        if (!closedCleanly) {
            log.error("audit: closed with records lost: {} dropped in all, last seq on disk {}", dropped(),
                    publishedSeq);
        }
        return closedCleanly;
    }

    @Override
    public void close() {
        close(DEFAULT_CLOSE_TIMEOUT);
    }

    // ---- the writer thread ----

    private void run() {
        try {
            while (true) {
                boolean stopping = closing;
                if (!failing) {
                    if (pending.isEmpty()) {
                        Object first = queue.poll(tickMillis, TimeUnit.MILLISECONDS);
                        if (first != null) {
                            pending.add(first);
                        }
                    }
                    queue.drainTo(pending, MAX_BATCH);
                } else if (pending.size() < settings.queueCapacity()) {
                    // The disk fails: hold up to one queue's worth more, so the data path can go on offering.
                    queue.drainTo(pending, settings.queueCapacity() - pending.size());
                }
                noteDrops();
                pendingSize = pending.size();
                try {
                    writePending();
                    Instant now = clock.instant();
                    timedWork(now);
                    if (stopping && queue.isEmpty()) {
                        finish();
                        return;
                    }
                    if (failing) {
                        recovered();
                    }
                } catch (IOException e) {
                    failed(e);
                    if (stopping && System.nanoTime() - closeDeadlineNanos > 0) {
                        log.error("audit: giving up at close: {} record(s) never written to {} ({})",
                                pending.size() + queue.size(), dir, e.toString());
                        return;
                    }
                    LockSupport.parkNanos(this, stopping
                            ? Math.min(backoffNanos, Math.max(0, closeDeadlineNanos - System.nanoTime()))
                            : backoffNanos);
                    if (Thread.interrupted()) {
                        return;
                    }
                }
                pendingSize = pending.size();
            }
        } catch (InterruptedException e) {
            log.error("audit: writer interrupted with {} record(s) unwritten", pending.size() + queue.size());
        } catch (RuntimeException | Error e) {
            failing = true; // a bug: refuse_new_flows now refuses, and the failing gauge shows it
            log.error("audit: writer failed; records are no longer written", e);
        } finally {
            pendingSize = pending.size();
            closeChannel();
        }
    }

    /** Writer thread: turns newly counted drops into one gap record (merged into a gap still waiting). */
    private void noteDrops() {
        long full = droppedFull.get();
        if (full > reportedFull) {
            addGap(full - reportedFull, failing ? GAP_WRITE_FAILED : GAP_QUEUE_FULL, failing ? lastFailure : null);
            reportedFull = full;
        }
        long closed = droppedClosed.get();
        if (closed > reportedClosed) {
            addGap(closed - reportedClosed, GAP_CLOSED, null);
            reportedClosed = closed;
        }
    }

    private void addGap(long n, String reason, String detail) {
        if (pending.peekLast() instanceof Gap g && g.reason.equals(reason)) {
            g.dropped += n;
        } else {
            pending.add(new Gap(n, reason, detail));
        }
    }

    /** Writer thread: drains the pending deque into the chain, checkpointing and rotating on the way. */
    private void writePending() throws IOException {
        while (!pending.isEmpty()) {
            ensureOpen();
            Instant now = clock.instant();
            if (committedSize > 0 && segmentStartedAt != null
                    && !now.isBefore(segmentStartedAt.plus(settings.segmentMaxAge()))) {
                rotate(now);
                continue;
            }
            buf.reset();
            long seq = lastSeq;
            String hash = lastHash;
            long since = sinceCheckpoint;
            int taken = 0;
            int signed = 0;
            boolean segmentFull = false;
            for (Iterator<Object> it = pending.iterator(); it.hasNext() && buf.size() < MAX_WRITE_BYTES; ) {
                AuditRecords.Sealed s = records.seal(body(it.next(), now), seq + 1, hash);
                long size = committedSize + buf.size();
                if (size > 0 && size + s.line().length > settings.segmentMaxBytes()) {
                    segmentFull = true;
                    break;
                }
                buf.write(s.line(), 0, s.line().length);
                seq++;
                hash = s.hash();
                taken++;
                if (++since >= settings.checkpointEvery()) {
                    AuditRecords.Sealed c = records.seal(AuditRecords.checkpoint(seq, hash, key, now), seq + 1, hash);
                    buf.write(c.line(), 0, c.line().length);
                    seq++;
                    hash = c.hash();
                    since = 0;
                    signed++;
                }
            }
            if (buf.size() > 0) {
                channel.write(buf.array(), buf.size(), committedSize);
                if (signed > 0) {
                    channel.force();
                }
                commit(buf.size(), seq, hash, now);
                sinceCheckpoint = since;
                if (signed > 0) {
                    lastCheckpointAt = now;
                    checkpoints.addAndGet(signed);
                }
                for (int i = 0; i < taken; i++) {
                    Object done = pending.pollFirst();
                    if (done instanceof Gap) {
                        gaps.incrementAndGet();
                    } else {
                        written.incrementAndGet();
                        if (done instanceof AdminRecord) {
                            adminWritten.incrementAndGet();
                        }
                    }
                }
            }
            if (segmentFull) {
                rotate(now);
            }
        }
    }

    private ObjectNode body(Object entry, Instant now) {
        return switch (entry) {
            case FlowRecord f -> AuditRecords.flow(f, now);
            case RequestRecord r -> AuditRecords.request(r);
            case AdminRecord a -> AuditRecords.admin(a);
            case Gap g -> AuditRecords.gap(g.dropped, g.reason, g.detail, now);
            default -> throw new IllegalStateException("not an audit entry: " + entry.getClass());
        };
    }

    private void commit(int bytes, long seq, String hash, Instant now) {
        if (committedSize == 0) {
            segmentStartedAt = now;
        }
        committedSize += bytes;
        lastSeq = seq;
        lastHash = hash;
        publishedSeq = seq;
        lastRecordTimes.put(segmentPath, now);
    }

    /** Writer thread: seals and writes one record now (checkpoint, retention), flushed to the device. */
    private void appendNow(ObjectNode body, Instant now) throws IOException {
        ensureOpen();
        AuditRecords.Sealed s = records.seal(body, lastSeq + 1, lastHash);
        channel.write(s.line(), s.line().length, committedSize);
        channel.force();
        commit(s.line().length, lastSeq + 1, s.hash(), now);
    }

    private void appendCheckpoint(Instant now) throws IOException {
        appendNow(AuditRecords.checkpoint(lastSeq, lastHash, key, now), now);
        sinceCheckpoint = 0;
        lastCheckpointAt = now;
        checkpoints.incrementAndGet();
    }

    private void timedWork(Instant now) throws IOException {
        if (sinceCheckpoint > 0 && !now.isBefore(lastCheckpointAt.plus(settings.checkpointInterval()))) {
            appendCheckpoint(now);
        }
        if (lastRetentionCheck == null || !now.isBefore(lastRetentionCheck.plus(RETENTION_CHECK_EVERY))) {
            applyRetention(now);
            lastRetentionCheck = now;
        }
    }

    /** Writer thread, closing: the gap owed for records refused during close, a final checkpoint, fdatasync. */
    private void finish() throws IOException {
        noteDrops();
        writePending();
        if (sinceCheckpoint > 0) {
            appendCheckpoint(clock.instant());
        }
        if (channel != null) {
            channel.force();
        }
        closedCleanly = true;
        log.info("audit: closed at seq {} in {}", lastSeq, segmentPath.getFileName());
    }

    /** Writer thread: every closed segment ends with a checkpoint, so retention never leaves an unsigned head. */
    private void rotate(Instant now) throws IOException {
        if (sinceCheckpoint > 0) {
            appendCheckpoint(now);
        }
        channel.force();
        closeChannel();
        segmentPath = dir.resolve(Segments.name(lastSeq + 1));
        committedSize = 0;
        segmentStartedAt = null;
        applyRetention(now);
        lastRetentionCheck = now;
    }

    /** Writer thread: opens the current segment, cutting off bytes past the last complete line. */
    private void ensureOpen() throws IOException {
        if (channel != null) {
            return;
        }
        SegmentStore.SegmentChannel ch = store.open(segmentPath);
        try {
            long size = ch.size();
            if (size > committedSize) {
                if (preservePartial) {
                    setAside(ch, size);
                    preservePartial = false;
                }
                ch.truncate(committedSize);
            } else if (size < committedSize) {
                // Someone cut the segment while we were not looking: leave it as evidence, go on in a new segment.
                log.error("audit: {} is {} bytes, {} were written; continuing the chain in a new segment",
                        segmentPath, size, committedSize);
                ch.close();
                segmentPath = dir.resolve(Segments.name(lastSeq + 1));
                committedSize = 0;
                segmentStartedAt = null;
                ch = store.open(segmentPath);
                ch.truncate(0);
            }
            preservePartial = false;
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        channel = ch;
    }

    /** Copies the torn last line a crash left to {@code <segment>.partial-<UTC time>} (kept for forensics). */
    private void setAside(SegmentStore.SegmentChannel ch, long size) throws IOException {
        long n = Math.min(size - committedSize, Segments.MAX_LINE_BYTES);
        byte[] partial = ch.read(committedSize, (int) n);
        String base = segmentPath.getFileName() + ".partial-" + PARTIAL_STAMP.format(clock.instant());
        Path aside = segmentPath.resolveSibling(base);
        for (int i = 1; Files.exists(aside); i++) {
            aside = segmentPath.resolveSibling(base + "-" + i);
        }
        store.writeNew(aside, partial);
        log.warn("audit: {} ended in a torn line of {} bytes (a crash while writing); moved to {} and cut off; the "
                + "chain continues after seq {}", segmentPath.getFileName(), size - committedSize,
                aside.getFileName(), lastSeq);
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("audit: closing {}: {}", segmentPath, e.toString());
            }
            channel = null;
        }
    }

    private void failed(IOException e) {
        writeErrors.incrementAndGet();
        failedAttempts++;
        lastFailure = e.toString();
        if (!failing) {
            failing = true;
            log.error("audit: cannot write {}: {}; holding up to {} record(s) in memory and retrying", segmentPath,
                    e.toString(), settings.queueCapacity());
        } else {
            log.debug("audit: write attempt {} failed: {}", failedAttempts, e.toString());
        }
        closeChannel(); // a remount read-only leaves the descriptor useless: reopen on the next attempt
        long initial = settings.retryInitialBackoff().toNanos();
        backoffNanos = backoffNanos == 0 ? initial : Math.min(backoffNanos * 2, settings.retryMaxBackoff().toNanos());
    }

    private void recovered() {
        failing = false;
        log.warn("audit: writing to {} again after {} failed attempt(s)", dir, failedAttempts);
        failedAttempts = 0;
        backoffNanos = 0;
    }

    // ---- retention (writer thread) ----

    private void applyRetention(Instant now) throws IOException {
        long maxBytes = settings.retentionMaxTotalBytes();
        Duration maxAge = settings.retentionMaxAge();
        if (maxBytes == 0 && maxAge.isZero()) {
            return;
        }
        List<Segments.Segment> all;
        long total = 0;
        Map<Path, Long> sizes = new HashMap<>();
        try {
            all = Segments.list(dir);
            for (Segments.Segment s : all) {
                long size = Files.size(s.path());
                sizes.put(s.path(), size);
                total += size;
            }
        } catch (IOException e) {
            log.warn("audit: retention: cannot list {}: {}", dir, e.toString());
            return;
        }
        List<Segments.Segment> doomed = new ArrayList<>();
        long doomedBytes = 0;
        boolean bySize = false;
        for (int i = 0; i < all.size() - 1; i++) { // never the newest (the one being written)
            Segments.Segment s = all.get(i);
            if (s.path().equals(segmentPath)) {
                break;
            }
            boolean tooBig = maxBytes > 0 && total - doomedBytes > maxBytes;
            Instant last = maxAge.isZero() ? null : lastRecordTime(s.path());
            boolean tooOld = last != null && last.plus(maxAge).isBefore(now);
            if (!tooBig && !tooOld) {
                break;
            }
            bySize |= tooBig;
            doomed.add(s);
            doomedBytes += sizes.get(s.path());
        }
        if (doomed.isEmpty()) {
            return;
        }
        long retainedFrom = all.get(doomed.size()).firstSeq();
        // Announce first, then delete: a deletion the chain does not announce is reported by verify.
        appendNow(AuditRecords.retention(retainedFrom, doomed.size(), doomedBytes,
                bySize ? RETENTION_MAX_TOTAL_BYTES : RETENTION_MAX_AGE, now), now);
        sinceCheckpoint++;
        for (Segments.Segment s : doomed) {
            try {
                store.delete(s.path());
                lastRecordTimes.remove(s.path());
                deletedSegments.incrementAndGet();
            } catch (IOException e) {
                log.warn("audit: retention: cannot delete {}: {}", s.path(), e.toString());
                return;
            }
        }
        log.info("audit: retention deleted {} segment(s), {} bytes; the log now starts at seq {}", doomed.size(),
                doomedBytes, retainedFrom);
    }

    /** The {@code time} of a segment's last record, or {@code null} when it cannot be read. */
    private Instant lastRecordTime(Path segment) {
        Instant known = lastRecordTimes.get(segment);
        if (known != null) {
            return known;
        }
        try {
            Segments.Tail t = Segments.tail(segment);
            if (t.lastLine() == null) {
                return null;
            }
            Instant time = Instant.parse(JSON.readTree(t.lastLine()).path(TIME).asText());
            lastRecordTimes.put(segment, time);
            return time;
        } catch (IOException | RuntimeException e) {
            log.warn("audit: retention: cannot read the last record time of {}: {}", segment, e.toString());
            return null;
        }
    }

    // ---- recovery (at open, before the writer starts) ----

    private record Recovered(long lastSeq, String lastHash, Path segment, long committedSize, boolean hasPartial,
                             Instant segmentStartedAt, boolean lastIsCheckpoint) {
    }

    private static Recovered recover(Path dir, Clock clock) throws IOException {
        List<Segments.Segment> segments = Segments.list(dir);
        if (segments.isEmpty()) {
            return new Recovered(0, ZERO_HASH, dir.resolve(Segments.name(1)), 0, false, null, true);
        }
        Segments.Segment last = segments.getLast();
        Segments.Tail tail = Segments.tail(last.path());
        if (tail.lastLine() != null) {
            ChainEnd end = chainEnd(last.path(), tail.lastLine());
            Instant started = firstRecordTime(last.path(), clock);
            log.info("audit: continuing the chain after seq {} in {}", end.seq, last.path().getFileName());
            return new Recovered(end.seq, end.hash, last.path(), tail.completeSize(), tail.hasPartial(), started,
                    end.checkpoint);
        }
        // The newest segment holds no complete line: created just before a crash, or its only line is torn.
        ChainEnd end = new ChainEnd(0, ZERO_HASH, true);
        if (segments.size() > 1) {
            Path previous = segments.get(segments.size() - 2).path();
            Segments.Tail t = Segments.tail(previous);
            if (t.lastLine() == null || t.hasPartial()) {
                throw new IOException(previous + ": " + (t.lastLine() == null ? "holds no complete record"
                        : "ends in a torn line") + " but is not the newest segment; the chain cannot be continued "
                        + "(run clawgressctl audit verify " + dir + ")");
            }
            end = chainEnd(previous, t.lastLine());
        }
        if (last.firstSeq() != end.seq + 1) {
            throw new IOException(last.path() + ": holds no complete record and is named for seq " + last.firstSeq()
                    + " (expected: " + (end.seq + 1) + ", after the last record on disk); the chain cannot be "
                    + "continued (run clawgressctl audit verify " + dir + ")");
        }
        return new Recovered(end.seq, end.hash, last.path(), 0, tail.size() > 0, null, end.checkpoint);
    }

    private record ChainEnd(long seq, String hash, boolean checkpoint) {
    }

    private static ChainEnd chainEnd(Path segment, byte[] line) throws IOException {
        JsonNode r;
        try {
            r = JSON.readTree(line);
        } catch (IOException e) {
            r = null;
        }
        if (r == null || !r.isObject() || !r.path(SEQ).canConvertToExactIntegral() || r.path(SEQ).asLong() < 1
                || !AuditVerifier.isHash(r.path(HASH).textValue())) {
            throw new IOException(segment + ": the last complete line is not an audit record with seq and hash; the "
                    + "chain cannot be continued (run clawgressctl audit verify " + segment.getParent() + ")");
        }
        String hash = r.get(HASH).textValue();
        ObjectNode body = ((ObjectNode) r).deepCopy();
        body.remove(HASH);
        if (!AuditVerifier.sha256Hex(CanonicalJson.bytes(body)).equals(hash)) {
            log.error("audit: the last record in {} (seq {}) does not match its hash; continuing the chain from the "
                    + "hash it carries: verify will name it", segment, r.get(SEQ).asLong());
        }
        return new ChainEnd(r.get(SEQ).asLong(), hash,
                TYPE_CHECKPOINT.equals(r.path(TYPE).asText()));
    }

    private static Instant firstRecordTime(Path segment, Clock clock) {
        try {
            byte[] head = Segments.head(segment);
            if (head != null) {
                return Instant.parse(JSON.readTree(head).path(TIME).asText());
            }
        } catch (IOException | RuntimeException e) {
            log.debug("audit: {}: first record has no readable time: {}", segment, e.toString());
        }
        return clock.instant();
    }

    /** Records lost while the queue was full or the disk failed, owed to the chain as one gap record. */
    private static final class Gap {
        long dropped;
        final String reason;
        final String detail;

        Gap(long dropped, String reason, String detail) {
            this.dropped = dropped;
            this.reason = reason;
            this.detail = detail;
        }
    }
}
