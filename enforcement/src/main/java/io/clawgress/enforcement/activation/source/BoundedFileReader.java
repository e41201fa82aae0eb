package io.clawgress.enforcement.activation.source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads one file with a size cap. Symbolic links are followed, but the target must be a regular file: a FIFO would
 * block the reading thread until someone writes to it, a device could be endless. Never reads more than
 * {@code maxBytes + 1} bytes, so a file that grows while it is read is still refused without being read whole.
 *
 * <p>The type check and the open are two system calls: whoever can replace the file between them with a FIFO can
 * stall the source's thread (not the gateway: sources never run on an event loop). Only operators should be able to
 * write where bundles are read from.
 */
final class BoundedFileReader {

    enum Reason { MISSING, NOT_REGULAR, TOO_BIG, CHANGED_WHILE_READING, IO_ERROR }

    sealed interface Result {
    }

    /** @param attrs the attributes seen before the read (following links) */
    record Read(byte[] bytes, BasicFileAttributes attrs) implements Result {
    }

    record Refused(Reason reason, String message) implements Result {
        @Override
        public String toString() {
            return reason + ": " + message;
        }
    }

    private BoundedFileReader() {
    }

    /** Blocking disk I/O: call on a source thread. */
    static Result read(Path path, long maxBytes) {
        if (maxBytes <= 0 || maxBytes >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: > 0 and < 2^31 - 1)");
        }
        BasicFileAttributes before;
        try {
            before = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return new Refused(Reason.MISSING, "no such file (or a symbolic link to nothing): " + path);
        } catch (IOException e) {
            return new Refused(Reason.IO_ERROR, "cannot stat " + path + ": " + e);
        }
        if (!before.isRegularFile()) {
            return new Refused(Reason.NOT_REGULAR, path + " is a " + kind(before)
                    + " (expected: a regular file, or a symbolic link to one)");
        }
        if (before.size() > maxBytes) {
            return new Refused(Reason.TOO_BIG,
                    path + " has " + before.size() + " bytes (expected: <= " + maxBytes + ")");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(path)) {
            bytes = in.readNBytes((int) maxBytes + 1);
        } catch (NoSuchFileException e) {
            return new Refused(Reason.MISSING, path + " vanished before it could be opened");
        } catch (IOException e) {
            return new Refused(Reason.IO_ERROR, "cannot read " + path + ": " + e);
        }
        if (bytes.length > maxBytes) {
            return new Refused(Reason.TOO_BIG, path + " grew past " + maxBytes + " bytes while being read");
        }
        return new Read(bytes, before);
    }

    private static String kind(BasicFileAttributes attrs) {
        if (attrs.isDirectory()) {
            return "directory";
        }
        return "special file (FIFO, socket or device)";
    }
}
