package io.clawgress.intercept.ca;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * Files of a CA directory: private directory, exclusive atomic creation, bounded reads. Blocking; runs at start-up
 * or in the CLI, never on an event loop.
 */
final class CaFiles {

    static final Set<PosixFilePermission> DIR_0700 = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> KEY_0600 = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> CERT_0644 = PosixFilePermissions.fromString("rw-r--r--");
    /** Our PEM files are a few hundred bytes; anything this large is not ours. */
    static final int MAX_FILE_BYTES = 64 * 1024;

    private static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final SecureRandom RANDOM = new SecureRandom();

    private CaFiles() {
    }

    /** Creates {@code dir} with mode 0700 if missing; refuses an existing one that group or others can enter. */
    static void ensurePrivateDirectory(Path dir) throws CaException {
        try {
            if (!Files.exists(dir)) {
                Path parent = dir.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                if (isPosix(dir)) {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_0700));
                    Files.setPosixFilePermissions(dir, DIR_0700); // the umask may have narrowed it; make it exact
                } else {
                    Files.createDirectory(dir);
                }
                return;
            }
        } catch (FileAlreadyExistsException e) {
            // Created concurrently; check it like any existing directory.
        } catch (IOException e) {
            throw new CaException("cannot create CA directory " + dir + ": " + e, e);
        }
        if (!Files.isDirectory(dir)) {
            throw new CaException("CA directory " + dir + " is not a directory");
        }
        requireNoGroupOrOtherAccess(dir, "CA directory", "chmod 700 " + dir);
    }

    /** Refuses a file or directory that grants group or others any permission, as ssh does for its keys. */
    static void requireNoGroupOrOtherAccess(Path path, String what, String fix) throws CaException {
        if (!isPosix(path)) {
            return;
        }
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(path);
        } catch (IOException e) {
            throw new CaException("cannot read the permissions of " + what + " " + path + ": " + e, e);
        }
        if (perms.stream().anyMatch(GROUP_OR_OTHER::contains)) {
            throw new CaException(what + " " + path + " has mode " + PosixFilePermissions.toString(perms)
                    + " (expected: no access for group or others, it guards a CA private key); fix: " + fix);
        }
    }

    /**
     * Writes {@code content} to {@code target} only if it does not exist, atomically: a temporary file in the same
     * directory is written and fsynced, then hard-linked to {@code target} ({@code link(2)} refuses to replace an
     * existing file), then removed. Readers never see a partial file, and an existing CA is never overwritten.
     *
     * @throws FileAlreadyExistsException when {@code target} exists
     */
    static void writeNew(Path target, String content, Set<PosixFilePermission> perms) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp-" + HexFormat.of().toHexDigits(RANDOM.nextLong()));
        boolean posix = isPosix(dir);
        FileAttribute<?>[] attrs = posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(KEY_0600)}
                : new FileAttribute<?>[0];
        try {
            // Created 0600 whatever the final mode, so a key is never readable by others, even for a moment.
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), attrs)) {
                ByteBuffer buf = ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            if (posix) {
                Files.setPosixFilePermissions(tmp, perms);
            }
            publish(tmp, target);
            fsyncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void publish(Path tmp, Path target) throws IOException {
        try {
            Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (UnsupportedOperationException | FileSystemException e) {
            // No hard links on this file system: fall back to a rename, which would replace, so check first.
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(target.toString());
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory; the files themselves were fsynced.
        }
    }

    /** The file as US-ASCII text, refusing more than {@link #MAX_FILE_BYTES}. */
    static String readSmallText(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) {
                throw new IOException(file + " is larger than " + MAX_FILE_BYTES + " bytes (expected: a PEM file)");
            }
            return new String(bytes, StandardCharsets.US_ASCII);
        }
    }

    static boolean isRegularFile(Path p) {
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
    }

    static boolean exists(Path p) {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }

    static boolean isPosix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
