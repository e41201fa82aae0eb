package io.clawgress.tproxy.l7;

import java.util.ArrayDeque;

import static io.clawgress.tproxy.l7.HttpSyntax.REASON;
import static io.clawgress.tproxy.l7.HttpSyntax.SP;
import static io.clawgress.tproxy.l7.HttpSyntax.equalsAscii;
import static io.clawgress.tproxy.l7.HttpSyntax.quote;

/**
 * Frames the responses an upstream sends on one HTTP/1.1 connection. The caller says, in order, which request
 * each response answers ({@link #expectResponse}, when it forwards the request head), because the method decides
 * whether a body follows (HEAD). Emits to an {@link Http1Listener} per response a {@link ResponseHead} (after any
 * number of 1xx interim heads), its body parts (retained slices, each passed on as it arrives: server-sent events
 * are never held back) and the end with trailers, or one terminal {@link Refusal} with status 502.
 *
 * <p>Body length per RFC 9112 §6.3: none for HEAD, 1xx, 204 and 304; chunked; Content-Length; otherwise until the
 * upstream closes, and then the connection cannot be reused ({@link ResponseHead#keepAlive()} is false). The same
 * strict rules as requests apply to the head and chunked framing; a 101 is refused (the gate never forwards
 * Upgrade), and so is a response nobody asked for.
 *
 * <p>Called on the connection's event loop only; not thread-safe.
 */
public final class Http1ResponseFramer extends Http1Framer<ResponseHead> {

    private static final int STATUS_LINE_MIN = 12; // "HTTP/1.1 200"

    private final ArrayDeque<String> methods = new ArrayDeque<>(2);

    private HttpVersion version;
    private int status;
    private int reasonStart;
    private int reasonEnd;

    public Http1ResponseFramer(Http1FramerSettings settings, Http1Listener<ResponseHead> listener) {
        super(settings, listener);
    }

    /**
     * Queues the method of a request forwarded upstream; its response is the next one not yet claimed. CONNECT is
     * impossible here (the request framer refuses it).
     */
    public void expectResponse(String requestMethod) {
        if (requestMethod == null || requestMethod.isEmpty() || "CONNECT".equals(requestMethod)) {
            throw new IllegalArgumentException("requestMethod: " + requestMethod + " (expected: a method other than "
                    + "CONNECT)");
        }
        methods.addLast(requestMethod);
    }

    /** Requests forwarded whose final response has not started yet. */
    public int pendingResponses() {
        return methods.size();
    }

    @Override
    boolean beginMessage() {
        return !methods.isEmpty() || refuse(RefusalCode.UNSOLICITED_RESPONSE, "response bytes while no request "
                + "waits for a response (RFC 9112 §9.3: responses answer requests in order)");
    }

    /**
     * RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]. A status line that ends right
     * after the code ({@code HTTP/1.1 200}, no SP) is accepted too: it cannot be framed two ways.
     */
    @Override
    boolean startLine(byte[] b, int end) {
        if (end >= 8 && equalsAscii(b, 0, 8, "HTTP/1.1")) {
            version = HttpVersion.HTTP_1_1;
        } else if (end >= 8 && equalsAscii(b, 0, 8, "HTTP/1.0")) {
            version = HttpVersion.HTTP_1_0;
        } else if (end >= 8 && HttpSyntax.startsWithAscii(b, 0, end, "HTTP/") && isDigit(b[5]) && b[6] == '.'
                && isDigit(b[7]) && (end == 8 || b[8] == SP)) {
            return refuse(RefusalCode.HTTP_VERSION_NOT_SUPPORTED, "response HTTP-version " + quote(b, 0, 8)
                    + " (expected: HTTP/1.1 or HTTP/1.0, RFC 9112 §2.3)");
        } else {
            return refuse(RefusalCode.INVALID_STATUS_LINE, "status line " + quote(b, 0, end) + " does not start "
                    + "with HTTP/1.1 or HTTP/1.0 (RFC 9112 §4)");
        }
        if (end < STATUS_LINE_MIN || b[8] != SP || !isDigit(b[9]) || !isDigit(b[10]) || !isDigit(b[11])
                || end > STATUS_LINE_MIN && b[STATUS_LINE_MIN] != SP) {
            return refuse(RefusalCode.INVALID_STATUS_LINE, "status line " + quote(b, 0, end) + " (expected: "
                    + "HTTP-version SP 3DIGIT SP reason-phrase, RFC 9112 §4)");
        }
        status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + b[11] - '0';
        if (status < 100 || status > 599) {
            return refuse(RefusalCode.INVALID_STATUS_CODE, "status code " + status + " (expected: 100..599, RFC "
                    + "9110 §15)");
        }
        reasonStart = Math.min(end, STATUS_LINE_MIN + 1);
        reasonEnd = end;
        int bad = HttpSyntax.scan(b, reasonStart, end, REASON);
        if (bad != end) {
            return refuse(RefusalCode.INVALID_STATUS_LINE, "reason-phrase contains " + HttpSyntax.describe(b[bad]
                    & 0xff) + " (RFC 9112 §4)");
        }
        return true;
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    @Override
    void headComplete(byte[] b, HttpFields f, int length) {
        String method = methods.peekFirst();
        if (status == 101) {
            refuse(RefusalCode.SWITCHING_PROTOCOLS_REFUSED, "101 Switching Protocols: the gate never forwards an "
                    + "Upgrade (RFC 9110 §15.2.2)");
            return;
        }
        BodyFraming framing = bodyFraming(b, f, version);
        if (framing == null) {
            return;
        }
        if (status < 200) {
            // RFC 9110 §15.2: an interim response; the final one to the same request follows
            emitHead(new ResponseHead(b, f, version, status, reasonStart, reasonEnd, method, BodyFraming.NONE, true,
                    length));
            return;
        }
        methods.pollFirst();
        if ("HEAD".equals(method) || status == 204 || status == 304) {
            framing = BodyFraming.NONE; // RFC 9112 §6.3 item 1: no content, whatever the fields say
        } else if (framing == BodyFraming.NONE) {
            framing = BodyFraming.UNTIL_CLOSE; // RFC 9112 §6.3 item 8
        }
        boolean keepAlive = framing != BodyFraming.UNTIL_CLOSE && !f.hasToken("connection", "close")
                && (version == HttpVersion.HTTP_1_1 || f.hasToken("connection", "keep-alive"));
        ResponseHead head = new ResponseHead(b, f, version, status, reasonStart, reasonEnd, method, framing,
                keepAlive, length);
        startBody(framing, keepAlive);
        emitHead(head);
    }

    @Override
    int refusalStatus(String code) {
        return 502;
    }

    @Override
    String messageKind() {
        return "response";
    }

    @Override
    String startLineCode() {
        return RefusalCode.INVALID_STATUS_LINE;
    }

    @Override
    String afterCloseCode() {
        return RefusalCode.RESPONSE_AFTER_CLOSE;
    }

    @Override
    String truncatedCode() {
        return RefusalCode.TRUNCATED_RESPONSE;
    }

    @Override
    boolean awaitingMessage() {
        return !methods.isEmpty();
    }
}
