package io.clawgress.tproxy.l7;

import io.clawgress.tproxy.peek.HostNames;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Byte tables and checks shared by the framers and writers, on byte arrays (the framers copy each head once and
 * check it with plain array loops). Host names are checked by the peek's own {@link HostNames}, so the peek and the
 * gate can never disagree about a Host field: ASCII DNS names in A-label form, IPv4 dotted quads and bracketed IPv6
 * literals; no underscore, no percent-encoding, no trailing dot, no numeric rightmost label.
 */
final class HttpSyntax {

    static final byte CR = '\r';
    static final byte LF = '\n';
    static final byte SP = ' ';
    static final byte HTAB = '\t';

    /** Longest method accepted: the longest registered method, UPDATEREDIRECTREF, has 17 characters. */
    static final int MAX_METHOD = 20;
    /** Longest text quoted in a refusal message; the rest is elided (messages go to audit logs). */
    private static final int MAX_QUOTED = 80;

    /** RFC 9110 §5.6.2 tchar. */
    static final boolean[] TCHAR = new boolean[256];
    /** RFC 9112 §3.2 request-target bytes: visible ASCII, without '#' (no fragment in any target form). */
    static final boolean[] TARGET = new boolean[256];
    /** RFC 9110 §5.5 field-value bytes: VCHAR, obs-text, SP and HTAB; no other control characters. */
    static final boolean[] FIELD_VALUE = new boolean[256];
    /** RFC 9112 §4 reason-phrase bytes: HTAB, SP, VCHAR, obs-text. */
    static final boolean[] REASON = FIELD_VALUE;
    /** RFC 9110 §5.6.4 qdtext: HTAB, SP, '!', '#'..'[', ']'..'~', obs-text. */
    static final boolean[] QDTEXT = new boolean[256];
    private static final boolean[] LETTER_OR_DIGIT = new boolean[256];
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;

    static {
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
        for (int c = 0; c < 256; c++) {
            LETTER_OR_DIGIT[c] = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
            TCHAR[c] |= LETTER_OR_DIGIT[c];
            TARGET[c] = c > 0x20 && c < 0x7f && c != '#';
            FIELD_VALUE[c] = c >= 0x20 && c != 0x7f || c == '\t';
            QDTEXT[c] = c == '\t' || c == ' ' || c == 0x21 || c >= 0x23 && c <= 0x5b || c >= 0x5d && c <= 0x7e
                    || c >= 0x80;
        }
    }

    private HttpSyntax() {
    }

    /** The first offset in {@code [from, to)} whose byte is not {@code allowed}, or {@code to}. */
    static int scan(byte[] b, int from, int to, boolean[] allowed) {
        int i = from;
        while (i < to && allowed[b[i] & 0xff]) {
            i++;
        }
        return i;
    }

    /**
     * {@link #scan} with {@link #FIELD_VALUE}, eight bytes at a time: a word passes when none of its bytes is below
     * 0x20 or equal to 0x7f (exact SWAR tests: no borrow crosses a byte unless a lower byte is below 0x20, which
     * fails the word anyway); a word that does not pass (a control byte, or an HTAB) is checked byte by byte.
     */
    static int scanFieldValue(byte[] b, int from, int to) {
        int i = from;
        while (i + Long.BYTES <= to) {
            long x = (long) LONGS.get(b, i);
            long below20 = (x - 0x20 * ONES) & ~x & HIGH_BITS;
            long y = x ^ 0x7f * ONES;
            long del = (y - ONES) & ~y & HIGH_BITS;
            if ((below20 | del) != 0) {
                for (int end = i + Long.BYTES; i < end; i++) {
                    if (!FIELD_VALUE[b[i] & 0xff]) {
                        return i;
                    }
                }
            } else {
                i += Long.BYTES;
            }
        }
        return scan(b, i, to, FIELD_VALUE);
    }

    static boolean isOws(byte c) {
        return c == SP || c == HTAB;
    }

    static int indexOf(byte[] b, int from, int to, int c) {
        for (int i = from; i < to; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    static boolean equalsAscii(byte[] b, int from, int to, String s) {
        return to - from == s.length() && startsWithAscii(b, from, to, s);
    }

    static boolean startsWithAscii(byte[] b, int from, int to, String s) {
        if (to - from < s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (b[from + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code b[from, to)} equals the lower-case ASCII {@code lower}, ignoring ASCII case. */
    static boolean equalsIgnoreCase(byte[] b, int from, int to, String lower) {
        if (to - from != lower.length()) {
            return false;
        }
        for (int i = 0; i < lower.length(); i++) {
            int c = b[from + i];
            if (c >= 'A' && c <= 'Z') {
                c |= 0x20;
            }
            if (c != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    static String latin1(byte[] b, int from, int to) {
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /** {@code b[from, to)} as a lower-case string; callers checked it is ASCII. */
    static String lowerCase(byte[] b, int from, int to) {
        char[] chars = new char[to - from];
        for (int i = from; i < to; i++) {
            int c = b[i];
            chars[i - from] = (char) (c >= 'A' && c <= 'Z' ? c | 0x20 : c & 0xff);
        }
        return new String(chars);
    }

    static int hexValue(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        c |= 0x20;
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    }

    // ---- host names (RFC 3986 §3.2.2, RFC 1123 §2.1, RFC 5890 §2.3.2.1) ----

    /**
     * Why {@code b[from, to)} is not {@code uri-host [":" port]} (RFC 3986 §3.2.2, §3.2.3) in the form accepted
     * here, or null: a DNS name or IPv4 dotted quad or a bracketed IPv6 literal, and a decimal port 1..65535 of at
     * most 5 digits. No userinfo (RFC 9110 §4.2.4), no percent-encoding, no IPvFuture, no zone identifier.
     */
    static String authorityError(byte[] b, int from, int to) {
        if (from == to) {
            return "is empty (RFC 9110 §4.2.1: an http URI with an empty host MUST be rejected)";
        }
        if (indexOf(b, from, to, '@') >= 0) {
            return "has userinfo (RFC 9110 §4.2.4)";
        }
        int hostEnd;
        if (b[from] == '[') {
            int close = indexOf(b, from, to, ']');
            if (close < 0) {
                return "has an unclosed '['";
            }
            if (!HostNames.isIpv6(b, from + 1, close - from - 1)) {
                return "has an invalid IPv6 literal (RFC 3986 §3.2.2)";
            }
            hostEnd = close + 1;
            if (hostEnd < to && b[hostEnd] != ':') {
                return "has " + describe(b[hostEnd] & 0xff) + " after the IPv6 literal";
            }
        } else {
            int colon = indexOf(b, from, to, ':');
            hostEnd = colon < 0 ? to : colon;
            if (hostEnd == from) {
                return "has an empty host (RFC 9110 §4.2.1)";
            }
            if (!HostNames.isIpv4(b, from, hostEnd - from)) {
                String error = HostNames.dnsNameError(b, from, hostEnd);
                if (error != null) {
                    return "host " + error;
                }
            }
        }
        if (hostEnd == to) {
            return null;
        }
        int digits = to - hostEnd - 1;
        if (digits < 1 || digits > 5) {
            return "has a port of " + digits + " digits (expected: 1..65535)";
        }
        int port = 0;
        for (int i = hostEnd + 1; i < to; i++) {
            int c = b[i];
            if (c < '0' || c > '9') {
                return "has a port containing " + describe(c & 0xff) + " (expected: 1..65535)";
            }
            port = port * 10 + c - '0';
        }
        return port < 1 || port > 65535 ? "has port " + port + " (expected: 1..65535)" : null;
    }

    /** Start of the host in a checked authority: after the '[' of an IPv6 literal. */
    static int hostStart(byte[] b, int from) {
        return b[from] == '[' ? from + 1 : from;
    }

    /** End of the host in a checked authority: at the ']' of an IPv6 literal or the ':' before the port. */
    static int hostEnd(byte[] b, int from, int to) {
        if (b[from] == '[') {
            return indexOf(b, from, to, ']');
        }
        int colon = indexOf(b, from, to, ':');
        return colon < 0 ? to : colon;
    }

    /** The port of a checked authority, or -1 when none was given. */
    static int port(byte[] b, int from, int to) {
        int end = hostEnd(b, from, to) + (b[from] == '[' ? 1 : 0);
        if (end >= to) {
            return -1;
        }
        int port = 0;
        for (int i = end + 1; i < to; i++) {
            port = port * 10 + b[i] - '0';
        }
        return port;
    }

    /** Whether the hosts of two checked authorities are equal, ignoring ASCII case. */
    static boolean sameHost(byte[] b, int aFrom, int aTo, int bFrom, int bTo) {
        int a = hostStart(b, aFrom);
        int aEnd = hostEnd(b, aFrom, aTo);
        int c = hostStart(b, bFrom);
        if (aEnd - a != hostEnd(b, bFrom, bTo) - c) {
            return false;
        }
        for (; a < aEnd; a++, c++) {
            if ((b[a] | 0x20) != (b[c] | 0x20)) { // ASCII letters, digits, '.', '-', ':' (checked)
                return false;
            }
        }
        return true;
    }

    // ---- text for refusal messages (allocated only when refusing) ----

    /** {@code b[from, to)} quoted for a message: printable ASCII as is, anything else as \xNN, long input elided. */
    static String quote(byte[] b, int from, int to) {
        int shown = Math.min(to - from, MAX_QUOTED);
        StringBuilder sb = new StringBuilder(shown + 8).append('"');
        for (int i = from; i < from + shown; i++) {
            int c = b[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                sb.append((char) c);
            } else {
                sb.append("\\x").append(hex2(c));
            }
        }
        if (shown < to - from) {
            sb.append("...");
        }
        return sb.append('"').toString();
    }

    /** A byte for a message: {@code 'x'} when printable, else {@code the byte 0xNN}. */
    static String describe(int c) {
        return c > 0x20 && c < 0x7f ? "'" + (char) c + "'" : c == 0x20 ? "SP" : "the byte 0x" + hex2(c);
    }

    static String hex2(int c) {
        return Character.forDigit(c >> 4 & 0xf, 16) + "" + Character.forDigit(c & 0xf, 16);
    }
}
