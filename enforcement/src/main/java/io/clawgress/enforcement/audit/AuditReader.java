package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Reads an audit directory for {@code clawgressctl audit tail|query|export}: records in seq order, filtered by an
 * {@link AuditQuery}. It reads; it does not verify ({@link AuditVerifier} does): lines that are not JSON objects are
 * skipped and counted ({@link #skippedLines()}), and a torn last line is ignored until it is complete. Safe to use
 * while clawgressd writes: only complete lines are read.
 */
public final class AuditReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final AtomicLong skipped = new AtomicLong();

    public AuditReader(Path dir) {
        this.dir = dir;
    }

    /** Lines skipped so far because they were not JSON objects. */
    public long skippedLines() {
        return skipped.get();
    }

    /**
     * Every matching record, oldest first, read lazily segment by segment. Close the stream (try-with-resources).
     *
     * @throws UncheckedIOException from the stream when a segment cannot be read
     */
    public Stream<AuditEntry> read(AuditQuery query) throws IOException {
        Records it = new Records(Segments.list(dir), query);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL),
                false).onClose(it::close);
    }

    /** The last {@code n} matching records, oldest first; reads segments from the newest back until it has them. */
    public List<AuditEntry> tail(int n, AuditQuery query) throws IOException {
        if (n <= 0) {
            return List.of();
        }
        List<Segments.Segment> segments = Segments.list(dir);
        ArrayDeque<AuditEntry> out = new ArrayDeque<>();
        for (int i = segments.size() - 1; i >= 0 && out.size() < n; i--) {
            ArrayDeque<AuditEntry> inSegment = new ArrayDeque<>();
            try (Records it = new Records(List.of(segments.get(i)), query)) {
                while (it.hasNext()) {
                    inSegment.addLast(it.next());
                    if (inSegment.size() > n) {
                        inSegment.removeFirst();
                    }
                }
            }
            while (!inSegment.isEmpty() && out.size() < n) {
                out.addFirst(inSegment.removeLast());
            }
        }
        return new ArrayList<>(out);
    }

    /**
     * A cursor for {@code tail -f}: each {@link Follower#poll()} returns the matching records completed since the
     * last one, following rotation into new segments.
     *
     * @param fromEnd start after the last complete record (true), or at the oldest record (false)
     */
    public Follower follow(AuditQuery query, boolean fromEnd) throws IOException {
        Follower f = new Follower(query);
        if (fromEnd) {
            List<Segments.Segment> segments = Segments.list(dir);
            if (!segments.isEmpty()) {
                Segments.Segment last = segments.getLast();
                f.segment = last;
                f.offset = Segments.tail(last.path()).completeSize();
                f.lineNo = countLines(last.path(), f.offset);
            }
        }
        return f;
    }

    /** See {@link #follow}. Not thread-safe. */
    public final class Follower {
        private final AuditQuery query;
        private Segments.Segment segment;
        private long offset;
        private long lineNo;

        private Follower(AuditQuery query) {
            this.query = query;
        }

        /** Matching records completed since the last call, oldest first; empty when there are none yet. */
        public List<AuditEntry> poll() throws IOException {
            List<AuditEntry> out = new ArrayList<>();
            while (true) {
                List<Segments.Segment> segments = Segments.list(dir);
                if (segment == null) {
                    if (segments.isEmpty()) {
                        return out;
                    }
                    segment = segments.getFirst();
                    offset = 0;
                    lineNo = 0;
                }
                try {
                    readFrom(out);
                } catch (NoSuchFileException e) {
                    segment = null; // retention deleted it: go on at the oldest segment left
                    continue;
                }
                Segments.Segment next = null;
                for (Segments.Segment s : segments) {
                    if (s.firstSeq() > segment.firstSeq()) {
                        next = s;
                        break;
                    }
                }
                if (next == null) {
                    return out;
                }
                readFrom(out); // lines completed after the look at the directory
                segment = next;
                offset = 0;
                lineNo = 0;
            }
        }

        private void readFrom(List<AuditEntry> out) throws IOException {
            try (FileChannel ch = FileChannel.open(segment.path(), StandardOpenOption.READ)) {
                if (ch.size() <= offset) {
                    return;
                }
                ch.position(offset);
                Segments.LineReader reader = new Segments.LineReader(
                        new BufferedInputStream(Channels.newInputStream(ch), 1 << 16));
                for (Segments.LineReader.Line line; (line = reader.next()) != null; ) {
                    if (!line.complete()) {
                        return; // still being written
                    }
                    offset += line.bytes().length + 1;
                    lineNo++;
                    AuditEntry e = entry(segment.path(), lineNo, line.bytes(), query);
                    if (e != null) {
                        out.add(e);
                    }
                }
            }
        }
    }

    /** The entry for one line, or null when it does not match or is not a JSON object (then counted). */
    private AuditEntry entry(Path segment, long lineNo, byte[] bytes, AuditQuery query) {
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (IOException e) {
            node = null;
        }
        if (!(node instanceof ObjectNode o)) {
            skipped.incrementAndGet();
            return null;
        }
        return query.matches(o) ? new AuditEntry(segment, lineNo, o) : null;
    }

    private static long countLines(Path file, long upTo) throws IOException {
        long n = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            for (long i = 0; i < upTo; i++) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                if (b == '\n') {
                    n++;
                }
            }
        }
        return n;
    }

    /** Matching entries across segments, lazily. */
    private final class Records implements Iterator<AuditEntry>, AutoCloseable {
        private final Iterator<Segments.Segment> segments;
        private final AuditQuery query;
        private Segments.Segment current;
        private InputStream in;
        private Segments.LineReader reader;
        private long lineNo;
        private AuditEntry next;

        Records(List<Segments.Segment> segments, AuditQuery query) {
            this.segments = segments.iterator();
            this.query = query;
        }

        @Override
        public boolean hasNext() {
            try {
                while (next == null) {
                    if (reader == null) {
                        if (!segments.hasNext()) {
                            return false;
                        }
                        current = segments.next();
                        try {
                            in = new BufferedInputStream(Files.newInputStream(current.path()), 1 << 16);
                        } catch (NoSuchFileException e) {
                            continue; // deleted by retention since the listing
                        }
                        reader = new Segments.LineReader(in);
                        lineNo = 0;
                    }
                    Segments.LineReader.Line line = reader.next();
                    if (line == null || !line.complete()) {
                        close();
                        continue;
                    }
                    lineNo++;
                    next = entry(current.path(), lineNo, line.bytes(), query);
                }
                return true;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public AuditEntry next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            AuditEntry e = next;
            next = null;
            return e;
        }

        @Override
        public void close() {
            if (in != null) {
                try {
                    in.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    in = null;
                    reader = null;
                }
            }
        }
    }
}
