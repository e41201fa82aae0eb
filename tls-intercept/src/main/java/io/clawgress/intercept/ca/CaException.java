package io.clawgress.intercept.ca;

/**
 * A CA directory cannot be used: unreadable, partial, corrupted, expired, a key that does not match its
 * certificate, or permissions that expose the key. The message says which file and what the operator can do.
 */
public final class CaException extends Exception {

    private static final long serialVersionUID = 1L;

    public CaException(String message) {
        super(message);
    }

    public CaException(String message, Throwable cause) {
        super(message, cause);
    }
}
