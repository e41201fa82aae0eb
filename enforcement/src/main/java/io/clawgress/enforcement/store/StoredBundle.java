package io.clawgress.enforcement.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One stored generation: the exact signed bundle bytes as received, and what is known about them. The compact
 * constructor hashes {@code bytes}, so a {@code StoredBundle} whose digest does not match its bytes cannot exist —
 * which is also how a corrupted value read back from the store is caught.
 *
 * @param revision    the bundle's signed revision, >= 1
 * @param bytes       the signed bundle (tar.gz) as received. Not copied, to keep a 32 MiB bundle from being held
 *                    twice; it must not be modified
 * @param sha256      lower-case hex SHA-256 of {@code bytes}
 * @param kid         the key id that signed the bundle
 * @param source      where the bundle came from, e.g. {@code file:/etc/clawgress/bundle.tar.gz}
 * @param activatedAt when this revision was last made active
 */
public record StoredBundle(long revision, byte[] bytes, String sha256, String kid, String source, Instant activatedAt) {

    static final int MAX_TEXT = 1024;
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    public StoredBundle {
        if (revision < 1) {
            throw new IllegalArgumentException("revision: " + revision + " (expected: >= 1)");
        }
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(activatedAt, "activatedAt");
        if (bytes.length == 0) {
            throw new IllegalArgumentException("bytes: empty (expected: a signed bundle)");
        }
        if (!SHA256_HEX.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256: '" + sha256 + "' (expected: 64 lower-case hex digits)");
        }
        String actual = sha256Hex(bytes);
        if (!actual.equals(sha256)) {
            throw new IllegalArgumentException("sha256: " + sha256 + " (expected: " + actual + ", the SHA-256 of the "
                    + bytes.length + " bytes)");
        }
        HistoryEntry.text("kid", kid, false, MAX_TEXT);
        HistoryEntry.text("source", source, false, MAX_TEXT);
    }

    /** A bundle whose SHA-256 is computed here. */
    public static StoredBundle of(long revision, byte[] bytes, String kid, String source, Instant activatedAt) {
        return new StoredBundle(revision, bytes, sha256Hex(bytes), kid, source, activatedAt);
    }

    /** Lower-case hex SHA-256. */
    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    /** Compares the bytes through their digest, which the constructor ties to them. */
    @Override
    public boolean equals(Object o) {
        return o instanceof StoredBundle b && revision == b.revision && bytes.length == b.bytes.length
                && sha256.equals(b.sha256) && kid.equals(b.kid) && source.equals(b.source)
                && activatedAt.equals(b.activatedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(revision, sha256, kid, source, activatedAt);
    }

    @Override
    public String toString() {
        return "StoredBundle[revision=" + revision + ", bytes=" + bytes.length + ", sha256=" + sha256 + ", kid=" + kid
                + ", source=" + source + ", activatedAt=" + activatedAt + "]";
    }
}
