package io.clawgress.enforcement.bundle;

import java.util.Objects;

/**
 * A bundle, a key set or a signature was refused. Every refusal carries a {@link Reason}, whose
 * {@link Reason#code()} is stable and meant for audit records and metrics, and a message that says what was found and
 * what was expected.
 */
public final class BundleException extends Exception {

    /** Why a bundle was refused. The codes are stable; messages are for people. */
    public enum Reason {
        // Bounds (BundleReader)
        TOO_LARGE,
        TOO_MANY_FILES,
        BAD_PATH,
        LINK_OR_DEVICE,
        DUPLICATE_PATH,
        MALFORMED_ARCHIVE,
        // Signature envelope and trust (BundleVerifier)
        MALFORMED_SIGNATURES,
        DISALLOWED_ALG,
        UNKNOWN_KID,
        ALG_MISMATCH,
        BAD_SIGNATURE,
        NOT_YET_VALID,
        EXPIRED,
        REVISION_NOT_NEWER,
        // Contents against the signed manifest (BundleVerifier)
        FILE_NOT_SIGNED,
        SIGNED_FILE_MISSING,
        DIGEST_MISMATCH,
        // Trusted key set file (TrustedKeys)
        MALFORMED_KEY_SET;

        /** Lower-case code for audit records, e.g. {@code digest_mismatch}. */
        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Reason reason;

    public BundleException(Reason reason, String message) {
        super(reason.code() + ": " + message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public BundleException(Reason reason, String message, Throwable cause) {
        super(reason.code() + ": " + message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }

    /** The message without its leading reason code, for callers that print the code themselves. */
    public String detail() {
        String m = getMessage();
        String prefix = reason.code() + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }
}
