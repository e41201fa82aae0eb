package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.RequestRecord;
import io.clawgress.api.Termination;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.fail;

/** Records, a settable clock, a store that fails on demand, and file helpers for the audit tests. */
final class AuditFixture {

    static final Instant T0 = Instant.parse("2026-11-21T12:00:00Z");
    static final ObjectMapper JSON = new ObjectMapper();
    /** The writer polls its queue this often in tests (real time; everything time-based uses the clock). */
    static final long TICK_MILLIS = 5;

    private AuditFixture() {
    }

    /** A clock tests move by hand. */
    static final class MutableClock extends Clock {
        private final AtomicReference<Instant> now = new AtomicReference<>(T0);

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
            return now.get();
        }

        void advance(Duration d) {
            now.updateAndGet(t -> t.plus(d));
        }
    }

    static FlowRecord flow(String id) {
        return flow(id, "agent-a", "relay", "web", new InetSocketAddress("198.18.2.2", 443));
    }

    static FlowRecord flow(String id, String agent, String verdict, String rule, InetSocketAddress dst) {
        return new FlowRecord(id, T0.minusSeconds(1), new InetSocketAddress("198.18.1.2", 40000), dst,
                Optional.of(new Identity(agent, "research", null, "dev", null, AuthMethod.SUBNET, true)), verdict,
                verdict.equals("deny") ? "no rule allows it" : "allowed by rule " + rule, rule, "static:abc", 100,
                2000, Duration.ofNanos(12_345_678), verdict.equals("deny") ? Termination.POLICY_DENIED
                : Termination.COMPLETED, null, PeekFacts.tls("api.example.com", List.of("h2", "http/1.1"), false),
                verdict.equals("deny") ? null : dst);
    }

    static RequestRecord request(String flowId, int sequence) {
        return new RequestRecord(flowId, sequence, T0, Optional.empty(), "GET", "api.test", "/admin", "deny",
                "no rule allows it", "default", "1", 403, "policy_denied");
    }

    static AuditSettings settings(Path dir) {
        return AuditSettings.defaults(dir).withRetention(0, Duration.ZERO)
                .withRetryBackoff(Duration.ofMillis(1), Duration.ofMillis(20));
    }

    static AuditLog open(AuditSettings settings, AuditKey key, Clock clock) throws IOException {
        return AuditLog.open(settings, key, clock, new FileSegmentStore(), TICK_MILLIS);
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    /** One line of a segment, parsed. */
    record Line(Path segment, int lineNo, String text, ObjectNode record) {
        long seq() {
            return record.get("seq").asLong();
        }

        String type() {
            return record.get("type").asText();
        }
    }

    /** Every line of every segment, in seq order. */
    static List<Line> lines(Path dir) throws IOException {
        List<Line> out = new ArrayList<>();
        for (Segments.Segment s : Segments.list(dir)) {
            List<String> lines = Files.readAllLines(s.path(), StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                out.add(new Line(s.path(), i + 1, lines.get(i), (ObjectNode) JSON.readTree(lines.get(i))));
            }
        }
        return out;
    }

    static List<Line> ofType(List<Line> lines, String type) {
        return lines.stream().filter(l -> l.type().equals(type)).toList();
    }

    static List<String> readLines(Path segment) throws IOException {
        return new ArrayList<>(Files.readAllLines(segment, StandardCharsets.UTF_8));
    }

    static void writeLines(Path segment, List<String> lines) throws IOException {
        Files.writeString(segment, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    /** The line an attacker who knows the format would write for {@code record}: re-hashed, canonical. */
    static String reseal(ObjectNode record) {
        ObjectNode body = record.deepCopy();
        body.remove("hash");
        String hash = AuditVerifier.sha256Hex(CanonicalJson.bytes(body));
        ObjectNode full = record.deepCopy();
        full.put("hash", hash);
        return new String(CanonicalJson.bytes(full), StandardCharsets.UTF_8);
    }

    static AuditVerifier.Result verify(Path dir, AuditKey key) throws IOException {
        return new AuditVerifier(List.of(key.publicKey())).verify(dir);
    }

    /**
     * A {@link SegmentStore} over the real files that refuses writes while {@link #failing} is set, as a full disk
     * does (optionally after writing part of the bytes), or refuses even to open segments when {@link #readOnly} is
     * set too, as a read-only remount does; and can stall writes until released.
     */
    static final class FlakyStore implements SegmentStore {
        private final FileSegmentStore real = new FileSegmentStore();
        volatile boolean failing;
        volatile boolean readOnly;
        /** When failing: write this many bytes of a write before throwing (a full disk mid-write). */
        volatile int partialBytes;
        volatile CountDownLatch stall;
        volatile CountDownLatch stalled = new CountDownLatch(1);
        volatile int opens;
        volatile int failedWrites;

        @Override
        public SegmentChannel open(Path segment) throws IOException {
            if (failing && readOnly) {
                throw new AccessDeniedException(segment.toString(), null, "Read-only file system");
            }
            opens++;
            SegmentChannel ch = real.open(segment);
            return new SegmentChannel() {
                @Override
                public long size() throws IOException {
                    return ch.size();
                }

                @Override
                public void truncate(long size) throws IOException {
                    refuseIfFailing();
                    ch.truncate(size);
                }

                @Override
                public byte[] read(long position, int length) throws IOException {
                    return ch.read(position, length);
                }

                @Override
                public void write(byte[] bytes, int length, long position) throws IOException {
                    CountDownLatch s = stall;
                    if (s != null) {
                        stalled.countDown();
                        try {
                            s.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException("interrupted");
                        }
                    }
                    if (failing) {
                        failedWrites++;
                        int n = Math.min(partialBytes, length);
                        if (n > 0) {
                            ch.write(bytes, n, position);
                        }
                        throw failure();
                    }
                    ch.write(bytes, length, position);
                }

                @Override
                public void force() throws IOException {
                    refuseIfFailing();
                    ch.force();
                }

                @Override
                public void close() throws IOException {
                    ch.close();
                }
            };
        }

        private void refuseIfFailing() throws IOException {
            if (failing) {
                failedWrites++;
                throw failure();
            }
        }

        /**
         * What the kernel says: EROFS for every write on a file system remounted read-only (also through a channel
         * opened before), ENOSPC on a full one.
         */
        private IOException failure() {
            return new IOException(readOnly ? "Read-only file system" : "No space left on device");
        }

        @Override
        public void writeNew(Path path, byte[] bytes) throws IOException {
            refuseIfFailing();
            real.writeNew(path, bytes);
        }

        @Override
        public void delete(Path segment) throws IOException {
            refuseIfFailing();
            real.delete(segment);
        }
    }
}
