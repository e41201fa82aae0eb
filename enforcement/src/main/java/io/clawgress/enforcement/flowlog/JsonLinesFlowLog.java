package io.clawgress.enforcement.flowlog;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.MappingJsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.clawgress.api.AuditSink;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.RequestRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.clawgress.enforcement.flowlog.FlowRecordFields.*;

/**
 * Writes one JSON line per flow record, from a single writer thread fed by a bounded queue. {@link #record} never
 * blocks: when the queue is full the record is counted as dropped, and the next line written is an explicit
 * {@code gap} record saying how many were lost. {@link #close} drains the queue.
 */
public final class JsonLinesFlowLog implements AuditSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JsonLinesFlowLog.class);

    /** {@link FlowRecord}s and {@link RequestRecord}s, in the order the data path handed them over. */
    private final BlockingQueue<Object> queue;
    /** Written by the writer thread, swapped by {@link #reopen}; guarded by {@code outLock}. */
    private OutputStream out;
    private final Object outLock = new Object();
    private final boolean ownsStream;
    private final Clock clock;
    /** Mapping-aware, so a generator can write the record objects (writeTree). */
    private final JsonFactory json = new MappingJsonFactory();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong writeErrors = new AtomicLong();
    private final Thread writer;
    private volatile boolean closing;

    private JsonLinesFlowLog(int capacity, OutputStream out, boolean ownsStream, Clock clock) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.out = out;
        this.ownsStream = ownsStream;
        this.clock = clock;
        this.writer = new Thread(this::run, "clawgress-flow-log");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /**
     * Opens the flow log described by {@code settings}: appends to the file (creating it, not its directory), or
     * writes to standard output for {@code "-"}.
     *
     * @throws IOException when the file cannot be opened, with the path in the message
     */
    public static JsonLinesFlowLog open(FlowLogSettings settings, Clock clock) throws IOException {
        if (FlowLogSettings.STDOUT.equals(settings.path())) {
            return new JsonLinesFlowLog(settings.queueCapacity(), System.out, false, clock);
        }
        return new JsonLinesFlowLog(settings.queueCapacity(), append(Path.of(settings.path())), true, clock);
    }

    private static OutputStream append(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IOException("flow_log.path " + path + ": directory " + dir + " does not exist");
        }
        try {
            return new FileOutputStream(path.toFile(), true);
        } catch (IOException e) {
            throw new IOException("flow_log.path " + path + ": cannot open for appending: " + e.getMessage(), e);
        }
    }

    /**
     * Opens {@code path} for appending (creating it) and writes every later line there, then closes the file written
     * so far: what logrotate's {@code postrotate} reload needs once it has moved the file away. Blocking (opens a
     * file): a reload thread, never an event loop. Nothing is lost: lines go to the old file until the swap.
     *
     * @throws IOException when the new file cannot be opened (the current one stays), or this log writes to standard
     *                     output, which has nothing to reopen
     */
    public void reopen(String path) throws IOException {
        if (!ownsStream) {
            throw new IOException("the flow log writes to standard output: nothing to reopen");
        }
        OutputStream next = append(Path.of(path));
        OutputStream old;
        synchronized (outLock) {
            if (closing) {
                next.close();
                throw new IOException("the flow log is closing");
            }
            old = out;
            out = next;
        }
        try {
            old.close();
        } catch (IOException e) {
            log.warn("flow log: closing the previous file: {}", e.getMessage());
        }
    }

    /** For tests: writes to {@code out}. */
    static JsonLinesFlowLog to(OutputStream out, int capacity, Clock clock) {
        return new JsonLinesFlowLog(capacity, out, false, clock);
    }

    /** Never blocks; counts the record as dropped when the writer is behind by the whole queue or closed. */
    @Override
    public void record(FlowRecord record) {
        if (closing || !queue.offer(record)) {
            dropped.incrementAndGet();
        }
    }

    /** Never blocks; same rules as {@link #record(FlowRecord)}. */
    @Override
    public void request(RequestRecord record) {
        if (closing || !queue.offer(record)) {
            dropped.incrementAndGet();
        }
    }

    public long dropped() {
        return dropped.get();
    }

    public long written() {
        return written.get();
    }

    public long writeErrors() {
        return writeErrors.get();
    }

    private void run() {
        List<Object> batch = new ArrayList<>();
        long reportedDrops = 0;
        while (true) {
            try {
                Object first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null && closing && queue.isEmpty()) {
                    long d = dropped.get();
                    if (d > reportedDrops) {
                        writeLines(List.of(), d - reportedDrops);
                    }
                    return;
                }
                batch.clear();
                if (first != null) {
                    batch.add(first);
                }
                queue.drainTo(batch, 1024);
                long d = dropped.get();
                writeLines(batch, d - reportedDrops);
                reportedDrops = d;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void writeLines(List<Object> batch, long newDrops) {
        if (batch.isEmpty() && newDrops == 0) {
            return;
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream(batch.size() * 512 + 128);
        try {
            if (newDrops > 0) {
                try (JsonGenerator g = json.createGenerator(buf, JsonEncoding.UTF8)) {
                    g.writeStartObject();
                    g.writeStringField(TYPE, TYPE_GAP);
                    g.writeStringField(TIME, clock.instant().toString());
                    g.writeNumberField(DROPPED, newDrops);
                    g.writeStringField(REASON, "flow log queue full: records dropped");
                    g.writeEndObject();
                }
                buf.write('\n');
            }
            for (Object r : batch) {
                try (JsonGenerator g = json.createGenerator(buf, JsonEncoding.UTF8)) {
                    // The same objects the audit log chains: one format for both (FlowRecordJson).
                    g.writeTree(r instanceof FlowRecord f ? FlowRecordJson.flow(f, clock.instant())
                            : FlowRecordJson.request((RequestRecord) r));
                }
                buf.write('\n');
            }
            synchronized (outLock) {
                out.write(buf.toByteArray());
                out.flush();
            }
            written.addAndGet(batch.size());
        } catch (IOException e) {
            writeErrors.incrementAndGet();
            log.error("flow log: cannot write {} record(s): {}", batch.size(), e.getMessage());
        }
    }


    /** Stops accepting records, writes everything queued, and closes the file. Blocks up to {@code timeoutMs}. */
    public void close(long timeoutMs) {
        closing = true;
        try {
            writer.join(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            log.error("flow log: writer did not finish within {} ms; {} record(s) still queued", timeoutMs,
                    queue.size());
        }
        if (ownsStream) {
            try {
                synchronized (outLock) {
                    out.close();
                }
            } catch (IOException e) {
                log.error("flow log: close failed: {}", e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        close(10_000);
    }
}
