package io.clawgress.enforcement.flowlog;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.clawgress.api.AuditSink;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.RequestRecord;
import io.clawgress.enforcement.net.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
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
    private final OutputStream out;
    private final boolean ownsStream;
    private final Clock clock;
    private final JsonFactory json = new JsonFactory();
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
        Path path = Path.of(settings.path());
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IOException("flow_log.path " + path + ": directory " + dir + " does not exist");
        }
        try {
            return new JsonLinesFlowLog(settings.queueCapacity(), new FileOutputStream(path.toFile(), true), true,
                    clock);
        } catch (IOException e) {
            throw new IOException("flow_log.path " + path + ": cannot open for appending: " + e.getMessage(), e);
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
                    if (r instanceof FlowRecord f) {
                        write(g, f);
                    } else {
                        write(g, (RequestRecord) r);
                    }
                }
                buf.write('\n');
            }
            out.write(buf.toByteArray());
            out.flush();
            written.addAndGet(batch.size());
        } catch (IOException e) {
            writeErrors.incrementAndGet();
            log.error("flow log: cannot write {} record(s): {}", batch.size(), e.getMessage());
        }
    }

    private void write(JsonGenerator g, FlowRecord r) throws IOException {
        g.writeStartObject();
        g.writeStringField(TYPE, TYPE_FLOW);
        g.writeStringField(TIME, clock.instant().toString());
        g.writeStringField(FLOW_ID, r.flowId());
        g.writeStringField(START, r.start().toString());
        g.writeStringField(SOURCE, hostPort(r.source()));
        g.writeStringField(ORIGINAL_DESTINATION, hostPort(r.originalDestination()));
        writeIdentity(g, r.identity());
        writePeek(g, r.peek());
        g.writeStringField(VERDICT, r.verdict());
        g.writeStringField(REASON, r.reason());
        g.writeStringField(RULE, r.ruleId());
        g.writeStringField(POLICY_REVISION, r.policyRevision());
        optional(g, POLICY, r.policyId());
        g.writeStringField(MODE, r.mode());
        g.writeBooleanField(WOULD_DENY, r.wouldDeny());
        g.writeBooleanField(WOULD_LIMIT, r.wouldLimit());
        g.writeNumberField(BYTES_UP, r.bytesUp());
        g.writeNumberField(BYTES_DOWN, r.bytesDown());
        g.writeNumberField(DURATION_MS, r.duration().toNanos() / 1_000L / 1000.0);
        g.writeStringField(TERMINATION, r.termination().code());
        optional(g, DETAIL, r.detail());
        if (r.dialled() != null) {
            g.writeStringField(DIALLED, hostPort(r.dialled()));
        }
        g.writeEndObject();
    }

    /** One HTTP request decided behind the L7 gate: {@code "type":"request"}, joined to its flow by flow_id. */
    private void write(JsonGenerator g, RequestRecord r) throws IOException {
        g.writeStartObject();
        g.writeStringField(TYPE, TYPE_REQUEST);
        g.writeStringField(TIME, r.time().toString());
        g.writeStringField(FLOW_ID, r.flowId());
        g.writeNumberField(SEQUENCE, r.sequence());
        writeIdentity(g, r.identity());
        optional(g, HTTP_METHOD, r.method());
        optional(g, HTTP_HOST, r.host());
        optional(g, HTTP_TARGET, r.target());
        g.writeStringField(VERDICT, r.verdict());
        g.writeStringField(REASON, r.reason());
        g.writeStringField(RULE, r.ruleId());
        g.writeStringField(POLICY_REVISION, r.policyRevision());
        optional(g, POLICY, r.policyId());
        g.writeStringField(MODE, r.mode());
        g.writeBooleanField(WOULD_DENY, r.wouldDeny());
        g.writeBooleanField(WOULD_LIMIT, r.wouldLimit());
        if (r.status() != 0) {
            g.writeNumberField(STATUS, r.status());
        }
        optional(g, CODE, r.code());
        g.writeEndObject();
    }

    private static void writeIdentity(JsonGenerator g, java.util.Optional<Identity> identity) throws IOException {
        if (identity.isPresent()) {
            Identity id = identity.get();
            g.writeObjectFieldStart(IDENTITY);
            g.writeStringField(AGENT_ID, id.agentId());
            optional(g, TEAM_ID, id.teamId());
            optional(g, PROJECT_ID, id.projectId());
            optional(g, ENVIRONMENT, id.environment());
            optional(g, TRUST_TIER, id.trustTier());
            g.writeStringField(AUTH, id.auth().code());
            g.writeEndObject();
        } else {
            g.writeNullField(IDENTITY);
        }
    }

    private static void writePeek(JsonGenerator g, PeekFacts p) throws IOException {
        g.writeStringField(PEEK, p.kind().code());
        switch (p.kind()) {
            case TLS -> {
                optional(g, SNI, p.name());
                g.writeArrayFieldStart(ALPN);
                for (String proto : p.alpn()) {
                    g.writeString(proto);
                }
                g.writeEndArray();
                g.writeBooleanField(ECH_OFFERED, p.echOffered());
            }
            case HTTP -> {
                optional(g, HTTP_HOST, p.name());
                optional(g, HTTP_METHOD, p.httpMethod());
                optional(g, HTTP_TARGET, p.httpTarget());
            }
            case OPAQUE, NONE -> { }
        }
    }

    private static void optional(JsonGenerator g, String field, String value) throws IOException {
        if (value != null) {
            g.writeStringField(field, value);
        }
    }

    private static String hostPort(InetSocketAddress a) {
        return Addresses.hostPort(a);
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
                out.close();
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
