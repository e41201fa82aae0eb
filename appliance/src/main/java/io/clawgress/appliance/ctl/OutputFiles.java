package io.clawgress.appliance.ctl;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files the offline verbs write: created with their final permissions (never briefly readable by others), and either
 * created new (refusing an existing file) or replaced atomically (readers see the old or the new file, never half).
 */
final class OutputFiles {

    /** A private key: the owner alone reads it. */
    static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    /** Key sets and bundles: public material. */
    static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");

    private OutputFiles() {
    }

    /** An I/O failure in words: NIO's exceptions often carry only the path as their message. */
    static String why(IOException e) {
        String file = e instanceof FileSystemException f && f.getFile() != null ? f.getFile() : null;
        String what = switch (e) {
            case NoSuchFileException x -> "no such file or directory";
            case AccessDeniedException x -> "permission denied";
            case FileAlreadyExistsException x -> "exists";
            case NotDirectoryException x -> "not a directory";
            default -> null;
        };
        if (what == null) {
            return String.valueOf(e.getMessage());
        }
        return file == null ? what : what + ": " + file;
    }

    /**
     * Writes {@code bytes} to {@code file} with {@code mode}.
     *
     * @param replace replace an existing file atomically; otherwise an existing file is refused
     * @throws FileAlreadyExistsException when the file exists and {@code replace} is false
     */
    static void write(Path file, byte[] bytes, Set<PosixFilePermission> mode, boolean replace) throws IOException {
        Path abs = file.toAbsolutePath();
        if (!replace) {
            // createFile is O_CREAT|O_EXCL: no window in which an existing file could be overwritten.
            Files.createFile(abs, PosixFilePermissions.asFileAttribute(mode));
            try {
                Files.write(abs, bytes);
                Files.setPosixFilePermissions(abs, mode); // the umask may have taken bits; never adds any
            } catch (IOException e) {
                Files.deleteIfExists(abs);
                throw e;
            }
            return;
        }
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(mode));
        try {
            Files.write(tmp, bytes);
            Files.setPosixFilePermissions(tmp, mode);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
