package io.clawgress.enforcement.audit;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Every write the audit writer makes to the disk goes through here, so tests can make the disk fail (EACCES, ENOSPC,
 * EROFS) without root or a full file system. Reads (recovery, retention's look at old segments) use the file system
 * directly. Called on the writer thread only.
 */
interface SegmentStore {

    /** Opens {@code segment} for writing, creating it (and its directory) when missing. */
    SegmentChannel open(Path segment) throws IOException;

    /** Writes {@code bytes} to a new file {@code path} (recovery's {@code .partial-*} copy of a torn last line). */
    void writeNew(Path path, byte[] bytes) throws IOException;

    /** Deletes a whole segment (retention). */
    void delete(Path segment) throws IOException;

    /** An open segment. Writes are positional: the writer alone knows where the complete lines end. */
    interface SegmentChannel extends Closeable {
        long size() throws IOException;

        /** Cuts the file to {@code size} bytes (bytes of a write that failed half way, a torn line after a crash). */
        void truncate(long size) throws IOException;

        /** Reads {@code length} bytes at {@code position}. */
        byte[] read(long position, int length) throws IOException;

        /** Writes all of {@code bytes[0, length)} at {@code position}, or throws. */
        void write(byte[] bytes, int length, long position) throws IOException;

        /** Flushes the file's data to the device (fdatasync). */
        void force() throws IOException;
    }
}
