package io.clawgress.enforcement.bundle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsonwebtoken.Jwts;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * Builds signed bundles (for {@code clawgressctl bundle build} and tests). The output is reproducible: entries sorted
 * by path with {@code .signatures.json} first, mtime 0, uid/gid 0, no owner names, mode 0644, PAX for long names, and a
 * gzip header with no name and mtime 0. With EdDSA (deterministic signatures, RFC 8032 §5.1.6) the same input gives
 * the same bytes; ES256 signatures are randomised, so only {@code .signatures.json} differs between two ES256 builds.
 * Validity instants are truncated to whole seconds.
 */
public final class BundleBuilder {

    /** Fixed entry mtime: the epoch. */
    static final Instant ENTRY_MTIME = Instant.EPOCH;
    static final int FILE_MODE = 0100644;

    private BundleBuilder() {
    }

    /** A signed bundle of {@code files} (paths must satisfy {@link BundlePaths}; {@code .signatures.json} is added). */
    public static byte[] build(Map<String, byte[]> files, SigningKey key, long revision, Instant notBefore,
                               Instant expires) throws BundleException {
        if (revision < 1) {
            throw new IllegalArgumentException("revision: " + revision + " (expected: >= 1)");
        }
        Instant nb = notBefore.truncatedTo(ChronoUnit.SECONDS);
        Instant exp = expires.truncatedTo(ChronoUnit.SECONDS);
        if (!nb.isBefore(exp)) {
            throw new IllegalArgumentException("validity: not_before " + nb + " is not before expires " + exp);
        }
        TreeMap<String, byte[]> sorted = new TreeMap<>();
        for (var e : files.entrySet()) {
            String path = BundlePaths.requireValid(e.getKey(), Limits.DEFAULTS.maxPathLength());
            if (path.equals(BundleFormat.SIGNATURES_FILE)) {
                throw new IllegalArgumentException("files: " + path + " is written by the builder");
            }
            sorted.put(path, e.getValue());
        }
        String jws = Jwts.builder()
                .header().keyId(key.kid()).type(BundleFormat.JWS_TYPE).and()
                .content(payload(sorted, key.kid(), revision, nb, exp), BundleFormat.JWS_CONTENT_TYPE)
                .signWith(key.privateKey(), switch (key.alg()) {
                    case EDDSA -> Jwts.SIG.EdDSA;
                    case ES256 -> Jwts.SIG.ES256;
                })
                .compact();
        ObjectNode signatures = BundleFormat.JSON.createObjectNode();
        signatures.putArray(BundleFormat.F_SIGNATURES).add(jws);
        TreeMap<String, byte[]> all = new TreeMap<>(sorted);
        return tarGz(BundleFormat.jsonBytes(signatures), all);
    }

    /** Builds from every regular file under {@code dir}; symbolic links and special files are refused. */
    public static byte[] build(Path dir, SigningKey key, long revision, Instant notBefore, Instant expires)
            throws IOException, BundleException {
        return build(readDirectory(dir), key, revision, notBefore, expires);
    }

    /** Every regular file under {@code dir}, by {@code /}-separated relative path. */
    public static Map<String, byte[]> readDirectory(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (!attrs.isRegularFile() || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException(file + ": not a regular file (links and special files are not bundled)");
                }
                StringBuilder rel = new StringBuilder();
                for (Path part : dir.relativize(file)) {
                    rel.append(rel.isEmpty() ? "" : "/").append(part);
                }
                files.put(rel.toString(), Files.readAllBytes(file));
                return FileVisitResult.CONTINUE;
            }
        });
        return files;
    }

    static byte[] payload(Map<String, byte[]> files, String kid, long revision, Instant nb, Instant exp) {
        ObjectNode payload = BundleFormat.JSON.createObjectNode();
        payload.put(BundleFormat.F_KID, kid);
        payload.put(BundleFormat.F_REVISION, revision);
        payload.put(BundleFormat.F_NOT_BEFORE, nb.toString());
        payload.put(BundleFormat.F_EXPIRES, exp.toString());
        ObjectNode digests = payload.putObject(BundleFormat.F_FILES);
        new TreeMap<>(files).forEach((path, bytes) -> digests.put(path, sha256Hex(bytes)));
        return BundleFormat.jsonBytes(payload);
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    private static byte[] tarGz(byte[] signatures, TreeMap<String, byte[]> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(gz, StandardCharsets.UTF_8.name())) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            add(tar, BundleFormat.SIGNATURES_FILE, signatures);
            for (var e : files.entrySet()) {
                add(tar, e.getKey(), e.getValue());
            }
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory", e);
        }
        return out.toByteArray();
    }

    private static void add(TarArchiveOutputStream tar, String path, byte[] content) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(path, true);
        entry.setSize(content.length);
        entry.setMode(FILE_MODE);
        entry.setModTime(ENTRY_MTIME.toEpochMilli());
        entry.setIds(0, 0);
        entry.setNames("", "");
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
    }
}
