package io.clawgress.enforcement.activation.source;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A candidate bundle as received; nothing about it is trusted yet (the activator verifies it).
 *
 * <p>The array is handed over, not copied (a bundle may be 32 MiB): neither the source nor the sink changes it after
 * {@link BundleSink#offer}. As for any record with an array component, {@code equals} compares the array by identity.
 *
 * @param bytes      the bytes exactly as read or downloaded (a gzip'd tar, by contract, but unchecked)
 * @param source     where they came from, for logs and the audit trail: {@code file:/etc/clawgress/bundle.tar.gz},
 *                   {@code drop:/var/lib/clawgress/drop/x.tar.gz}, {@code url:https://...}
 * @param receivedAt when the source finished reading them
 */
public record BundleCandidate(byte[] bytes, String source, Instant receivedAt) {

    /** Characters of the SHA-256 hex digest shown in logs. */
    static final int SHA256_PREFIX_CHARS = 12;

    public BundleCandidate {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(receivedAt, "receivedAt");
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException(
                    "source: '" + source + "' (expected: e.g. file:/path, drop:/path, url:https://...)");
        }
    }

    /** SHA-256 of {@link #bytes()}, lower-case hex; computed on every call. */
    public String sha256Hex() {
        return sha256Hex(bytes);
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Source, size and digest prefix: what the logs say about a candidate. */
    @Override
    public String toString() {
        return "BundleCandidate[source=" + source + ", bytes=" + bytes.length + ", sha256="
                + sha256Hex().substring(0, SHA256_PREFIX_CHARS) + ", receivedAt=" + receivedAt + "]";
    }
}
