package io.clawgress.enforcement.audit;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One call to a changing endpoint of the admin API (DESIGN.md §7: every change is itself an audit record), written as
 * a {@code "type":"admin"} record (docs/audit.md). Callers that were refused are recorded too: the attempt is evidence.
 *
 * <p>The codes ({@code method}, {@code action}) come from the admin server and are checked: a bad one is a bug and
 * throws. The text ({@code path}, {@code target}, {@code detail}) may come from the caller, so it is made safe rather
 * than refused, and a record can always be built for a call, however odd: control and format characters (C0, DEL,
 * C1, bidi overrides...) and unpaired surrogates become <code>&#92;uXXXX</code>, and text longer than its bound is
 * cut, ending in {@code ...}. Empty text is absent ({@code null}).
 *
 * @param time    when the call was answered
 * @param uid     the caller's user id (SO_PEERCRED), unsigned: a uid above 2^31 - 1 arrives as a negative int and is
 *                written as the unsigned number; -1 ({@code (uid_t) -1}) is no uid and refused
 * @param gid     the caller's primary group id, as {@code uid}
 * @param pid     the caller's process id, or 0 when unknown
 * @param method  the HTTP method (an RFC 9110 §5.6.2 token, at most {@value #MAX_METHOD_CHARS} characters)
 * @param path    the API path as requested, without the query ({@code /v1/agents/a1/disable}); at most
 *                {@value #MAX_PATH_CHARS} characters once made safe
 * @param action  the stable code of what the call does: {@code agent.disable}, {@code bundle.push},
 *                {@code flows.kill}, {@code reload}... (dot-separated snake_case words, at most
 *                {@value #MAX_ACTION_CHARS} characters)
 * @param target  what it acted on (an agent id, flow id, revision), or {@code null}; at most
 *                {@value #MAX_TARGET_CHARS} characters
 * @param outcome how it ended; must agree with {@code status} ({@link Outcome#forStatus})
 * @param status  the HTTP status it was answered with (100..599)
 * @param detail  a few words more (the error message), or {@code null}; at most {@value #MAX_DETAIL_CHARS} characters
 */
public record AdminRecord(Instant time, int uid, int gid, int pid, String method, String path, String action,
                          String target, Outcome outcome, int status, String detail) {

    public static final int MAX_METHOD_CHARS = 32;
    public static final int MAX_PATH_CHARS = 1024;
    public static final int MAX_ACTION_CHARS = 64;
    public static final int MAX_TARGET_CHARS = 256;
    public static final int MAX_DETAIL_CHARS = 512;

    /** RFC 9110 §5.6.2: {@code token = 1*tchar}. */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern ACTION = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*");
    private static final String CUT = "...";

    /** How an admin call ended; the codes are stable (written to the log, matched by scripts). */
    public enum Outcome {
        /** Done (2xx, or another status below 400). */
        OK("ok"),
        /** The caller may not change things (403; 401 too should an endpoint ever ask for credentials). */
        FORBIDDEN("forbidden"),
        /** A bad request, an unknown id, a conflict: any other 4xx. */
        REFUSED("refused"),
        /** The gateway failed to do it (5xx). */
        FAILED("failed");

        private final String code;

        Outcome(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }

        /** The outcome an answer with {@code status} stands for. */
        public static Outcome forStatus(int status) {
            requireStatus(status);
            if (status >= 500) {
                return FAILED;
            }
            if (status == 401 || status == 403) {
                return FORBIDDEN;
            }
            return status >= 400 ? REFUSED : OK;
        }
    }

    /** A record whose outcome follows from its status. */
    public AdminRecord(Instant time, int uid, int gid, int pid, String method, String path, String action,
                       String target, int status, String detail) {
        this(time, uid, gid, pid, method, path, action, target, Outcome.forStatus(status), status, detail);
    }

    public AdminRecord {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(outcome, "outcome");
        if (uid == -1 || gid == -1) {
            throw new IllegalArgumentException("uid/gid: " + Integer.toUnsignedString(uid) + "/"
                    + Integer.toUnsignedString(gid) + " (expected: a real id; 4294967295 is (uid_t) -1, no id)");
        }
        if (pid < 0) {
            throw new IllegalArgumentException("pid: " + pid + " (expected: >= 0, 0 when unknown)");
        }
        if (method.length() > MAX_METHOD_CHARS || !TOKEN.matcher(method).matches()) {
            throw new IllegalArgumentException("method: " + quote(method) + " (expected: an HTTP method, 1.."
                    + MAX_METHOD_CHARS + " token characters, RFC 9110 §5.6.2)");
        }
        if (action.length() > MAX_ACTION_CHARS || !ACTION.matcher(action).matches()) {
            throw new IllegalArgumentException("action: " + quote(action) + " (expected: 1.."
                    + MAX_ACTION_CHARS + " characters of dot-separated snake_case words, such as agent.disable)");
        }
        requireStatus(status);
        if (outcome != Outcome.forStatus(status)) {
            throw new IllegalArgumentException("outcome: " + outcome.code() + " with status " + status
                    + " (expected: " + Outcome.forStatus(status).code() + ")");
        }
        path = printable(path, MAX_PATH_CHARS);
        if (path == null) {
            throw new IllegalArgumentException("path: empty (expected: the API path, such as /v1/status)");
        }
        target = printable(target, MAX_TARGET_CHARS);
        detail = printable(detail, MAX_DETAIL_CHARS);
    }

    /** The uid as written: unsigned. */
    public long uidUnsigned() {
        return Integer.toUnsignedLong(uid);
    }

    /** The gid as written: unsigned. */
    public long gidUnsigned() {
        return Integer.toUnsignedLong(gid);
    }

    private static void requireStatus(int status) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected: an HTTP status, 100..599)");
        }
    }

    /** {@code 'value'} made safe and cut, for messages. */
    private static String quote(String value) {
        String s = printable(value, 80);
        return "'" + (s == null ? "" : s) + "'";
    }

    /**
     * {@code value} with control and format characters and unpaired surrogates escaped as <code>&#92;uXXXX</code>,
     * cut to {@code max} characters (ending in {@code ...}); {@code null} for null or empty text.
     */
    static String printable(String value, int max) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder(Math.min(value.length(), max) + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1));
            if (pair) {
                b.append(c).append(value.charAt(++i));
            } else if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                    || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
            if (b.length() > max) {
                break;
            }
        }
        if (b.length() <= max) {
            return b.toString();
        }
        int end = max - CUT.length();
        if (Character.isLowSurrogate(b.charAt(end)) && Character.isHighSurrogate(b.charAt(end - 1))) {
            end--; // never split a pair
        }
        return b.substring(0, end) + CUT;
    }
}
