package io.clawgress.tproxy.peek;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Host name syntax shared by the SNI and Host checks. Names are claims an agent makes about where it goes; the
 * policy matches them and the gateway resolves them itself, so only plain DNS names in A-label form pass: ASCII
 * letters, digits and hyphens in dot-separated labels (RFC 1123 §2.1, RFC 5890 §2.3.2.1), no underscore, no
 * percent-encoding, no trailing dot, and no rightmost label that a URL parser would read as a number (WHATWG URL
 * "ends in a number": {@code 1.2.3.4}, {@code example.123}, {@code 0x7f.1}), so two parsers never disagree on what
 * a name means. The checks return {@code null} when valid and otherwise a short reason (allocated only then).
 *
 * <p>Names are checked on a copy in a byte array: one copy of at most 253 bytes, then plain array loops, and the
 * same array becomes the lower-case string.
 */
public final class HostNames {

    static final int MAX_NAME = 253;
    static final int MAX_LABEL = 63;
    /** Longest IPv6 text form: six groups of four digits and an IPv4 dotted quad. */
    private static final int MAX_IPV6 = 45;
    /** Longest name or literal quoted in a reason; the rest is elided (reasons go to audit logs). */
    private static final int MAX_QUOTED = 80;

    private static final boolean[] LETTER_OR_DIGIT = new boolean[256];

    static {
        for (int c = 0; c < 256; c++) {
            LETTER_OR_DIGIT[c] = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
        }
    }

    private HostNames() {
    }

    /** The {@code len} bytes at {@code from}, for the array-based checks. */
    static byte[] copy(ByteBuf b, int from, int len) {
        byte[] bytes = new byte[len];
        b.getBytes(from, bytes);
        return bytes;
    }

    /**
     * Why {@code name} is not a DNS host name, or {@code null} when it is one. An IPv4 dotted quad is reported as
     * {@code "is an IPv4 address literal"}; callers that accept literals check {@link #isIpv4} first.
     */
    static String dnsNameError(byte[] name) {
        return dnsNameError(name, 0, name.length);
    }

    /** {@link #dnsNameError(byte[])} of {@code b[from, to)}. */
    public static String dnsNameError(byte[] b, int from, int to) {
        int len = to - from;
        if (len == 0) {
            return "is empty";
        }
        if (len > MAX_NAME) {
            return tooLong(len);
        }
        int labelStart = from;
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xff;
            if (LETTER_OR_DIGIT[c]) {
                continue;
            }
            if (c == '.') {
                if (i == labelStart) {
                    return i == to - 1 && i != from ? "has a trailing dot" : "has an empty label";
                }
                if (b[i - 1] == '-') {
                    return "has a label ending with '-'";
                }
                if (i - labelStart > MAX_LABEL) {
                    return labelTooLong();
                }
                if (i == to - 1) {
                    return "has a trailing dot";
                }
                labelStart = i + 1;
                continue;
            }
            if (c >= 0x80) {
                return "contains the non-ASCII byte 0x" + hex2(c) + " (expected: an A-label, RFC 5890 §2.3.2.1)";
            }
            if (c != '-') {
                return (c == ':' || c == '[') && isIpv6Literal(b, from, to) ? "is an IPv6 address literal"
                        : "contains " + describe(c) + " (expected: letters, digits, '-' and '.')";
            }
            if (i == labelStart) {
                return "has a label starting with '-'";
            }
        }
        if (b[to - 1] == '-') {
            return "has a label ending with '-'";
        }
        if (to - labelStart > MAX_LABEL) {
            return labelTooLong();
        }
        if (isNumericLabel(b, labelStart, to)) {
            return isIpv4(b, from, len) ? "is an IPv4 address literal"
                    : "has a numeric rightmost label (it reads as an IPv4 address)";
        }
        return null;
    }

    private static String labelTooLong() {
        return "has a label longer than " + MAX_LABEL + " bytes (RFC 1035 §2.3.4)";
    }

    /** A too-long name's reason, known before copying it. */
    static String tooLong(int len) {
        return "is " + len + " bytes long (expected: <= " + MAX_NAME + ", RFC 1035 §2.3.4)";
    }

    /** {@code name[from, to)} as a lower-case string, lower-casing the array in place; callers checked it is ASCII. */
    static String lowerCase(byte[] name, int from, int to) {
        for (int i = from; i < to; i++) {
            byte c = name[i];
            if (c >= 'A' && c <= 'Z') {
                name[i] = (byte) (c | 0x20);
            }
        }
        return new String(name, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /** Whether {@code b[from, from + len)} is a dotted quad: four decimal octets 0..255 without leading zeros. */
    public static boolean isIpv4(byte[] b, int from, int len) {
        int end = from + len;
        int octets = 0;
        int i = from;
        while (i < end) {
            int first = i;
            int value = 0;
            while (i < end && i - first < 4 && b[i] >= '0' && b[i] <= '9') {
                value = value * 10 + (b[i] - '0');
                i++;
            }
            int digits = i - first;
            if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && b[first] == '0')) {
                return false;
            }
            octets++;
            if (i == end) {
                break;
            }
            if (b[i] != '.' || octets == 4) {
                return false;
            }
            i++;
            if (i == end) {
                return false;
            }
        }
        return octets == 4;
    }

    /**
     * Whether {@code b[from, from + len)} is an IPv6 address (RFC 4291 §2.2, the IPv6address rule of RFC 3986
     * §3.2.2): up to eight groups of 1..4 hex digits, at most one "::", optionally ending in an IPv4 dotted quad.
     * Zone identifiers and IPvFuture are refused.
     */
    public static boolean isIpv6(byte[] b, int from, int len) {
        if (len < 2 || len > MAX_IPV6) {
            return false;
        }
        int end = from + len;
        int groups = 0;
        boolean compressed = false;
        int i = from;
        if (b[i] == ':') {
            if (b[i + 1] != ':') {
                return false;
            }
            compressed = true;
            i += 2;
        }
        while (i < end) {
            int groupStart = i;
            while (i < end && hexValue(b[i]) >= 0) {
                i++;
            }
            int digits = i - groupStart;
            if (i < end && b[i] == '.') {
                // an embedded IPv4 address ends the address and takes two groups
                if (!isIpv4(b, groupStart, end - groupStart)) {
                    return false;
                }
                groups += 2;
                break;
            }
            if (digits == 0 || digits > 4) {
                return false;
            }
            groups++;
            if (i == end) {
                break;
            }
            if (b[i] != ':' || ++i == end) {
                return false;
            }
            if (b[i] == ':') {
                if (compressed) {
                    return false;
                }
                compressed = true;
                i++;
            }
        }
        return compressed ? groups <= 7 : groups == 8;
    }

    private static boolean isIpv6Literal(byte[] b, int from, int to) {
        if (to - from >= 2 && b[from] == '[' && b[to - 1] == ']') {
            return isIpv6(b, from + 1, to - from - 2);
        }
        return isIpv6(b, from, to - from);
    }

    /** The bytes quoted for a reason: printable ASCII as is, anything else as \xNN, long input elided. */
    static String quote(ByteBuf b, int from, int len) {
        byte[] shown = copy(b, from, Math.min(len, MAX_QUOTED));
        return quote(shown, 0, shown.length, len);
    }

    /** {@code b[from, to)} quoted like {@link #quote(ByteBuf, int, int)}. */
    static String quote(byte[] b, int from, int to) {
        return quote(b, from, Math.min(to - from, MAX_QUOTED), to - from);
    }

    private static String quote(byte[] b, int from, int shown, int len) {
        StringBuilder sb = new StringBuilder(shown + 8).append('"');
        for (int i = from; i < from + shown; i++) {
            int c = b[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                sb.append((char) c);
            } else {
                sb.append("\\x").append(hex2(c));
            }
        }
        if (shown < len) {
            sb.append("...");
        }
        return sb.append('"').toString();
    }

    /** A byte for a reason: {@code 'x'} when printable, else {@code the byte 0xNN}. */
    static String describe(int c) {
        return c > 0x20 && c < 0x7f ? "'" + (char) c + "'" : "the byte 0x" + hex2(c);
    }

    static String hex2(int c) {
        return Character.forDigit(c >> 4 & 0xf, 16) + "" + Character.forDigit(c & 0xf, 16);
    }

    static String hex4(int v) {
        return "0x" + hex2(v >> 8 & 0xff) + hex2(v & 0xff);
    }

    static int hexValue(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        c |= 0x20;
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    }

    /** Decimal digits only, or "0x" and hex digits: what the WHATWG URL IPv4 number parser accepts. */
    private static boolean isNumericLabel(byte[] b, int from, int end) {
        if (end - from >= 2 && b[from] == '0' && (b[from + 1] | 0x20) == 'x') {
            for (int i = from + 2; i < end; i++) {
                if (hexValue(b[i]) < 0) {
                    return false;
                }
            }
            return true;
        }
        for (int i = from; i < end; i++) {
            if (b[i] < '0' || b[i] > '9') {
                return false;
            }
        }
        return true;
    }
}
