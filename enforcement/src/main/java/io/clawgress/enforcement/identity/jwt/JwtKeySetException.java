package io.clawgress.enforcement.identity.jwt;

/**
 * A JWT key-set file was refused; the message names the entry and says what was expected. Thrown on the thread that
 * parses the key set (the activation executor or the CLI), never on an event loop.
 */
public final class JwtKeySetException extends Exception {

    private static final long serialVersionUID = 1L;

    public JwtKeySetException(String message) {
        super(message);
    }

    public JwtKeySetException(String message, Throwable cause) {
        super(message, cause);
    }
}
