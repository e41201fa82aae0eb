package io.clawgress.testing.peer;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/** How a connection ended, as the peers report it ({@code "ended"}), and small digest helpers. */
final class Outcome {

    static final String EOF = "eof";
    static final String RESET = "reset";
    static final String TIMEOUT = "timeout";
    static final String REFUSED = "refused";

    private Outcome() {
    }

    /** {@code reset} for RST seen on read or write, {@code timeout}, {@code refused}, else {@code error: ...}. */
    static String of(IOException e) {
        if (e instanceof SocketTimeoutException) {
            return TIMEOUT;
        }
        String msg = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (msg.contains("connection reset") || msg.contains("broken pipe")) {
            return RESET;
        }
        if (e instanceof ConnectException && msg.contains("refused")) {
            return REFUSED;
        }
        return "error: " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static String hex(MessageDigest d) {
        return HexFormat.of().formatHex(d.digest());
    }
}
