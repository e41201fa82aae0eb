package io.clawgress.enforcement.store;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One line of the activation history: an activation, a rollback, a rejection or a restore at startup.
 *
 * @param at         when it happened
 * @param source     where the bundle came from, e.g. {@code file:/etc/clawgress/bundle.tar.gz}
 * @param kid        the key id that signed the bundle, or null when unknown (e.g. the signature did not parse)
 * @param revision   the bundle's revision, or 0 when unknown
 * @param result     what happened, lower-case snake case: {@link #ACTIVATED}, {@link #ROLLED_BACK},
 *                   {@link #REJECTED}, {@link #RESTORED} or another code of the same shape
 * @param reasonCode why, e.g. {@code bad_signature}; null for a plain success
 * @param message    for people, at most 4096 chars; null when there is nothing to add
 */
public record HistoryEntry(Instant at, String source, String kid, long revision, String result, String reasonCode,
                           String message) {

    public static final String ACTIVATED = "activated";
    public static final String ROLLED_BACK = "rolled_back";
    public static final String REJECTED = "rejected";
    public static final String RESTORED = "restored";

    static final int MAX_MESSAGE = 4096;
    private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    public HistoryEntry {
        Objects.requireNonNull(at, "at");
        if (revision < 0) {
            throw new IllegalArgumentException("revision: " + revision + " (expected: >= 0, 0 when unknown)");
        }
        text("source", source, false, StoredBundle.MAX_TEXT);
        text("kid", kid, true, StoredBundle.MAX_TEXT);
        code("result", result, false);
        code("reasonCode", reasonCode, true);
        text("message", message, true, MAX_MESSAGE);
    }

    static void text(String name, String value, boolean nullable, int maxChars) {
        if (value == null) {
            if (!nullable) {
                throw new NullPointerException(name);
            }
            return;
        }
        if (value.isBlank() || value.length() > maxChars) {
            throw new IllegalArgumentException(name + ": " + value.length() + " chars"
                    + (value.isBlank() ? ", blank" : "") + " (expected: non-blank, <= " + maxChars + " chars)");
        }
    }

    private static void code(String name, String value, boolean nullable) {
        if (value == null && nullable) {
            return;
        }
        Objects.requireNonNull(value, name);
        if (!CODE.matcher(value).matches()) {
            throw new IllegalArgumentException(name + ": '" + value + "' (expected: lower-case snake case like "
                    + "rolled_back, <= 64 chars)");
        }
    }
}
