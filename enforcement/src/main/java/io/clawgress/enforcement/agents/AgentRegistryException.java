package io.clawgress.enforcement.agents;

import java.util.Locale;
import java.util.Objects;

/**
 * An {@link AgentRegistry} operation failed. Every LMDB error surfaces as this, never as an unchecked exception, and
 * a failed write has been rolled back entirely: the registry and its generation are as they were.
 */
public final class AgentRegistryException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why an operation failed. The codes are stable; messages are for people. */
    public enum Reason {
        /** {@link AgentRegistry#add} of an agent id that is already registered; nothing was written. */
        ALREADY_EXISTS,
        /** The agent is not registered. */
        NOT_FOUND,
        /** The write does not fit in the LMDB map; nothing was written. */
        MAP_FULL,
        /** A stored key or value failed validation, or LMDB reported page corruption. */
        CORRUPT,
        /** The registry was closed. */
        CLOSED,
        /** The directory, the native library, permissions, or any other LMDB error. */
        IO;

        /** Lower-case code for the CLI and audit records, e.g. {@code already_exists}. */
        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Reason reason;

    public AgentRegistryException(Reason reason, String message) {
        super(reason.code() + ": " + message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public AgentRegistryException(Reason reason, String message, Throwable cause) {
        super(reason.code() + ": " + message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
