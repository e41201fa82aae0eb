package io.clawgress.enforcement.store;

import java.util.Locale;
import java.util.Objects;

/**
 * A {@link PolicyStore} operation failed. Every LMDB error surfaces as this, never as an unchecked exception, and a
 * failed write has been rolled back entirely: what was active stays active.
 */
public final class StoreException extends Exception {

    /** Why an operation failed. The codes are stable; messages are for people. */
    public enum Reason {
        /** The write does not fit in the configured map size; nothing was written. */
        MAP_FULL,
        /** A stored value failed validation (length, encoding, SHA-256), or LMDB reported page corruption. */
        CORRUPT,
        /** The revision asked for is not stored. */
        NOT_FOUND,
        /** The store was closed. */
        CLOSED,
        /** The directory, the native library or any other LMDB error. */
        IO;

        /** Lower-case code for audit records, e.g. {@code map_full}. */
        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Reason reason;

    public StoreException(Reason reason, String message) {
        super(reason.code() + ": " + message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public StoreException(Reason reason, String message, Throwable cause) {
        super(reason.code() + ": " + message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
