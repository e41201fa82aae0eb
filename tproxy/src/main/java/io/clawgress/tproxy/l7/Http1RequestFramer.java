package io.clawgress.tproxy.l7;

import static io.clawgress.tproxy.l7.HttpSyntax.MAX_METHOD;
import static io.clawgress.tproxy.l7.HttpSyntax.SP;
import static io.clawgress.tproxy.l7.HttpSyntax.TARGET;
import static io.clawgress.tproxy.l7.HttpSyntax.TCHAR;
import static io.clawgress.tproxy.l7.HttpSyntax.describe;
import static io.clawgress.tproxy.l7.HttpSyntax.equalsAscii;
import static io.clawgress.tproxy.l7.HttpSyntax.equalsIgnoreCase;
import static io.clawgress.tproxy.l7.HttpSyntax.quote;

/**
 * Frames the requests an agent sends on one HTTP/1.1 connection (keep-alive, pipelined or not): a push parser fed
 * with {@link #feed} as bytes arrive, emitting to an {@link Http1Listener} per request a {@link RequestHead}, its
 * body parts (retained slices the listener owns) and the end with trailers, or one terminal {@link Refusal}.
 *
 * <p>Strict where two HTTP implementations could frame the same bytes differently (request smuggling, RFC 9112
 * §6.3, §11.2): bare LF and bare CR, obs-fold, whitespace before a colon, control bytes, Transfer-Encoding with
 * Content-Length, anything but a lone {@code chunked} coding, repeated or malformed Content-Length, loose chunk
 * framing, a missing, repeated or mismatched Host, CONNECT and Upgrade. Each refusal has its own code
 * ({@link RefusalCode}); {@code docs/http-gate.md} lists them all.
 *
 * <p>Called on the connection's event loop only; {@link #feed}, {@link #inputClosed}, {@link #pause} and
 * {@link #resume} are not thread-safe.
 */
public final class Http1RequestFramer extends Http1Framer<RequestHead> {

    private static final String[] KNOWN_METHODS =
            {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    private static final int DEFAULT_HTTP_PORT = 80;
    private static final int DEFAULT_HTTPS_PORT = 443;

    // The request line of the head being read.
    private String method;
    private int targetStart;
    private int targetEnd;
    private int requestLineEnd;
    private HttpVersion version;
    private int authorityStart; // absolute-form only, else -1
    private int authorityEnd;
    private boolean https;

    public Http1RequestFramer(Http1FramerSettings settings, Http1Listener<RequestHead> listener) {
        super(settings, listener);
    }

    @Override
    boolean beginMessage() {
        return true;
    }

    /** RFC 9112 §3: request-line = method SP request-target SP HTTP-version, single SPs. */
    @Override
    boolean startLine(byte[] b, int end) {
        int sp1 = HttpSyntax.scan(b, 0, end, TCHAR);
        if (sp1 > MAX_METHOD) {
            return refuse(RefusalCode.INVALID_METHOD, "method of " + sp1 + "+ bytes (limit: " + MAX_METHOD
                    + ", RFC 9110 §9.1)");
        }
        if (sp1 == end) {
            return refuse(RefusalCode.INVALID_REQUEST_LINE, "request-line without SP (expected: method SP "
                    + "request-target SP HTTP-version, RFC 9112 §3)");
        }
        if (b[sp1] != SP) {
            return refuse(RefusalCode.INVALID_METHOD, "method contains " + describe(b[sp1] & 0xff)
                    + " (expected: token, RFC 9110 §9.1)");
        }
        if (sp1 == 0) {
            return refuse(RefusalCode.INVALID_REQUEST_LINE, "request-line starts with SP (RFC 9112 §3)");
        }
        int t = sp1 + 1;
        int sp2 = HttpSyntax.scan(b, t, end, TARGET);
        if (sp2 == end) {
            return refuse(RefusalCode.INVALID_REQUEST_LINE, "request-line without HTTP-version (expected: method SP "
                    + "request-target SP HTTP-version, RFC 9112 §3; HTTP/0.9 is not supported)");
        }
        if (b[sp2] != SP) {
            return refuse(RefusalCode.INVALID_REQUEST_TARGET, "request-target contains " + (b[sp2] == '#'
                    ? "a fragment '#'" : describe(b[sp2] & 0xff)) + " (RFC 9112 §3.2)");
        }
        if (sp2 == t) {
            return refuse(RefusalCode.INVALID_REQUEST_LINE, "request-line has two SPs in a row (RFC 9112 §3: single "
                    + "SPs between its parts)");
        }
        int v = sp2 + 1;
        if (equalsAscii(b, v, end, "HTTP/1.1")) {
            version = HttpVersion.HTTP_1_1;
        } else if (equalsAscii(b, v, end, "HTTP/1.0")) {
            version = HttpVersion.HTTP_1_0;
        } else {
            return badVersion(b, sp1, t, sp2, v, end);
        }
        method = method(b, sp1);
        if ("CONNECT".equals(method)) {
            return refuse(RefusalCode.CONNECT_NOT_SUPPORTED, "CONNECT is not supported inside the gate (it does not "
                    + "open tunnels; RFC 9110 §9.3.6)");
        }
        targetStart = t;
        targetEnd = sp2;
        requestLineEnd = end;
        authorityStart = -1;
        return targetForm(b, sp1, t, sp2);
    }

    private boolean badVersion(byte[] b, int sp1, int t, int sp2, int v, int end) {
        if (HttpSyntax.indexOf(b, v, end, SP) >= 0) {
            return refuse(RefusalCode.INVALID_REQUEST_LINE, "request-line has more than two SPs (RFC 9112 §3)");
        }
        boolean wellFormed = end - v == 8 && HttpSyntax.startsWithAscii(b, v, end, "HTTP/") && isDigit(b[v + 5])
                && b[v + 6] == '.' && isDigit(b[v + 7]);
        if (!wellFormed) {
            return refuse(RefusalCode.INVALID_VERSION, "invalid HTTP-version " + quote(b, v, end) + " (expected: "
                    + "HTTP/1.1 or HTTP/1.0, case-sensitive, RFC 9112 §2.3)");
        }
        if (equalsAscii(b, 0, sp1, "PRI") && equalsAscii(b, t, sp2, "*") && equalsAscii(b, v, end, "HTTP/2.0")) {
            return refuse(RefusalCode.HTTP_VERSION_NOT_SUPPORTED, "HTTP/2 connection preface (RFC 9113 §3.4): only "
                    + "HTTP/1.1 is spoken here");
        }
        return refuse(RefusalCode.HTTP_VERSION_NOT_SUPPORTED, "HTTP-version " + quote(b, v, end) + " is not "
                + "supported (expected: HTTP/1.1 or HTTP/1.0, RFC 9112 §2.3)");
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    /** RFC 9112 §3.2: origin-form, absolute-form ({@code http} or {@code https}), or asterisk-form for OPTIONS. */
    private boolean targetForm(byte[] b, int sp1, int t, int sp2) {
        if (b[t] == '/') {
            return true; // RFC 9112 §3.2.1 origin-form
        }
        if (b[t] == '*' && sp2 - t == 1) {
            return equalsAscii(b, 0, sp1, "OPTIONS") || refuse(RefusalCode.INVALID_REQUEST_TARGET,
                    "asterisk-form request-target with a method other than OPTIONS (RFC 9112 §3.2.4)");
        }
        int schemeEnd = schemeEnd(b, t, sp2);
        if (schemeEnd < 0) {
            return refuse(RefusalCode.INVALID_REQUEST_TARGET, "request-target " + quote(b, t, sp2) + " is neither "
                    + "origin-form (\"/...\") nor absolute-form (\"http://...\", \"https://...\"); authority-form is "
                    + "for CONNECT only (RFC 9112 §3.2)");
        }
        int from = schemeEnd + 3;
        int to = from;
        while (to < sp2 && b[to] != '/' && b[to] != '?') {
            to++;
        }
        String error = HttpSyntax.authorityError(b, from, to);
        if (error != null) {
            return refuse(RefusalCode.INVALID_REQUEST_TARGET, "absolute-form request-target " + quote(b, t, sp2)
                    + ": authority " + error + " (RFC 9112 §3.2.2, RFC 9110 §4.2)");
        }
        authorityStart = from;
        authorityEnd = to;
        https = schemeEnd - t == 5;
        return true;
    }

    /** The offset of "://" after an {@code http} or {@code https} scheme (any ASCII case), or -1. */
    private static int schemeEnd(byte[] b, int t, int end) {
        for (int s = t + 4; s <= t + 5; s++) {
            if (s + 3 <= end && b[s] == ':' && b[s + 1] == '/' && b[s + 2] == '/'
                    && equalsIgnoreCase(b, t, s, s - t == 4 ? "http" : "https")) {
                return s;
            }
        }
        return -1;
    }

    @Override
    void headComplete(byte[] b, HttpFields f, int length) {
        BodyFraming framing = bodyFraming(b, f, version);
        if (framing == null) {
            return;
        }
        int host = -1;
        int hostCount = 0;
        boolean upgrade = false;
        for (int i = 0; i < f.size(); i++) {
            int n = f.nameEnd(i) - f.nameStart(i);
            if (n == 4 && equalsIgnoreCase(b, f.nameStart(i), f.nameEnd(i), "host")) {
                host = hostCount++ == 0 ? i : host;
            } else if (n == 7 && equalsIgnoreCase(b, f.nameStart(i), f.nameEnd(i), "upgrade")) {
                upgrade = true;
            }
        }
        if (hostCount > 1) {
            refuse(RefusalCode.DUPLICATE_HOST, hostCount + " Host fields (RFC 9112 §3.2: a server MUST respond 400)");
            return;
        }
        if (hostCount == 0 && version == HttpVersion.HTTP_1_1) {
            refuse(RefusalCode.MISSING_HOST, "HTTP/1.1 request without a Host field (RFC 9112 §3.2: a server MUST "
                    + "respond 400)");
            return;
        }
        int hostFrom = host < 0 ? 0 : f.valueStart(host);
        int hostTo = host < 0 ? 0 : f.valueEnd(host);
        if (host >= 0) {
            String error = HttpSyntax.authorityError(b, hostFrom, hostTo);
            if (error != null) {
                refuse(RefusalCode.INVALID_HOST, "Host field " + quote(b, hostFrom, hostTo) + " " + error
                        + " (expected: uri-host[:port], RFC 9112 §3.2, RFC 9110 §7.2)");
                return;
            }
        }
        boolean absolute = authorityStart >= 0;
        int nameFrom = absolute ? authorityStart : hostFrom;
        int nameTo = absolute ? authorityEnd : hostTo;
        if (absolute && host >= 0 && !sameAuthority(b, hostFrom, hostTo)) {
            refuse(RefusalCode.HOST_MISMATCH, "Host field " + quote(b, hostFrom, hostTo) + " names another host "
                    + "than the request-target " + quote(b, authorityStart, authorityEnd) + " (RFC 9112 §3.2.2 lets a "
                    + "server ignore Host here; a mismatch is a request-smuggling signal)");
            return;
        }
        if (upgrade && !settings.allowUpgrade()) {
            refuse(RefusalCode.UPGRADE_NOT_SUPPORTED, "Upgrade " + quote(b, f.valueStart(f.indexOf("upgrade", 0)),
                    f.valueEnd(f.indexOf("upgrade", 0))) + " is not supported: the gate does not switch protocols "
                    + "(RFC 9110 §7.8; WebSocket and h2c are not relayed)");
            return;
        }
        boolean keepAlive = !f.hasToken("connection", "close")
                && (version == HttpVersion.HTTP_1_1 || f.hasToken("connection", "keep-alive"));
        boolean expectContinue = version == HttpVersion.HTTP_1_1 && f.hasToken("expect", "100-continue");
        String hostName = null;
        int port = -1;
        if (nameTo > nameFrom) {
            hostName = HttpSyntax.lowerCase(b, HttpSyntax.hostStart(b, nameFrom),
                    HttpSyntax.hostEnd(b, nameFrom, nameTo));
            port = HttpSyntax.port(b, nameFrom, nameTo);
        }
        RequestHead head = new RequestHead(b, f, method, targetStart, targetEnd, requestLineEnd, absolute, version,
                hostName, port, framing, keepAlive, expectContinue, upgrade, length);
        method = null;
        startBody(framing, keepAlive);
        emitHead(head);
    }

    /** The absolute-form authority equals the Host field: same host (ASCII case ignored), same effective port. */
    private boolean sameAuthority(byte[] b, int hostFrom, int hostTo) {
        int defaultPort = https ? DEFAULT_HTTPS_PORT : DEFAULT_HTTP_PORT;
        int hostPort = HttpSyntax.port(b, hostFrom, hostTo);
        int targetPort = HttpSyntax.port(b, authorityStart, authorityEnd);
        return (hostPort < 0 ? defaultPort : hostPort) == (targetPort < 0 ? defaultPort : targetPort)
                && HttpSyntax.sameHost(b, hostFrom, hostTo, authorityStart, authorityEnd);
    }

    /** The method, as one of the {@link #KNOWN_METHODS} constants when it is one. */
    private static String method(byte[] b, int end) {
        for (String known : KNOWN_METHODS) {
            if (equalsAscii(b, 0, end, known)) {
                return known;
            }
        }
        return HttpSyntax.latin1(b, 0, end);
    }

    @Override
    int refusalStatus(String code) {
        return RefusalCode.requestStatus(code);
    }

    @Override
    String messageKind() {
        return "request";
    }

    @Override
    String startLineCode() {
        return RefusalCode.INVALID_REQUEST_LINE;
    }

    @Override
    String afterCloseCode() {
        return RefusalCode.REQUEST_AFTER_CLOSE;
    }

    @Override
    String truncatedCode() {
        return RefusalCode.TRUNCATED_REQUEST;
    }

    @Override
    boolean awaitingMessage() {
        return false;
    }
}
