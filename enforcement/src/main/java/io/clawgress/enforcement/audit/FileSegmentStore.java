package io.clawgress.enforcement.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/** The real {@link SegmentStore}: segments are created mode 0640, the directory 0750. */
final class FileSegmentStore implements SegmentStore {

    @Override
    public SegmentChannel open(Path segment) throws IOException {
        Path dir = segment.getParent();
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwxr-x---")));
            } catch (UnsupportedOperationException e) {
                Files.createDirectories(dir);
            }
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(segment, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            try {
                Files.setPosixFilePermissions(segment, PosixFilePermissions.fromString("rw-r-----"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its defaults apply
            }
        } catch (FileAlreadyExistsException e) {
            ch = FileChannel.open(segment, StandardOpenOption.WRITE, StandardOpenOption.READ);
        }
        return new Channel(ch);
    }

    @Override
    public void writeNew(Path path, byte[] bytes) throws IOException {
        Files.write(path, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    @Override
    public void delete(Path segment) throws IOException {
        Files.deleteIfExists(segment);
    }

    private record Channel(FileChannel ch) implements SegmentChannel {
        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            ch.truncate(size);
        }

        @Override
        public byte[] read(long position, int length) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(length);
            long p = position;
            while (buf.hasRemaining()) {
                int n = ch.read(buf, p);
                if (n < 0) {
                    throw new IOException("unexpected end of segment at " + p);
                }
                p += n;
            }
            return buf.array();
        }

        @Override
        public void write(byte[] bytes, int length, long position) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(bytes, 0, length);
            long p = position;
            while (buf.hasRemaining()) {
                p += ch.write(buf, p);
            }
        }

        @Override
        public void force() throws IOException {
            ch.force(false);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
