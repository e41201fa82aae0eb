package io.clawgress.tproxy.peek;

import io.clawgress.api.Termination;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Parses an HTTP/1.x request head (RFC 9112) from the first bytes of a flow (DESIGN.md §3 step 3).
 *
 * <p>Stateless and called again whenever more bytes arrive. Each call finds the complete lines with one
 * {@code indexOf} per line, copies them once (at most {@code maxBytes}) and checks them with plain array loops; a
 * request that cannot be HTTP/1.x fails at its first bad line rather than at the peek timeout. Linear in the bytes
 * received per call.
 *
 * <p>Strict where two HTTP parsers could disagree about where a request goes (request smuggling): bare LF, bare CR,
 * obs-fold, whitespace before the colon, control characters, a missing or repeated Host, a Host that is not a plain
 * {@code uri-host[:port]}, an absolute-form or CONNECT target that names another host than the Host field, and
 * empty lines before the request-line (RFC 9112 §2.2 lets servers skip them; here they are refused). Host names
 * follow {@link HostNames}: ASCII DNS names, IPv4 dotted quads, bracketed IPv6 literals.
 */
public final class HttpHeadParser {

    /** Longest method accepted: the longest registered method, UPDATEREDIRECTREF, has 17 characters. */
    static final int MAX_METHOD = 20;

    static final String HTTP_1_0 = "HTTP/1.0";
    static final String HTTP_1_1 = "HTTP/1.1";
    private static final int DEFAULT_HTTP_PORT = 80;
    private static final String[] KNOWN_METHODS =
            {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

    /** RFC 9110 §5.6.2 tchar. */
    private static final boolean[] TCHAR = new boolean[256];
    /** RFC 9112 §3.2 request-target bytes: visible ASCII, without '#' (no fragment in absolute-URI or origin-form). */
    private static final boolean[] TARGET = new boolean[256];
    /** RFC 9110 §5.5 field-value bytes: VCHAR, obs-text, SP and HTAB; no other control characters. */
    private static final boolean[] FIELD_VALUE = new boolean[256];

    static {
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
        for (int c = 0; c < 256; c++) {
            TCHAR[c] |= c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
            TARGET[c] = c > 0x20 && c < 0x7f && c != '#';
            FIELD_VALUE[c] = c >= 0x20 && c != 0x7f || c == '\t';
        }
    }

    private HttpHeadParser() {
    }

    /**
     * Whether the readable bytes of {@code in} can be the start of an HTTP/1.x request: {@code TRUE} once a method
     * token and a space were seen, {@code FALSE} when they cannot be, {@code null} when too few bytes to tell.
     *
     * <p>A method is 1..{@value #MAX_METHOD} tchars (RFC 9110 §9.1, §5.6.2); a longer run of tchars, a leading SP or
     * any other byte means not HTTP. One exception: bytes starting with {@code "SSH-"} are never HTTP, because an
     * SSH identification string ({@code SSH-2.0-softwareversion SP comments}, RFC 4253 §4.2) is all tchars up to
     * its first space and would otherwise read as a method; SSH must stay opaque (decided on the address).
     */
    public static Boolean looksLikeHttp(ByteBuf in) {
        int start = in.readerIndex();
        int n = Math.min(in.writerIndex() - start, MAX_METHOD + 1);
        for (int i = 0; i < n; i++) {
            byte b = in.getByte(start + i);
            if (b == ' ') {
                return i > 0;
            }
            if (!TCHAR[b & 0xff]) {
                return Boolean.FALSE;
            }
            if (i == 3 && b == '-' && in.getByte(start) == 'S' && in.getByte(start + 1) == 'S'
                    && in.getByte(start + 2) == 'H') {
                return Boolean.FALSE;
            }
        }
        return n > MAX_METHOD ? Boolean.FALSE : null;
    }

    /**
     * Looks at the readable bytes of {@code in} (never moves its indices) and parses the request head when complete.
     *
     * @param maxBytes the peek limit: a head longer than it is {@code http_head_too_large}
     * @return {@link PeekResult.NeedMore}, {@link PeekResult.Http} or {@link PeekResult.Malformed}
     */
    public static PeekResult parse(ByteBuf in, int maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: > 0)");
        }
        final int start = in.readerIndex();
        final int avail = in.writerIndex() - start;
        final int limit = start + Math.min(avail, maxBytes);
        int linesEnd = start; // after the LF of the last complete line
        boolean complete = false;
        while (linesEnd < limit) {
            int lf = in.indexOf(linesEnd, limit, (byte) '\n');
            if (lf < 0) {
                break;
            }
            complete = lf == linesEnd + 1 && linesEnd > start && in.getByte(linesEnd) == '\r';
            linesEnd = lf + 1;
            if (complete) {
                break;
            }
        }
        if (linesEnd > start) {
            // Owned here: a private copy of the complete lines, lower-cased in place where names are built.
            PeekResult result = parseLines(HostNames.copy(in, start, linesEnd - start), complete);
            if (result != null) {
                return result;
            }
        }
        if (avail >= maxBytes) {
            return new PeekResult.Malformed(Termination.HTTP_HEAD_TOO_LARGE, "no end of the request head (an empty "
                    + "line, RFC 9112 §2.1) within the first " + maxBytes + " bytes (limit: " + maxBytes + ")");
        }
        return PeekResult.NeedMore.INSTANCE;
    }

    /**
     * Checks complete lines, each ending in LF, in one pass. Returns the result when {@code complete} (the last line
     * is the empty line that ends the head), a {@link PeekResult.Malformed} at the first bad line, or null to wait.
     */
    private static PeekResult parseLines(byte[] h, boolean complete) {
        int requestLineEnd = requestLineEnd(h);
        if (requestLineEnd < 0) {
            PeekResult bad = checkRequestLine(h);
            if (bad == null) {
                throw new IllegalStateException("request-line checks disagree: " + HostNames.quote(h, 0, h.length));
            }
            return bad;
        }
        int hostFields = 0;
        int hostFrom = 0;
        int hostTo = 0;
        int p = requestLineEnd + 2;
        for (int line = 1; p < h.length; line++) {
            if (isCrlf(h, p)) {
                return complete ? finish(h, requestLineEnd, hostFields, hostFrom, hostTo) : null;
            }
            if (h[p] == ' ' || h[p] == '\t') {
                return malformed(line == 1
                        ? "whitespace between the request-line and the first field line (RFC 9112 §2.2)"
                        : "obs-fold: a field line starts with whitespace (RFC 9112 §5.2)");
            }
            int colon = scan(h, p, TCHAR);
            if (h[colon] != ':') {
                PeekResult bad = bareCrOrLf(h, colon);
                return bad != null ? bad : malformed(isCrlf(h, colon) ? "field line without a colon (RFC 9112 §5)"
                        : h[colon] == ' ' || h[colon] == '\t'
                        ? "whitespace between a field name and the colon (RFC 9112 §5.1: a server MUST reject)"
                        : "field name contains " + HostNames.describe(h[colon] & 0xff)
                                + " (expected: token, RFC 9110 §5.1)");
            }
            if (colon == p) {
                return malformed("field line with an empty name (RFC 9110 §5.1)");
            }
            int end = scan(h, colon + 1, FIELD_VALUE);
            if (!isCrlf(h, end)) {
                PeekResult bad = bareCrOrLf(h, end);
                return bad != null ? bad : malformed((h[end] == 0 ? "NUL" : "control character 0x"
                        + HostNames.hex2(h[end] & 0xff)) + " in a field value (RFC 9110 §5.5)");
            }
            if (colon - p == 4 && (h[p] | 0x20) == 'h' && (h[p + 1] | 0x20) == 'o' && (h[p + 2] | 0x20) == 's'
                    && (h[p + 3] | 0x20) == 't') {
                if (++hostFields > 1) {
                    return malformed("more than one Host field (RFC 9112 §3.2: a server MUST respond 400)");
                }
                hostFrom = colon + 1;
                hostTo = end;
                while (hostFrom < hostTo && (h[hostFrom] == ' ' || h[hostFrom] == '\t')) {
                    hostFrom++;
                }
                while (hostTo > hostFrom && (h[hostTo - 1] == ' ' || h[hostTo - 1] == '\t')) {
                    hostTo--;
                }
            }
            p = end + 2;
        }
        return null;
    }

    /** The offset of the CR that ends a valid request-line, or -1 when it is not valid. */
    private static int requestLineEnd(byte[] h) {
        int sp1 = scan(h, 0, TCHAR);
        if (sp1 == 0 || sp1 > MAX_METHOD || h[sp1] != ' ') {
            return -1;
        }
        int sp2 = scan(h, sp1 + 1, TARGET);
        if (sp2 == sp1 + 1 || h[sp2] != ' ') {
            return -1;
        }
        int cr = sp2 + 1 + HTTP_1_1.length();
        return cr < h.length && isCrlf(h, cr) && version(h, sp2 + 1, cr) != null
                && checkTargetForm(h, sp1, sp2) == null ? cr : -1;
    }

    /** Why the first line of {@code h} is not an RFC 9112 §3 request-line (called only when it is not one). */
    private static PeekResult checkRequestLine(byte[] h) {
        if (isCrlf(h, 0)) {
            return malformed("empty line before the request-line (RFC 9112 §2.2; not skipped here)");
        }
        int sp1 = scan(h, 0, TCHAR);
        if (h[sp1] != ' ') {
            PeekResult bad = bareCrOrLf(h, sp1);
            return bad != null ? bad : sp1 > MAX_METHOD ? tooLongMethod(sp1)
                    : isCrlf(h, sp1) ? malformed("request-line without SP (expected: method SP request-target SP "
                    + "HTTP-version, RFC 9112 §3)")
                    : malformed("method contains " + HostNames.describe(h[sp1] & 0xff)
                            + " (expected: token, RFC 9110 §9.1)");
        }
        if (sp1 == 0) {
            return malformed("request-line starts with SP (RFC 9112 §3)");
        }
        if (sp1 > MAX_METHOD) {
            return tooLongMethod(sp1);
        }
        int sp2 = scan(h, sp1 + 1, TARGET);
        if (h[sp2] != ' ') {
            PeekResult bad = bareCrOrLf(h, sp2);
            return bad != null ? bad : isCrlf(h, sp2) ? malformed("request-line without HTTP-version (expected: "
                    + "method SP request-target SP HTTP-version, RFC 9112 §3; HTTP/0.9 is not supported)")
                    : malformed("request-target contains " + (h[sp2] == '#' ? "a fragment '#'"
                            : HostNames.describe(h[sp2] & 0xff)) + " (RFC 9112 §3.2)");
        }
        if (sp2 == sp1 + 1) {
            return malformed("request-line has two SPs in a row (RFC 9112 §3: single SPs between its parts)");
        }
        int end = sp2 + 1;
        while (h[end] != ' ' && h[end] != '\r' && h[end] != '\n') {
            end++;
        }
        if (h[end] == ' ') {
            return malformed("request-line has more than two SPs (RFC 9112 §3: method SP request-target SP "
                    + "HTTP-version)");
        }
        PeekResult bad = bareCrOrLf(h, end);
        if (bad != null) {
            return bad;
        }
        if (version(h, sp2 + 1, end) == null) {
            if (equalsAscii(h, 0, sp1, "PRI") && equalsAscii(h, sp1 + 1, sp2, "*")
                    && equalsAscii(h, sp2 + 1, end, "HTTP/2.0")) {
                return malformed("HTTP/2 connection preface (RFC 9113 §3.4): cleartext HTTP/2 with prior "
                        + "knowledge is not supported");
            }
            String version = HostNames.quote(h, sp2 + 1, end);
            return malformed(startsWithAscii(h, sp2 + 1, end, "HTTP/")
                    ? "HTTP-version " + version + " is not supported (expected: HTTP/1.0 or HTTP/1.1, RFC 9112 §2.3)"
                    : "invalid HTTP-version " + version + " (expected: HTTP/1.0 or HTTP/1.1, case-sensitive, "
                            + "RFC 9112 §2.3)");
        }
        return checkTargetForm(h, sp1, sp2);
    }

    private static PeekResult tooLongMethod(int length) {
        return malformed("method of " + length + " bytes (limit: " + MAX_METHOD + ")");
    }

    /** The first offset from {@code from} whose byte is not {@code allowed}; lines end in LF, which never is. */
    private static int scan(byte[] h, int from, boolean[] allowed) {
        int i = from;
        while (i < h.length && allowed[h[i] & 0xff]) {
            i++;
        }
        return i;
    }

    private static boolean isCrlf(byte[] h, int i) {
        return h[i] == '\r' && i + 1 < h.length && h[i + 1] == '\n';
    }

    /**
     * RFC 9112 §2.2: a CR not followed by LF, or an LF not preceded by CR, at {@code i}; null for any other byte.
     * A recipient may accept a bare LF; two parsers that disagree on it smuggle requests, so it is refused.
     */
    private static PeekResult bareCrOrLf(byte[] h, int i) {
        if (h[i] == '\n') {
            return malformed("bare LF at offset " + i + " (expected: CRLF, RFC 9112 §2.2)");
        }
        if (h[i] == '\r' && !isCrlf(h, i)) {
            return malformed("bare CR at offset " + i + " (RFC 9112 §2.2)");
        }
        return null;
    }

    /** RFC 9112 §3.2: which request-target forms the method allows. */
    private static PeekResult checkTargetForm(byte[] h, int sp1, int sp2) {
        int target = sp1 + 1;
        if (equalsAscii(h, 0, sp1, "CONNECT")) {
            // RFC 9112 §3.2.3: CONNECT uses authority-form, uri-host ":" port, and only it
            String error = authorityError(h, target, sp2, true);
            return error == null ? null : malformed("CONNECT request-target " + HostNames.quote(h, target, sp2)
                    + " " + error + " (expected: authority-form host:port, RFC 9112 §3.2.3)");
        }
        if (h[target] == '/') {
            return null; // RFC 9112 §3.2.1 origin-form
        }
        if (h[target] == '*' && sp2 - target == 1) {
            // RFC 9112 §3.2.4: asterisk-form only for a server-wide OPTIONS
            return equalsAscii(h, 0, sp1, "OPTIONS") ? null
                    : malformed("asterisk-form request-target with a method other than OPTIONS (RFC 9112 §3.2.4)");
        }
        if (isHttpScheme(h, target, sp2)) {
            String error = authorityError(h, target + 7, absoluteAuthorityEnd(h, target, sp2), false);
            return error == null ? null : malformed("absolute-form request-target " + HostNames.quote(h, target,
                    sp2) + ": authority " + error + " (RFC 9112 §3.2.2, RFC 9110 §4.2.1)");
        }
        return malformed("request-target " + HostNames.quote(h, target, sp2) + " is neither origin-form (\"/...\") "
                + "nor absolute-form (\"http://...\"); authority-form is for CONNECT only (RFC 9112 §3.2)");
    }

    /** Builds the result from a head whose lines all passed their checks; {@code h[0, lineEnd)} is the request-line. */
    private static PeekResult finish(byte[] h, int lineEnd, int hostFields, int hostFrom, int hostTo) {
        int sp1 = indexOf(h, 0, lineEnd, ' ');
        int sp2 = indexOf(h, sp1 + 1, lineEnd, ' ');
        String version = version(h, sp2 + 1, lineEnd);
        if (HTTP_1_1.equals(version) && hostFields == 0) {
            return malformed("HTTP/1.1 request without a Host field (RFC 9112 §3.2: a server MUST respond 400)");
        }
        if (hostFields == 1) {
            String error = authorityError(h, hostFrom, hostTo, false);
            if (error != null) {
                return malformed("Host field " + HostNames.quote(h, hostFrom, hostTo) + " " + error
                        + " (expected: uri-host[:port], RFC 9112 §3.2, RFC 9110 §7.2)");
            }
        }
        String method = method(h, sp1);
        int target = sp1 + 1;
        String targetText = new String(h, target, sp2 - target, StandardCharsets.ISO_8859_1);
        int hostFieldPort = hostFields == 1 ? port(h, hostFrom, hostTo) : -1;
        boolean connect = "CONNECT".equals(method);
        if (!connect && (h[target] == '/' || h[target] == '*')) {
            return new PeekResult.Http(method, hostFields == 1 ? host(h, hostFrom, hostTo) : null, hostFieldPort,
                    targetText, version, h.length);
        }
        // CONNECT's authority-form or absolute-form: the target names the host (RFC 9112 §3.2.2: the Host field is
        // then ignored), and a Host field naming another host is a request-smuggling signal
        int authorityFrom = connect ? target : target + 7;
        int authorityTo = connect ? sp2 : absoluteAuthorityEnd(h, target, sp2);
        int port = port(h, authorityFrom, authorityTo);
        if (hostFields == 1) {
            boolean samePort = connect
                    ? hostFieldPort < 0 || hostFieldPort == port
                    : (hostFieldPort < 0 ? DEFAULT_HTTP_PORT : hostFieldPort) == (port < 0 ? DEFAULT_HTTP_PORT : port);
            if (!samePort || !sameHost(h, hostFrom, hostTo, authorityFrom, authorityTo)) {
                return malformed("Host field " + HostNames.quote(h, hostFrom, hostTo) + " names another host than "
                        + "the request-target " + HostNames.quote(h, authorityFrom, authorityTo) + " (RFC 9112 "
                        + "§3.2.2 ignores the Host field here; a mismatch is a request-smuggling signal)");
            }
        }
        return new PeekResult.Http(method, host(h, authorityFrom, authorityTo), port, targetText, version, h.length);
    }

    /**
     * Why {@code h[from, to)} is not {@code uri-host [":" port]} (RFC 3986 §3.2.2, §3.2.3) in the form accepted here,
     * or null: a DNS name or IPv4 dotted quad ({@link HostNames}) or a bracketed IPv6 literal, and a decimal port
     * 1..65535. No userinfo (RFC 9110 §4.2.4), no percent-encoding, no IPvFuture, no zone identifier.
     */
    private static String authorityError(byte[] h, int from, int to, boolean portRequired) {
        if (from == to) {
            return "is empty (RFC 9110 §4.2.1: an http URI with an empty host MUST be rejected)";
        }
        if (indexOf(h, from, to, '@') >= 0) {
            return "has userinfo (RFC 9110 §4.2.4)";
        }
        int hostEnd;
        if (h[from] == '[') {
            int close = indexOf(h, from, to, ']');
            if (close < 0) {
                return "has an unclosed '['";
            }
            if (!HostNames.isIpv6(h, from + 1, close - from - 1)) {
                return "has an invalid IPv6 literal (RFC 3986 §3.2.2)";
            }
            hostEnd = close + 1;
            if (hostEnd < to && h[hostEnd] != ':') {
                return "has " + HostNames.describe(h[hostEnd] & 0xff) + " after the IPv6 literal";
            }
        } else {
            int colon = indexOf(h, from, to, ':');
            hostEnd = colon < 0 ? to : colon;
            if (hostEnd == from) {
                return "has an empty host (RFC 9110 §4.2.1)";
            }
            if (!HostNames.isIpv4(h, from, hostEnd - from)) {
                String error = HostNames.dnsNameError(h, from, hostEnd);
                if (error != null) {
                    return "host " + error;
                }
            }
        }
        if (hostEnd == to) {
            return portRequired ? "has no port" : null;
        }
        int digits = to - hostEnd - 1;
        if (digits < 1 || digits > 5) {
            return "has a port of " + digits + " digits (expected: 1..65535)";
        }
        int port = 0;
        for (int i = hostEnd + 1; i < to; i++) {
            int c = h[i];
            if (c < '0' || c > '9') {
                return "has a port containing " + HostNames.describe(c & 0xff) + " (expected: 1..65535)";
            }
            port = port * 10 + c - '0';
        }
        return port < 1 || port > 65535 ? "has port " + port + " (expected: 1..65535)" : null;
    }

    /** Start of the host in a checked authority: after the '[' of an IPv6 literal. */
    private static int hostStart(byte[] h, int from) {
        return h[from] == '[' ? from + 1 : from;
    }

    /** End of the host in a checked authority: at the ']' of an IPv6 literal or the ':' before the port. */
    private static int hostEnd(byte[] h, int from, int to) {
        if (h[from] == '[') {
            return indexOf(h, from, to, ']');
        }
        int colon = indexOf(h, from, to, ':');
        return colon < 0 ? to : colon;
    }

    /** The host of a checked authority: lower case, without IPv6 brackets. */
    private static String host(byte[] h, int from, int to) {
        return HostNames.lowerCase(h, hostStart(h, from), hostEnd(h, from, to));
    }

    private static boolean sameHost(byte[] h, int aFrom, int aTo, int bFrom, int bTo) {
        int a = hostStart(h, aFrom);
        int aEnd = hostEnd(h, aFrom, aTo);
        int b = hostStart(h, bFrom);
        if (aEnd - a != hostEnd(h, bFrom, bTo) - b) {
            return false;
        }
        for (; a < aEnd; a++, b++) {
            if ((h[a] | 0x20) != (h[b] | 0x20)) { // ASCII letters, digits, '.', '-', ':' (checked)
                return false;
            }
        }
        return true;
    }

    /** The port of a checked authority, or -1 when none was given. */
    private static int port(byte[] h, int from, int to) {
        int end = hostEnd(h, from, to) + (h[from] == '[' ? 1 : 0);
        if (end >= to) {
            return -1;
        }
        int port = 0;
        for (int i = end + 1; i < to; i++) {
            port = port * 10 + h[i] - '0';
        }
        return port;
    }

    /** Whether {@code h[from, to)} starts with {@code http://}, the scheme compared case-insensitively. */
    private static boolean isHttpScheme(byte[] h, int from, int to) {
        return to - from >= 7 && (h[from] | 0x20) == 'h' && (h[from + 1] | 0x20) == 't'
                && (h[from + 2] | 0x20) == 't' && (h[from + 3] | 0x20) == 'p' && h[from + 4] == ':'
                && h[from + 5] == '/' && h[from + 6] == '/';
    }

    /** End of the authority in an absolute-form target starting with {@code http://}. */
    private static int absoluteAuthorityEnd(byte[] h, int target, int to) {
        for (int i = target + 7; i < to; i++) {
            if (h[i] == '/' || h[i] == '?') {
                return i;
            }
        }
        return to;
    }

    private static String version(byte[] h, int from, int to) {
        if (equalsAscii(h, from, to, HTTP_1_1)) {
            return HTTP_1_1;
        }
        return equalsAscii(h, from, to, HTTP_1_0) ? HTTP_1_0 : null;
    }

    /** The method, as one of the {@link #KNOWN_METHODS} constants when it is one. */
    private static String method(byte[] h, int end) {
        for (String known : KNOWN_METHODS) {
            if (equalsAscii(h, 0, end, known)) {
                return known;
            }
        }
        return new String(h, 0, end, StandardCharsets.ISO_8859_1);
    }

    private static int indexOf(byte[] h, int from, int to, char c) {
        for (int i = from; i < to; i++) {
            if (h[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static boolean equalsAscii(byte[] h, int from, int to, String s) {
        return to - from == s.length() && startsWithAscii(h, from, to, s);
    }

    private static boolean startsWithAscii(byte[] h, int from, int to, String s) {
        if (to - from < s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (h[from + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static PeekResult malformed(String reason) {
        return new PeekResult.Malformed(Termination.HTTP_MALFORMED, reason);
    }
}
