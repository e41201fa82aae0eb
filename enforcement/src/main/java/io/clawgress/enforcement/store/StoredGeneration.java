package io.clawgress.enforcement.store;

import java.time.Instant;
import java.util.Objects;

/**
 * What the store knows about one retained generation, without its bytes: what {@code clawgressctl bundle history}
 * lists. The bytes are read (and checked against {@code sha256}) only by {@link PolicyStore#bundle(long)}.
 *
 * @param revision    the bundle's signed revision, >= 1
 * @param activatedAt when this revision was last made active
 * @param byteCount   the size of the bundle as received
 * @param sha256      lower-case hex SHA-256 of the bundle bytes
 * @param kid         the key id that signed it
 * @param source      where it came from when it was last made active ({@code push:uid=0}, {@code file:...})
 * @param active      whether the store's active pointer names it
 */
public record StoredGeneration(long revision, Instant activatedAt, long byteCount, String sha256, String kid,
                               String source, boolean active) {

    public StoredGeneration {
        if (revision < 1) {
            throw new IllegalArgumentException("revision: " + revision + " (expected: >= 1)");
        }
        Objects.requireNonNull(activatedAt, "activatedAt");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(kid, "kid");
        Objects.requireNonNull(source, "source");
        if (byteCount < 1) {
            throw new IllegalArgumentException("byteCount: " + byteCount + " (expected: >= 1)");
        }
    }
}
