package io.clawgress.appliance.e2e;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Rewrites a signed bundle the way an attacker between the signer and the gateway could: same signature file,
 * something else changed. Each method keeps everything else byte for byte, so a rejection names only that change.
 */
final class CraftedBundles {

    private CraftedBundles() {
    }

    /** The bundle with one byte of {@code path} changed (XOR 0x01 at the middle of the file). */
    static byte[] flipByte(byte[] bundle, String path) {
        Map<String, byte[]> files = files(bundle);
        byte[] content = files.get(path);
        if (content == null) {
            throw new IllegalArgumentException(path + " is not in the bundle: " + files.keySet());
        }
        byte[] changed = content.clone();
        changed[changed.length / 2] ^= 0x01;
        files.put(path, changed);
        return write(files, out -> { });
    }

    /** The bundle plus one extra tar entry made by {@code extra}. */
    static byte[] withEntry(byte[] bundle, Consumer<TarArchiveOutputStream> extra) {
        return write(files(bundle), extra);
    }

    /** A regular file entry at {@code name}, written as is (no normalisation). */
    static Consumer<TarArchiveOutputStream> regularFile(String name, byte[] content) {
        return out -> {
            try {
                TarArchiveEntry e = new TarArchiveEntry(name, true);
                e.setSize(content.length);
                out.putArchiveEntry(e);
                out.write(content);
                out.closeArchiveEntry();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        };
    }

    /** A symbolic link entry {@code name -> target}. */
    static Consumer<TarArchiveOutputStream> symlink(String name, String target) {
        return out -> {
            try {
                TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK, true);
                e.setLinkName(target);
                out.putArchiveEntry(e);
                out.closeArchiveEntry();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        };
    }

    /** Every file of a bundle by path, in archive order, signature file included. */
    static Map<String, byte[]> files(byte[] bundle) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new GZIPInputStream(
                new ByteArrayInputStream(bundle)))) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.isFile()) {
                    files.put(e.getName(), in.readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    static byte[] write(Map<String, byte[]> files, Consumer<TarArchiveOutputStream> extra) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                regularFile(f.getKey(), f.getValue()).accept(out);
            }
            extra.accept(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
