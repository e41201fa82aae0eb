package io.clawgress.tproxy.l7;

import java.util.regex.Pattern;

/**
 * The terminal event of a framer: the bytes cannot be framed unambiguously, so the connection must not carry
 * another message. {@code code} is a stable snake_case reason (constants in {@link RefusalCode}, listed in
 * {@code docs/http-gate.md}); {@code status} is the HTTP status to answer with when nothing was sent yet (4xx/5xx for
 * requests, always 502 for responses); {@code message} says what was wrong and cites the RFC.
 */
public record Refusal(String code, int status, String message) {

    private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");

    public Refusal {
        if (code == null || !CODE.matcher(code).matches()) {
            throw new IllegalArgumentException("code: " + code + " (expected: snake_case)");
        }
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected: 400..599)");
        }
        if (message == null || message.isBlank()) {
            throw new IllegalArgumentException("message: " + message + " (expected: a non-blank sentence)");
        }
    }
}
