package io.clawgress.tproxy.peek;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Limits of the peek stage.
 *
 * @param maxBytes         the largest ClientHello or HTTP request head read before deciding (1 KiB..64 KiB)
 * @param timeout          how long the agent has to send it
 * @param serverFirstPorts destination ports where the server speaks first (SSH, SMTP, ...): not peeked, decided on
 *                         the address at once instead of waiting out the timeout
 */
public record PeekSettings(int maxBytes, Duration timeout, Set<Integer> serverFirstPorts) {

    public static final int DEFAULT_MAX_BYTES = 16 * 1024;
    public static final int MIN_MAX_BYTES = 1024;
    public static final int MAX_MAX_BYTES = 64 * 1024;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** FTP, SSH, SMTP, POP3, IMAP, SMTP submission, MySQL: the server greets first. */
    public static final Set<Integer> DEFAULT_SERVER_FIRST_PORTS = Set.of(21, 22, 25, 110, 143, 587, 3306);

    public PeekSettings {
        Objects.requireNonNull(timeout, "timeout");
        serverFirstPorts = Set.copyOf(serverFirstPorts);
        if (maxBytes < MIN_MAX_BYTES || maxBytes > MAX_MAX_BYTES) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: " + MIN_MAX_BYTES + ".."
                    + MAX_MAX_BYTES + ")");
        }
        if (timeout.toMillis() < 10 || timeout.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: 10ms .. 1m)");
        }
        for (int p : serverFirstPorts) {
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("serverFirstPorts: " + p + " (expected: 1..65535)");
            }
        }
    }

    public static PeekSettings defaults() {
        return new PeekSettings(DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, DEFAULT_SERVER_FIRST_PORTS);
    }
}
