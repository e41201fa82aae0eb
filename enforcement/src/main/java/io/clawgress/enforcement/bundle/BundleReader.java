package io.clawgress.enforcement.bundle;

import io.clawgress.enforcement.bundle.BundleException.Reason;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads an untrusted bundle archive (one gzip member holding a tar) into memory within {@link Limits}, refusing
 * anything that is not a plain tree of regular files and directories. Nothing is written to disk; no signature is
 * checked here (that is {@link BundleVerifier}'s job), so every bound is enforced before any content is trusted.
 *
 * <p>Gzip is decoded by hand over {@link Inflater} (RFC 1952) rather than with {@code GZIPInputStream}: inflation stops
 * as soon as the output passes {@link Limits#maxUncompressedBytes()} (a gzip bomb costs at most that much), the CRC-32
 * and length trailer are checked, and any byte after the one member (a second member, garbage) is refused — {@code
 * GZIPInputStream} silently accepts concatenated members and, depending on the JDK, ignores trailing garbage.
 *
 * <p>Tar entries are parsed by Commons Compress (PAX and GNU long names resolved; the header checksum of every entry
 * is checked here), and only type flags {@code '0'}, NUL (regular file) and {@code '5'} (directory) are accepted.
 * After the last entry the archive must end with at least two zero blocks (POSIX.1-2017 pax, "ustar Interchange
 * Format") and nothing but zeros.
 */
public final class BundleReader {

    private static final int BLOCK = 512;

    private BundleReader() {
    }

    /** Reads at most {@link Limits#maxCompressedBytes()} from {@code gz}; does not close it. */
    public static UnpackedBundle read(InputStream gz, Limits limits) throws BundleException, IOException {
        byte[] compressed = gz.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limits.maxCompressedBytes() + 1));
        if (compressed.length > limits.maxCompressedBytes()) {
            throw new BundleException(Reason.TOO_LARGE, "compressed bundle larger than "
                    + limits.maxCompressedBytes() + " bytes");
        }
        return readTar(gunzip(compressed, limits.maxUncompressedBytes()), limits);
    }

    public static UnpackedBundle read(byte[] gz, Limits limits) throws BundleException {
        try {
            return read(new ByteArrayInputStream(gz), limits);
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array", e);
        }
    }

    /** For tests: the tar inside a well-formed bundle, within the default limits. */
    static byte[] gunzipForTest(byte[] gz) {
        try {
            return gunzip(gz, Limits.DEFAULTS.maxUncompressedBytes());
        } catch (BundleException e) {
            throw new IllegalArgumentException(e);
        }
    }

    // RFC 1952 §2.3: ID1 ID2 CM FLG MTIME(4) XFL OS [FEXTRA] [FNAME] [FCOMMENT] [FHCRC] deflate CRC32 ISIZE
    static byte[] gunzip(byte[] in, long maxOut) throws BundleException {
        int pos = 0;
        if (in.length < 18 || (in[0] & 0xff) != 0x1f || (in[1] & 0xff) != 0x8b) {
            throw malformed("not a gzip stream (RFC 1952 §2.3.1: expected magic 1f 8b)");
        }
        if (in[2] != 8) {
            throw malformed("gzip compression method " + in[2] + " (RFC 1952 §2.3.1: expected 8, deflate)");
        }
        int flags = in[3] & 0xff;
        if ((flags & 0xe0) != 0) {
            throw malformed("gzip reserved flag bits set (RFC 1952 §2.3.1: must be zero)");
        }
        pos = 10;
        if ((flags & 0x04) != 0) { // FEXTRA
            int xlen = (in[pos] & 0xff) | (in[pos + 1] & 0xff) << 8;
            pos += 2 + xlen;
        }
        if ((flags & 0x08) != 0) { // FNAME, zero-terminated
            pos = skipZeroTerminated(in, pos);
        }
        if ((flags & 0x10) != 0) { // FCOMMENT, zero-terminated
            pos = skipZeroTerminated(in, pos);
        }
        if ((flags & 0x02) != 0) { // FHCRC
            pos += 2;
        }
        if (pos >= in.length) {
            throw malformed("gzip header truncated");
        }
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(in, pos, in.length - pos);
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(maxOut, 1 << 20));
            byte[] buf = new byte[64 * 1024];
            CRC32 crc = new CRC32();
            long total = 0;
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0) {
                    if (inflater.needsInput()) {
                        throw malformed("gzip stream truncated (deflate data ends before its final block)");
                    }
                    if (inflater.needsDictionary()) {
                        throw malformed("deflate stream asks for a preset dictionary");
                    }
                    continue;
                }
                total += n;
                if (total > maxOut) {
                    throw new BundleException(Reason.TOO_LARGE, "uncompressed bundle larger than " + maxOut
                            + " bytes (inflation stopped there)");
                }
                crc.update(buf, 0, n);
                out.write(buf, 0, n);
            }
            int trailer = in.length - inflater.getRemaining();
            if (in.length - trailer < 8) {
                throw malformed("gzip trailer truncated (RFC 1952 §2.3: expected CRC32 and ISIZE)");
            }
            long storedCrc = le32(in, trailer);
            long storedSize = le32(in, trailer + 4);
            if (storedCrc != crc.getValue()) {
                throw malformed("gzip CRC-32 mismatch");
            }
            if (storedSize != (total & 0xffffffffL)) {
                throw malformed("gzip ISIZE mismatch");
            }
            if (trailer + 8 != in.length) {
                throw malformed((in.length - trailer - 8) + " bytes after the gzip member"
                        + " (expected: exactly one member and nothing after it)");
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new BundleException(Reason.MALFORMED_ARCHIVE, "invalid deflate data: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    private static UnpackedBundle readTar(byte[] tar, Limits limits) throws BundleException {
        ByteArrayInputStream raw = new ByteArrayInputStream(tar);
        Map<String, byte[]> files = new TreeMap<>();
        Set<String> directories = new HashSet<>();
        byte[] signatures = null;
        int entries = 0;
        long endOfLastEntry = 0;
        try (TarArchiveInputStream in = new TarArchiveInputStream(raw, StandardCharsets.UTF_8.name())) {
            TarArchiveEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                if (++entries > limits.maxEntries()) {
                    throw new BundleException(Reason.TOO_MANY_FILES, "more than " + limits.maxEntries()
                            + " entries");
                }
                String rawName = entry.getName();
                if (!entry.isCheckSumOK()) { // Commons Compress computes it but leaves refusing to the caller
                    throw malformed("invalid tar: header checksum of entry " + BundlePaths.quote(rawName)
                            + " does not match (POSIX.1-2017 ustar chksum)");
                }
                byte type = entry.getLinkFlag();
                switch (type) {
                    case TarConstants.LF_SYMLINK, TarConstants.LF_LINK, TarConstants.LF_CHR, TarConstants.LF_BLK,
                         TarConstants.LF_FIFO -> throw new BundleException(Reason.LINK_OR_DEVICE, "entry "
                            + BundlePaths.quote(rawName) + " is a " + describe(type)
                            + " (expected: only regular files and directories)");
                    case TarConstants.LF_NORMAL, TarConstants.LF_OLDNORM, TarConstants.LF_DIR -> { }
                    default -> throw malformed("entry " + BundlePaths.quote(rawName) + " has type flag '"
                            + (char) type + "' (expected: regular file '0' or directory '5')");
                }
                if (entry.isSparse()) {
                    throw malformed("entry " + BundlePaths.quote(rawName) + " is sparse");
                }
                boolean dir = type == TarConstants.LF_DIR;
                String name = dir && rawName.endsWith("/") ? rawName.substring(0, rawName.length() - 1) : rawName;
                BundlePaths.requireValid(name, limits.maxPathLength());
                if (files.containsKey(name) || directories.contains(name)
                        || (name.equals(BundleFormat.SIGNATURES_FILE) && signatures != null)) {
                    throw new BundleException(Reason.DUPLICATE_PATH, "path " + BundlePaths.quote(name)
                            + " appears twice");
                }
                if (dir) {
                    if (entry.getSize() != 0) {
                        throw malformed("directory " + BundlePaths.quote(name) + " has size " + entry.getSize());
                    }
                    directories.add(name);
                    endOfLastEntry = tar.length - raw.available();
                    continue;
                }
                long size = entry.getSize();
                long max = name.equals(BundleFormat.SIGNATURES_FILE) ? limits.maxSignaturesBytes()
                        : limits.maxFileBytes();
                if (size < 0 || size > max) {
                    throw new BundleException(Reason.TOO_LARGE, "file " + BundlePaths.quote(name) + " has "
                            + size + " bytes (expected: at most " + max + ")");
                }
                byte[] content = in.readNBytes((int) size);
                if (content.length != size) {
                    throw malformed("file " + BundlePaths.quote(name) + " truncated: " + content.length + " of "
                            + size + " bytes");
                }
                endOfLastEntry = tar.length - raw.available();
                if (name.equals(BundleFormat.SIGNATURES_FILE)) {
                    signatures = content;
                } else {
                    files.put(name, content);
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // Commons Compress reports bad checksums, bad numbers and short reads as IOException or IAE.
            throw new BundleException(Reason.MALFORMED_ARCHIVE, "invalid tar: " + e.getMessage(), e);
        }
        requireEndOfArchive(tar, endOfLastEntry);
        requireNoFileAsParent(files.keySet());
        if (signatures == null) {
            throw new BundleException(Reason.MALFORMED_SIGNATURES, "bundle has no " + BundleFormat.SIGNATURES_FILE);
        }
        return new UnpackedBundle(files, signatures);
    }

    // After the last entry's header (and data, rounded up to a block): >= 2 zero blocks and nothing but zeros.
    private static void requireEndOfArchive(byte[] tar, long endOfLastEntry) throws BundleException {
        int start = (int) ((endOfLastEntry + BLOCK - 1) / BLOCK * BLOCK);
        if (tar.length - start < 2 * BLOCK || !allZero(tar, start, start + 2 * BLOCK)) {
            throw malformed("tar ends without its end-of-archive marker (expected: two zero blocks)");
        }
        if (!allZero(tar, start, tar.length)) {
            throw malformed("non-zero bytes after the tar end-of-archive marker");
        }
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static void requireNoFileAsParent(Set<String> paths) throws BundleException {
        for (String path : paths) {
            for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
                String parent = path.substring(0, i);
                if (paths.contains(parent)) {
                    throw new BundleException(Reason.DUPLICATE_PATH, "path " + BundlePaths.quote(path)
                            + " lies below the file " + BundlePaths.quote(parent));
                }
            }
        }
    }

    private static String describe(byte type) {
        return switch (type) {
            case TarConstants.LF_SYMLINK -> "symbolic link";
            case TarConstants.LF_LINK -> "hard link";
            case TarConstants.LF_CHR -> "character device";
            case TarConstants.LF_BLK -> "block device";
            case TarConstants.LF_FIFO -> "FIFO";
            default -> "type '" + (char) type + "'";
        };
    }

    private static int skipZeroTerminated(byte[] in, int pos) throws BundleException {
        while (pos < in.length && in[pos] != 0) {
            pos++;
        }
        if (pos >= in.length) {
            throw malformed("gzip header truncated");
        }
        return pos + 1;
    }

    private static long le32(byte[] b, int off) {
        return (b[off] & 0xffL) | (b[off + 1] & 0xffL) << 8 | (b[off + 2] & 0xffL) << 16 | (b[off + 3] & 0xffL) << 24;
    }

    private static BundleException malformed(String message) {
        return new BundleException(Reason.MALFORMED_ARCHIVE, message);
    }
}
