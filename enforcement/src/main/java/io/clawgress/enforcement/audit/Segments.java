package io.clawgress.enforcement.audit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Segment files: {@code audit-<seq of their first record, 20 digits>.jsonl}. Anything else in the directory (the
 * {@code .partial-*} files recovery sets aside, editors' backups) is not a segment.
 */
final class Segments {

    static final String PREFIX = "audit-";
    static final String SUFFIX = ".jsonl";
    private static final Pattern NAME = Pattern.compile("audit-(\\d{20})\\.jsonl");

    /** A line is complete when it ends with '\n'; no record is longer than this (a sanity bound for tail reads). */
    static final int MAX_LINE_BYTES = 16 * 1024 * 1024;

    private Segments() {
    }

    /** A segment file and the seq its name says it starts at. */
    record Segment(Path path, long firstSeq) {
    }

    static String name(long firstSeq) {
        return PREFIX + String.format("%020d", firstSeq) + SUFFIX;
    }

    /** The seq in a segment file name, or -1 when the name is not a segment's. */
    static long firstSeqOf(Path file) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        if (!m.matches()) {
            return -1;
        }
        try {
            return Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return -1; // 20 digits may exceed Long.MAX_VALUE
        }
    }

    /** The segments in {@code dir}, oldest first. */
    static List<Segment> list(Path dir) throws IOException {
        List<Segment> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (Path p : ds) {
                long seq = firstSeqOf(p);
                if (seq >= 0 && Files.isRegularFile(p)) {
                    out.add(new Segment(p, seq));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        out.sort(Comparator.comparingLong(Segment::firstSeq));
        return out;
    }

    /** Where a file's complete lines end, and its last complete line. */
    record Tail(long size, long completeSize, byte[] lastLine) {
        boolean hasPartial() {
            return completeSize < size;
        }
    }

    /** Reads the end of {@code file}: the offset after its last '\n' and the line that '\n' ends. */
    static Tail tail(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long lastNewline = findBackwards(ch, size, size);
            if (lastNewline < 0) {
                return new Tail(size, 0, null);
            }
            long previousNewline = findBackwards(ch, lastNewline, Math.min(lastNewline, MAX_LINE_BYTES));
            long start = previousNewline + 1;
            byte[] line = new byte[(int) (lastNewline - start)];
            readFully(ch, ByteBuffer.wrap(line), start);
            return new Tail(size, lastNewline + 1, line);
        }
    }

    /** The first line of {@code file} without its '\n', or {@code null} when it has no complete line. */
    static byte[] head(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            LineReader r = new LineReader(in);
            LineReader.Line l = r.next();
            return l != null && l.complete() ? l.bytes() : null;
        }
    }

    /** Offset of the last '\n' before {@code end}, looking at most {@code limit} bytes back; -1 when none. */
    private static long findBackwards(FileChannel ch, long end, long limit) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        long stop = Math.max(0, end - limit);
        long pos = end;
        while (pos > stop) {
            int n = (int) Math.min(buf.capacity(), pos - stop);
            buf.clear().limit(n);
            readFully(ch, buf, pos - n);
            for (int i = n - 1; i >= 0; i--) {
                if (buf.get(i) == '\n') {
                    return pos - n + i;
                }
            }
            pos -= n;
        }
        return -1;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long p = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, p);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + p);
            }
            p += n;
        }
    }

    /** Splits a stream into lines at '\n' (only '\n': a '\r' is part of the line and makes it malformed JSON). */
    static final class LineReader {
        private final InputStream in;
        private final byte[] buf = new byte[64 * 1024];
        private int pos;
        private int limit;
        private long offset;

        /**
         * @param bytes    the line without its '\n'
         * @param complete whether a '\n' ended it (only the last line of a file can lack one)
         * @param offset   where the line starts in the stream
         */
        record Line(byte[] bytes, boolean complete, long offset) {
        }

        LineReader(InputStream in) {
            this.in = in;
        }

        /** The next line, or {@code null} at the end of the stream. Lines longer than MAX_LINE_BYTES are cut there. */
        Line next() throws IOException {
            long start = offset;
            CanonicalJson.ByteSink line = null;
            while (true) {
                if (pos == limit) {
                    limit = in.read(buf);
                    pos = 0;
                    if (limit <= 0) {
                        limit = 0;
                        return line == null ? null : new Line(line.toByteArray(), false, start);
                    }
                }
                int i = pos;
                while (i < limit && buf[i] != '\n') {
                    i++;
                }
                if (line == null) {
                    line = new CanonicalJson.ByteSink(Math.max(256, i - pos));
                }
                if (line.size() < MAX_LINE_BYTES) {
                    line.write(buf, pos, Math.min(i - pos, MAX_LINE_BYTES - line.size()));
                }
                offset += i - pos;
                if (i < limit) {
                    pos = i + 1;
                    offset++;
                    return new Line(line.toByteArray(), true, start);
                }
                pos = limit;
            }
        }
    }
}
