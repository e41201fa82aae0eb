package io.clawgress.testing.netns;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a file that another process appends to, incrementally: each call picks up the bytes written since the last
 * one and turns complete lines into strings. A line is decoded only once its newline arrived, so a JSON object is
 * never seen half-written.
 */
final class LogTail {

    private final Path file;
    private final List<String> lines = new ArrayList<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private long offset;

    LogTail(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** Complete lines so far; with {@code includePartial}, also an unterminated last line (for exited writers). */
    synchronized List<String> lines(boolean includePartial) {
        return linesFrom(0, includePartial);
    }

    /** Like {@link #lines(boolean)}, skipping the first {@code from} complete lines (cheap for long logs). */
    synchronized List<String> linesFrom(int from, boolean includePartial) {
        poll();
        List<String> out = new ArrayList<>(lines.subList(Math.min(from, lines.size()), lines.size()));
        if (includePartial && partial.size() > 0) {
            out.add(partial.toString(StandardCharsets.UTF_8));
        }
        return out;
    }

    private void poll() {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < offset) {
                // Truncated (e.g. rotated): start over rather than miss lines.
                offset = 0;
                lines.clear();
                partial.reset();
            }
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            ch.position(offset);
            int n;
            while ((n = ch.read(buf)) > 0) {
                offset += n;
                buf.flip();
                while (buf.hasRemaining()) {
                    byte b = buf.get();
                    if (b == '\n') {
                        lines.add(partial.toString(StandardCharsets.UTF_8));
                        partial.reset();
                    } else {
                        partial.write(b);
                    }
                }
                buf.clear();
            }
        } catch (NoSuchFileException e) {
            // Not written yet: no lines.
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }
}
