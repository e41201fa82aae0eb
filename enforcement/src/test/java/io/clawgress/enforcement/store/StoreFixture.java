package io.clawgress.enforcement.store;

import java.time.Instant;
import java.util.SplittableRandom;

/** Bundles of random bytes and history entries at fixed instants. */
final class StoreFixture {

    static final Instant T0 = Instant.parse("2026-11-21T12:00:00Z");
    static final String SOURCE = "file:/etc/clawgress/bundle.tar.gz";
    static final String KID = "ops-ed-2026";

    private StoreFixture() {
    }

    /** A bundle of {@code size} random bytes (seeded by the revision), activated {@code revision} seconds after T0. */
    static StoredBundle bundle(long revision, int size) {
        byte[] bytes = new byte[size];
        new SplittableRandom(revision * 31 + size).nextBytes(bytes);
        return StoredBundle.of(revision, bytes, KID, SOURCE, T0.plusSeconds(revision));
    }

    static StoredBundle bundle(long revision) {
        return bundle(revision, 4096);
    }

    static HistoryEntry activated(StoredBundle b) {
        return new HistoryEntry(b.activatedAt(), b.source(), b.kid(), b.revision(), HistoryEntry.ACTIVATED, null, null);
    }

    static HistoryEntry entry(long revision, String result, Instant at) {
        return new HistoryEntry(at, SOURCE, KID, revision, result, null, null);
    }

    static HistoryEntry rejected(Instant at, String reasonCode, String message) {
        return new HistoryEntry(at, SOURCE, null, 0, HistoryEntry.REJECTED, reasonCode, message);
    }
}
