package io.clawgress.tproxy.l7;

import io.netty.buffer.ByteBuf;

import java.util.Arrays;

import static io.clawgress.tproxy.l7.HttpSyntax.CR;
import static io.clawgress.tproxy.l7.HttpSyntax.LF;
import static io.clawgress.tproxy.l7.HttpSyntax.QDTEXT;
import static io.clawgress.tproxy.l7.HttpSyntax.TCHAR;
import static io.clawgress.tproxy.l7.HttpSyntax.describe;
import static io.clawgress.tproxy.l7.HttpSyntax.equalsIgnoreCase;
import static io.clawgress.tproxy.l7.HttpSyntax.isOws;
import static io.clawgress.tproxy.l7.HttpSyntax.quote;

/**
 * The push parser shared by {@link Http1RequestFramer} and {@link Http1ResponseFramer}: head and trailer lines,
 * Content-Length and chunked bodies, pause, and the terminal refusal. Subclasses parse the start line and decide the
 * framing of each head.
 *
 * <p>Heads are copied once, line by line (one {@code indexOf} for the LF of each line, then plain array checks),
 * into an array that becomes the head's {@link HttpFields}; no bytes beyond the head's last LF are read, so what
 * follows it (a body, the next pipelined request) stays in the caller's buffer until its turn. Bodies are never
 * copied: each part is a retained slice of the input. Chunk framing is read byte by byte (a few bytes per chunk).
 *
 * <p>Not thread-safe: one instance per connection direction, used on its event loop only.
 */
abstract sealed class Http1Framer<H> permits Http1RequestFramer, Http1ResponseFramer {

    private static final int HEAD = 0;         // reading a head (or waiting for the next one)
    private static final int FIXED = 1;        // Content-Length body
    private static final int CHUNK_LINE = 2;   // chunk-size [chunk-ext] CRLF
    private static final int CHUNK_DATA = 3;
    private static final int CHUNK_CR = 4;     // the CR after chunk-data
    private static final int CHUNK_LF = 5;     // the LF after chunk-data
    private static final int TRAILER = 6;      // trailer section after the last chunk
    private static final int END = 7;          // message complete, onEnd not yet delivered (paused)
    private static final int UNTIL_CLOSE = 8;  // response body delimited by the connection closing
    private static final int CLOSED = 9;       // the last message said the connection ends: nothing may follow
    private static final int REFUSED = 10;     // terminal

    // chunk-size line states (RFC 9112 §7.1.1): chunk-size [ chunk-ext ] CRLF
    private static final int CS_SIZE = 0;
    private static final int CS_EXT_NAME_START = 1;
    private static final int CS_EXT_NAME = 2;
    private static final int CS_EXT_VALUE_START = 3;
    private static final int CS_EXT_TOKEN = 4;
    private static final int CS_EXT_QUOTED = 5;
    private static final int CS_EXT_QUOTED_PAIR = 6;
    private static final int CS_EXT_AFTER_QUOTED = 7;
    private static final int CS_LF = 8;

    private static final int INITIAL_HEAD_CAPACITY = 1024;
    private static final int INITIAL_TRAILER_CAPACITY = 256;
    private static final int INITIAL_FIELDS = 16;
    private static final int MAX_CHUNK_SIZE_DIGITS = 16;

    final Http1FramerSettings settings;
    private final Http1Listener<H> listener;

    private int state = HEAD;
    private boolean paused;
    private boolean closeAfterEnd;
    private HttpFields pendingTrailers;

    // The head or trailer section being read; buf is null between sections (the last one went to its HttpFields).
    private byte[] buf;
    private int len;
    private int lineStart;
    private int[] offsets;
    private int fieldCount;
    private boolean trailerSection;
    private boolean startLineDone;

    private long remaining;
    private int chunkLine;
    private long chunkSize;
    private int chunkDigits;
    private int chunkExtBytes;
    private String chunkErrorCode;

    Http1Framer(Http1FramerSettings settings, Http1Listener<H> listener) {
        if (settings == null || listener == null) {
            throw new IllegalArgumentException("settings and listener: " + settings + ", " + listener
                    + " (expected: non-null)");
        }
        this.settings = settings;
        this.listener = listener;
    }

    /**
     * Reads the readable bytes of {@code in}, emitting events as messages are framed. Ownership of {@code in} stays
     * with the caller: the framer only advances its reader index (body parts are retained slices the listener
     * owns). It returns when {@code in} is exhausted, when the listener called {@link #pause()} (the unread bytes
     * stay in {@code in}: feed them again after {@link #resume()}), or after a refusal (the rest is left unread and
     * must be dropped). Any split of the input, down to one byte per call, yields the same events.
     */
    public final void feed(ByteBuf in) {
        while (!paused) {
            switch (state) {
                case REFUSED -> {
                    return;
                }
                case END -> deliverEnd();
                default -> {
                    if (!in.isReadable()) {
                        return;
                    }
                    switch (state) {
                        case HEAD, TRAILER -> readLine(in);
                        case FIXED -> readFixed(in);
                        case CHUNK_LINE -> readChunkLine(in);
                        case CHUNK_DATA -> readChunkData(in);
                        case CHUNK_CR, CHUNK_LF -> readChunkCrlf(in);
                        case UNTIL_CLOSE -> listener.onBodyPart(in.readRetainedSlice(in.readableBytes()));
                        case CLOSED -> refuse(afterCloseCode(), "bytes after a " + messageKind() + " that ended "
                                + "the connection (Connection: close, HTTP/1.0 without keep-alive, or a "
                                + "close-delimited body; RFC 9112 §9.6)");
                        default -> throw new IllegalStateException("state: " + state);
                    }
                }
            }
        }
    }

    /**
     * Says the peer closed its side (or the connection ended) after everything was fed. Ends a close-delimited
     * response; refuses with a truncation code when a message was under way (or, for responses, still awaited);
     * does nothing between messages. Delivers a pending end even when paused. Feed nothing after it.
     */
    public final void inputClosed() {
        switch (state) {
            case REFUSED, CLOSED -> {
            }
            case END -> {
                deliverEnd();
                inputClosed();
            }
            case UNTIL_CLOSE -> {
                state = END;
                deliverEnd();
            }
            case HEAD -> {
                if (buf != null || awaitingMessage()) {
                    refuse(truncatedCode(), "the connection closed " + (buf != null ? "in the middle of a "
                            + messageKind() + " head" : "before a " + messageKind() + " arrived"));
                } else {
                    state = CLOSED;
                }
            }
            default -> refuse(truncatedCode(), "the connection closed in the middle of a " + messageKind()
                    + " body (RFC 9112 §8: an incomplete message)");
        }
    }

    /** Stops delivering events after the current one (call from a listener method); {@link #feed} then returns. */
    public final void pause() {
        paused = true;
    }

    /** Allows events again; call {@link #feed} (with an empty buffer if nothing is new) to deliver what waits. */
    public final void resume() {
        paused = false;
    }

    public final boolean isPaused() {
        return paused;
    }

    /** Whether the framer refused (terminal). */
    public final boolean isRefused() {
        return state == REFUSED;
    }

    /** Whether no message is under way: nothing of the next head was read and no end is pending. */
    public final boolean isBetweenMessages() {
        return state == HEAD && buf == null || state == CLOSED;
    }

    // ---- subclass hooks ----

    /** Called with the first byte of a new head; false after refusing (e.g. a response nobody asked for). */
    abstract boolean beginMessage();

    /** Checks the start line {@code b[0, end)} (CRLF excluded, no LF inside); false after refusing. */
    abstract boolean startLine(byte[] b, int end);

    /**
     * The head {@code b[0, length)} is complete and its field lines are syntactically valid: decide the framing,
     * then call {@link #startBody} and {@link #emitHead}, or {@link #refuse}. A 1xx head calls only
     * {@link #emitHead}: no body and no end follow, and the next head is read at once.
     */
    abstract void headComplete(byte[] b, HttpFields fields, int length);

    abstract int refusalStatus(String code);

    /** For messages: "request" or "response". */
    abstract String messageKind();

    /** The code for a start line that is missing (an empty line where it belongs). */
    abstract String startLineCode();

    abstract String afterCloseCode();

    abstract String truncatedCode();

    /** Whether a message is awaited even though none started (a response owed to a forwarded request). */
    abstract boolean awaitingMessage();

    // ---- for subclasses ----

    final void startBody(BodyFraming framing, boolean keepAlive) {
        closeAfterEnd = !keepAlive;
        switch (framing) {
            case BodyFraming.None ignored -> state = END;
            case BodyFraming.ContentLength cl -> {
                remaining = cl.length();
                state = remaining == 0 ? END : FIXED;
            }
            case BodyFraming.Chunked ignored -> startChunkLine();
            case BodyFraming.UntilClose ignored -> state = UNTIL_CLOSE;
        }
    }

    final void emitHead(H head) {
        listener.onHead(head);
    }

    /** Emits the terminal refusal; returns false so that checks can {@code return refuse(...)}. */
    final boolean refuse(String code, String message) {
        state = REFUSED;
        buf = null;
        offsets = null;
        pendingTrailers = null;
        listener.onRefusal(new Refusal(code, refusalStatus(code), message));
        return false;
    }

    /**
     * The body framing the Content-Length and Transfer-Encoding fields of a head call for (RFC 9112 §6.1-6.3), or
     * null after refusing; {@link BodyFraming#NONE} when neither is present. Stricter than the RFC wherever two
     * implementations could read the same bytes differently: both fields together, a repeated field (even with
     * equal values), a list of lengths, or a coding list that is not exactly {@code chunked} are refused, never
     * resolved, because the next hop might resolve them the other way.
     */
    final BodyFraming bodyFraming(byte[] b, HttpFields f, HttpVersion version) {
        int te = -1;
        int cl = -1;
        int teCount = 0;
        int clCount = 0;
        for (int i = 0; i < f.size(); i++) {
            int n = f.nameEnd(i) - f.nameStart(i);
            if (n == 17 && equalsIgnoreCase(b, f.nameStart(i), f.nameEnd(i), "transfer-encoding")) {
                te = teCount++ == 0 ? i : te;
            } else if (n == 14 && equalsIgnoreCase(b, f.nameStart(i), f.nameEnd(i), "content-length")) {
                cl = clCount++ == 0 ? i : cl;
            } else if ((n == 17 || n == 14) && underscoreFramingName(b, f.nameStart(i), f.nameEnd(i))) {
                // Transfer_Encoding / Content_Length: a token here, but servers that map names to variables (CGI,
                // WSGI: HTTP_TRANSFER_ENCODING) read it as the framing field, so the next hop could frame otherwise
                refuse(RefusalCode.INVALID_FIELD_NAME, "field name " + quote(b, f.nameStart(i), f.nameEnd(i))
                        + " reads as a framing field where '_' is mapped to '-' (refused: request smuggling)");
                return null;
            }
        }
        if (teCount > 0 && clCount > 0) {
            refuse(RefusalCode.TE_CL_CONFLICT, "both Transfer-Encoding and Content-Length (RFC 9112 §6.3 item 3: "
                    + "a request-smuggling signal; refused rather than letting Transfer-Encoding win, since another "
                    + "hop might use Content-Length)");
            return null;
        }
        if (teCount > 1) {
            refuse(RefusalCode.DUPLICATE_TRANSFER_ENCODING, teCount + " Transfer-Encoding field lines (refused "
                    + "rather than combined, RFC 9110 §5.3: only a single 'chunked' is accepted)");
            return null;
        }
        if (clCount > 1) {
            refuse(RefusalCode.DUPLICATE_CONTENT_LENGTH, clCount + " Content-Length field lines (RFC 9112 §6.3 "
                    + "item 5; refused even when the values are equal)");
            return null;
        }
        if (teCount == 1) {
            if (version == HttpVersion.HTTP_1_0) {
                refuse(RefusalCode.TRANSFER_ENCODING_HTTP10, "Transfer-Encoding in an HTTP/1.0 " + messageKind()
                        + " (RFC 9112 §6.1: the framing is faulty)");
                return null;
            }
            return transferEncoding(b, f.valueStart(te), f.valueEnd(te));
        }
        return clCount == 1 ? contentLength(b, f.valueStart(cl), f.valueEnd(cl)) : BodyFraming.NONE;
    }

    /** Whether {@code b[from, to)} is Transfer-Encoding or Content-Length with '_' for at least one '-'. */
    private static boolean underscoreFramingName(byte[] b, int from, int to) {
        if (HttpSyntax.indexOf(b, from, to, '_') < 0) {
            return false;
        }
        String name = to - from == 17 ? "transfer-encoding" : "content-length";
        for (int i = from; i < to; i++) {
            int c = b[i] == '_' ? '-' : b[i] >= 'A' && b[i] <= 'Z' ? b[i] | 0x20 : b[i];
            if (c != name.charAt(i - from)) {
                return false;
            }
        }
        return true;
    }

    // ---- heads and trailer sections ----

    private void readLine(ByteBuf in) {
        int limit = trailerSection ? settings.maxTrailerBytes() : settings.maxHeadBytes();
        if (buf == null) {
            if (trailerSection) {
                if (emptyTrailerSection(in)) {
                    return;
                }
                buf = new byte[Math.min(limit, INITIAL_TRAILER_CAPACITY)];
            } else {
                if (!beginMessage()) {
                    return;
                }
                buf = new byte[Math.min(limit, INITIAL_HEAD_CAPACITY)];
            }
            offsets = new int[4 * INITIAL_FIELDS];
        }
        int room = limit - len;
        if (room == 0) {
            tooLarge(limit);
            return;
        }
        int r = in.readerIndex();
        int end = r + Math.min(in.readableBytes(), room);
        int lf = in.indexOf(r, end, LF);
        int stop = lf < 0 ? end : lf + 1;
        int n = stop - r;
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.min(limit, Math.max(len + n, 2 * buf.length)));
        }
        in.getBytes(r, buf, len, n);
        in.readerIndex(stop);
        len += n;
        if (lf < 0) {
            if (len == limit) {
                tooLarge(limit);
            }
            return;
        }
        int from = lineStart;
        lineStart = len;
        line(from, len);
    }

    /** The common case of a chunked body without trailers: "0\r\n" is followed by "\r\n"; no array needed. */
    private boolean emptyTrailerSection(ByteBuf in) {
        int r = in.readerIndex();
        if (in.readableBytes() >= 2 && in.getByte(r) == CR && in.getByte(r + 1) == LF) {
            in.skipBytes(2);
            trailerSection = false;
            pendingTrailers = HttpFields.EMPTY;
            state = END;
            return true;
        }
        return false;
    }

    private void tooLarge(int limit) {
        if (trailerSection) {
            refuse(RefusalCode.TRAILER_TOO_LARGE, "no end of the trailer section within " + limit + " bytes "
                    + "(limit: " + limit + ")");
        } else {
            refuse(RefusalCode.HEAD_TOO_LARGE, "no end of the " + messageKind() + " head (an empty line, RFC 9112 "
                    + "§2.1) within " + limit + " bytes (limit: " + limit + ")");
        }
    }

    /** One line {@code buf[from, to)}, ending in LF. */
    private void line(int from, int to) {
        byte[] b = buf;
        if (to - from < 2 || b[to - 2] != CR) {
            refuse(RefusalCode.BARE_LF, "bare LF at offset " + (to - 1) + " of the " + sectionName()
                    + " (expected: CRLF, RFC 9112 §2.2)");
            return;
        }
        int end = to - 2;
        if (!trailerSection && !startLineDone) {
            if (end == from) {
                refuse(startLineCode(), "empty line before the " + messageKind() + "'s start line (RFC 9112 §2.2 "
                        + "lets a server skip it; refused here)");
                return;
            }
            int cr = HttpSyntax.indexOf(b, from, end, CR);
            if (cr >= 0) {
                refuse(RefusalCode.BARE_CR, "bare CR at offset " + cr + " of the start line (RFC 9112 §2.2)");
                return;
            }
            if (startLine(b, end)) {
                startLineDone = true;
            }
            return;
        }
        if (end == from) {
            sectionComplete();
        } else {
            fieldLine(b, from, end);
        }
    }

    private String sectionName() {
        return trailerSection ? "trailer section" : messageKind() + " head";
    }

    /** A field line {@code b[from, end)}, CRLF excluded (RFC 9112 §5, RFC 9110 §5). */
    private void fieldLine(byte[] b, int from, int end) {
        if (isOws(b[from])) {
            // RFC 9112 §5.2: obs-fold; as the first field line, §2.2 whitespace after the start line. Both refused.
            refuse(RefusalCode.OBS_FOLD, fieldCount == 0 && !trailerSection
                    ? "whitespace at the start of the first field line (RFC 9112 §2.2: MUST reject or ignore)"
                    : "obs-fold: a field line starts with whitespace (RFC 9112 §5.2)");
            return;
        }
        int colon = HttpSyntax.scan(b, from, end, TCHAR);
        if (colon == end) {
            refuse(RefusalCode.INVALID_FIELD_NAME, "field line without a colon: " + quote(b, from, end)
                    + " (RFC 9112 §5)");
            return;
        }
        if (b[colon] != ':') {
            byte c = b[colon];
            if (c == CR) {
                refuse(RefusalCode.BARE_CR, "bare CR at offset " + colon + " of the " + sectionName()
                        + " (RFC 9112 §2.2)");
            } else if (isOws(c) && HttpSyntax.indexOf(b, colon, end, ':') < 0) {
                refuse(RefusalCode.INVALID_FIELD_NAME, "field line without a colon: " + quote(b, from, end)
                        + " (RFC 9112 §5)");
            } else if (isOws(c)) {
                refuse(RefusalCode.WHITESPACE_BEFORE_COLON, "whitespace between the field name " + quote(b, from,
                        colon) + " and the colon (RFC 9112 §5.1: a server MUST reject)");
            } else {
                refuse(RefusalCode.INVALID_FIELD_NAME, "field name contains " + describe(c & 0xff)
                        + " (expected: token, RFC 9110 §5.1)");
            }
            return;
        }
        if (colon == from) {
            refuse(RefusalCode.INVALID_FIELD_NAME, "field line with an empty name (RFC 9110 §5.1)");
            return;
        }
        int bad = HttpSyntax.scanFieldValue(b, colon + 1, end);
        if (bad != end) {
            if (b[bad] == CR) {
                refuse(RefusalCode.BARE_CR, "bare CR at offset " + bad + " of the " + sectionName()
                        + " (RFC 9112 §2.2)");
            } else {
                refuse(RefusalCode.INVALID_FIELD_VALUE, (b[bad] == 0 ? "NUL" : "control character 0x"
                        + HttpSyntax.hex2(b[bad] & 0xff)) + " in the value of " + quote(b, from, colon)
                        + " (RFC 9110 §5.5)");
            }
            return;
        }
        int maxFields = trailerSection ? settings.maxTrailerFields() : settings.maxFields();
        if (fieldCount == maxFields) {
            if (trailerSection) {
                refuse(RefusalCode.TRAILER_TOO_LARGE, "more than " + maxFields + " trailer fields (limit: "
                        + maxFields + ")");
            } else {
                refuse(RefusalCode.TOO_MANY_FIELDS, "more than " + maxFields + " field lines in the "
                        + messageKind() + " head (limit: " + maxFields + ")");
            }
            return;
        }
        int valueStart = colon + 1;
        int valueEnd = end;
        while (valueStart < valueEnd && isOws(b[valueStart])) {
            valueStart++;
        }
        while (valueEnd > valueStart && isOws(b[valueEnd - 1])) {
            valueEnd--;
        }
        int o = 4 * fieldCount;
        if (o == offsets.length) {
            offsets = Arrays.copyOf(offsets, 2 * offsets.length);
        }
        offsets[o] = from;
        offsets[o + 1] = colon;
        offsets[o + 2] = valueStart;
        offsets[o + 3] = valueEnd;
        fieldCount++;
    }

    private void sectionComplete() {
        byte[] b = buf;
        HttpFields fields = fieldCount == 0 ? HttpFields.EMPTY : new HttpFields(b, offsets, fieldCount);
        int length = len;
        boolean trailers = trailerSection;
        buf = null;
        offsets = null;
        len = 0;
        lineStart = 0;
        fieldCount = 0;
        startLineDone = false;
        trailerSection = false;
        if (!trailers) {
            headComplete(b, fields, length);
            return;
        }
        for (int i = 0; i < fields.size(); i++) {
            int n = fields.nameEnd(i) - fields.nameStart(i);
            if (fields.isNamed(i, "content-length") || fields.isNamed(i, "transfer-encoding")
                    || fields.isNamed(i, "host")
                    || (n == 14 || n == 17) && underscoreFramingName(b, fields.nameStart(i), fields.nameEnd(i))) {
                refuse(RefusalCode.FORBIDDEN_TRAILER_FIELD, fields.name(i) + " in a trailer section (RFC 9110 "
                        + "§6.5.1: framing and routing fields are not allowed there; a hop that merged it into the "
                        + "head would frame differently)");
                return;
            }
        }
        pendingTrailers = fields;
        state = END;
    }

    private void deliverEnd() {
        HttpFields trailers = pendingTrailers == null ? HttpFields.EMPTY : pendingTrailers;
        pendingTrailers = null;
        state = closeAfterEnd ? CLOSED : HEAD;
        listener.onEnd(trailers);
    }

    // ---- Content-Length and Transfer-Encoding values ----

    /** RFC 9112 §6.2: Content-Length = 1*DIGIT; leading zeros refused too (some parsers read them as octal). */
    private BodyFraming contentLength(byte[] b, int from, int end) {
        if (from == end) {
            refuse(RefusalCode.INVALID_CONTENT_LENGTH, "empty Content-Length (expected: 1*DIGIT, RFC 9112 §6.2)");
            return null;
        }
        long length = 0;
        for (int i = from; i < end; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) {
                refuse(RefusalCode.INVALID_CONTENT_LENGTH, "Content-Length " + quote(b, from, end) + " contains "
                        + describe(b[i] & 0xff) + (b[i] == ',' ? " (a list of lengths is refused" : " (expected: "
                        + "1*DIGIT") + ", RFC 9112 §6.3 item 5)");
                return null;
            }
            if (length > (Long.MAX_VALUE - d) / 10) {
                refuse(RefusalCode.INVALID_CONTENT_LENGTH, "Content-Length " + quote(b, from, end)
                        + " overflows a signed 64-bit number (RFC 9112 §6.3 item 5)");
                return null;
            }
            length = length * 10 + d;
        }
        if (end - from > 1 && b[from] == '0') {
            refuse(RefusalCode.INVALID_CONTENT_LENGTH, "Content-Length " + quote(b, from, end) + " has a leading "
                    + "zero (refused: parsers disagree on it)");
            return null;
        }
        return new BodyFraming.ContentLength(length);
    }

    /**
     * RFC 9112 §6.1, §7: Transfer-Encoding = #transfer-coding. Accepted: exactly one coding, {@code chunked} (ASCII
     * case ignored, OWS around it). Refused as malformed: an empty value or list element, parameters, quotes,
     * whitespace or non-token bytes inside a coding. A list whose last coding is not chunked, or that applies
     * chunked twice, is {@code chunked_not_final} (RFC 9112 §6.3 item 4: a request MUST get 400); a well-formed
     * list ending in chunked after another coding (gzip, chunked) is {@code unsupported_transfer_coding} (RFC 9112
     * §6.1: 501).
     */
    private BodyFraming transferEncoding(byte[] b, int from, int end) {
        if (from == end) {
            refuse(RefusalCode.INVALID_TRANSFER_ENCODING, "empty Transfer-Encoding (RFC 9112 §6.1)");
            return null;
        }
        int elements = 0;
        boolean chunkedLast = false;
        int lastFrom = from;
        int lastTo = end;
        int p = from;
        while (true) {
            int comma = HttpSyntax.indexOf(b, p, end, ',');
            int to = comma < 0 ? end : comma;
            int s = p;
            int e = to;
            while (s < e && isOws(b[s])) {
                s++;
            }
            while (e > s && isOws(b[e - 1])) {
                e--;
            }
            if (s == e) {
                refuse(RefusalCode.INVALID_TRANSFER_ENCODING, "Transfer-Encoding " + quote(b, from, end)
                        + " has an empty list element (refused: RFC 9110 §5.6.1 lets parsers differ)");
                return null;
            }
            int bad = HttpSyntax.scan(b, s, e, TCHAR);
            if (bad != e) {
                int c = b[bad] & 0xff;
                refuse(RefusalCode.INVALID_TRANSFER_ENCODING, "Transfer-Encoding " + quote(b, from, end)
                        + (c == '"' ? " is quoted" : c == ';' ? " has transfer-parameters" : c >= 0x80
                        ? " has a non-ASCII byte" : " contains " + describe(c))
                        + " (expected: chunked, RFC 9112 §7)");
                return null;
            }
            if (chunkedLast) {
                refuse(RefusalCode.CHUNKED_NOT_FINAL, "Transfer-Encoding " + quote(b, from, end) + " has a coding "
                        + "after chunked (RFC 9112 §6.3 item 4: the length cannot be determined; §6.1: chunked "
                        + "is applied at most once and last)");
                return null;
            }
            chunkedLast = equalsIgnoreCase(b, s, e, "chunked");
            elements++;
            lastFrom = s;
            lastTo = e;
            if (comma < 0) {
                break;
            }
            p = comma + 1;
        }
        if (!chunkedLast) {
            refuse(RefusalCode.CHUNKED_NOT_FINAL, "the final transfer coding is " + quote(b, lastFrom, lastTo)
                    + ", not chunked (RFC 9112 §6.3 item 4: MUST respond 400)");
            return null;
        }
        if (elements > 1) {
            refuse(RefusalCode.UNSUPPORTED_TRANSFER_CODING, "Transfer-Encoding " + quote(b, from, end)
                    + ": only chunked alone is supported (RFC 9112 §6.1: 501 for a coding not understood)");
            return null;
        }
        return BodyFraming.CHUNKED;
    }

    // ---- bodies ----

    private void readFixed(ByteBuf in) {
        int n = (int) Math.min(remaining, in.readableBytes());
        remaining -= n;
        if (remaining == 0) {
            state = END;
        }
        listener.onBodyPart(in.readRetainedSlice(n));
    }

    private void readChunkData(ByteBuf in) {
        int n = (int) Math.min(remaining, in.readableBytes());
        remaining -= n;
        if (remaining == 0) {
            state = CHUNK_CR;
        }
        listener.onBodyPart(in.readRetainedSlice(n));
    }

    private void readChunkCrlf(ByteBuf in) {
        byte c = in.readByte();
        if (state == CHUNK_CR) {
            if (c == CR) {
                state = CHUNK_LF;
            } else if (c == LF) {
                refuse(RefusalCode.BARE_LF, "bare LF after chunk-data (expected: CRLF, RFC 9112 §7.1)");
            } else {
                refuse(RefusalCode.MISSING_CHUNK_CRLF, "chunk-data followed by " + describe(c & 0xff) + " instead "
                        + "of CRLF (RFC 9112 §7.1: the chunk is longer than its chunk-size)");
            }
        } else if (c == LF) {
            startChunkLine();
        } else {
            refuse(RefusalCode.BARE_CR, "bare CR after chunk-data (expected: CRLF, RFC 9112 §7.1)");
        }
    }

    private void startChunkLine() {
        state = CHUNK_LINE;
        chunkLine = CS_SIZE;
        chunkSize = 0;
        chunkDigits = 0;
        chunkExtBytes = 0;
    }

    /**
     * RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF, with chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ).
     * Stricter than the grammar: no whitespace anywhere (BWS, which parsers treat differently), no "0x" or sign,
     * at most 16 hex digits; extensions are checked, bounded, and dropped (body parts carry data only).
     */
    private void readChunkLine(ByteBuf in) {
        int r = in.readerIndex();
        int w = in.writerIndex();
        while (r < w) {
            int c = in.getByte(r++) & 0xff;
            if (chunkLine >= CS_EXT_NAME_START && chunkLine <= CS_EXT_AFTER_QUOTED && c != CR
                    && ++chunkExtBytes > settings.maxChunkExtensionBytes()) {
                in.readerIndex(r);
                refuse(RefusalCode.CHUNK_EXTENSION_TOO_LONG, "chunk-ext longer than "
                        + settings.maxChunkExtensionBytes() + " bytes (limit: " + settings.maxChunkExtensionBytes()
                        + ")");
                return;
            }
            String error = chunkLineByte(c);
            if (error != null) {
                in.readerIndex(r);
                refuse(chunkErrorCode, error);
                return;
            }
            if (chunkLine == CS_LF + 1) {
                in.readerIndex(r);
                if (chunkSize == 0) {
                    state = TRAILER;
                    trailerSection = true;
                } else {
                    state = CHUNK_DATA;
                    remaining = chunkSize;
                }
                return;
            }
        }
        in.readerIndex(r);
    }

    /** Advances the chunk-size line state by one byte; returns a refusal message (code in chunkErrorCode). */
    private String chunkLineByte(int c) {
        switch (chunkLine) {
            case CS_SIZE -> {
                int d = HttpSyntax.hexValue(c);
                if (d >= 0) {
                    if (chunkDigits == MAX_CHUNK_SIZE_DIGITS || chunkSize > Long.MAX_VALUE >>> 4) {
                        return chunkError(RefusalCode.CHUNK_SIZE_OVERFLOW, chunkDigits == MAX_CHUNK_SIZE_DIGITS
                                ? "chunk-size of more than 16 hex digits" : "chunk-size above 2^63-1");
                    }
                    chunkDigits++;
                    chunkSize = chunkSize << 4 | d;
                    return null;
                }
                if (c == LF) {
                    return chunkError(RefusalCode.BARE_LF, "bare LF in a chunk-size line (RFC 9112 §7.1)");
                }
                if (chunkDigits == 0) {
                    return chunkError(RefusalCode.INVALID_CHUNK_SIZE, c == CR ? "empty chunk-size (RFC 9112 §7.1)"
                            : "chunk-size starts with " + describe(c) + " (expected: hex digits, RFC 9112 §7.1)");
                }
                if (c == ';') {
                    chunkLine = CS_EXT_NAME_START;
                    chunkExtBytes = 1;
                } else if (c == CR) {
                    chunkLine = CS_LF;
                } else {
                    return chunkError(RefusalCode.INVALID_CHUNK_SIZE, "chunk-size followed by " + describe(c)
                            + " (expected: hex digits, ';' or CRLF; no prefix, sign or whitespace, RFC 9112 §7.1)");
                }
            }
            case CS_EXT_NAME_START -> {
                if (!TCHAR[c]) {
                    return extError(c, "a chunk-ext name");
                }
                chunkLine = CS_EXT_NAME;
            }
            case CS_EXT_NAME -> {
                if (c == '=') {
                    chunkLine = CS_EXT_VALUE_START;
                } else if (!TCHAR[c]) {
                    return extEnd(c, "a chunk-ext name");
                }
            }
            case CS_EXT_VALUE_START -> {
                if (c == '"') {
                    chunkLine = CS_EXT_QUOTED;
                } else if (TCHAR[c]) {
                    chunkLine = CS_EXT_TOKEN;
                } else {
                    return extError(c, "a chunk-ext value");
                }
            }
            case CS_EXT_TOKEN -> {
                if (!TCHAR[c]) {
                    return extEnd(c, "a chunk-ext value");
                }
            }
            case CS_EXT_QUOTED -> {
                if (c == '"') {
                    chunkLine = CS_EXT_AFTER_QUOTED;
                } else if (c == '\\') {
                    chunkLine = CS_EXT_QUOTED_PAIR;
                } else if (c == LF) {
                    return chunkError(RefusalCode.BARE_LF, "LF inside a quoted chunk-ext value (RFC 9112 §7.1.1)");
                } else if (!QDTEXT[c]) {
                    return extError(c, "a quoted chunk-ext value");
                }
            }
            case CS_EXT_QUOTED_PAIR -> {
                if (c != '\t' && (c < 0x20 || c == 0x7f)) {
                    return extError(c, "a quoted-pair");
                }
                chunkLine = CS_EXT_QUOTED;
            }
            case CS_EXT_AFTER_QUOTED -> {
                return extEnd(c, "a chunk-ext after a quoted value");
            }
            case CS_LF -> {
                if (c != LF) {
                    return chunkError(RefusalCode.BARE_CR, "bare CR in a chunk-size line (RFC 9112 §7.1)");
                }
                chunkLine = CS_LF + 1;
            }
            default -> throw new IllegalStateException("chunk line state: " + chunkLine);
        }
        return null;
    }

    /** After a chunk-ext name or value: ';' starts another, CR ends the line. */
    private String extEnd(int c, String where) {
        if (c == ';') {
            chunkLine = CS_EXT_NAME_START;
            return null;
        }
        if (c == CR) {
            chunkLine = CS_LF;
            return null;
        }
        if (c == LF) {
            return chunkError(RefusalCode.BARE_LF, "bare LF in a chunk-size line (RFC 9112 §7.1)");
        }
        return extError(c, where);
    }

    private String extError(int c, String where) {
        if (c == LF) {
            return chunkError(RefusalCode.BARE_LF, "bare LF in a chunk-size line (RFC 9112 §7.1)");
        }
        return chunkError(RefusalCode.INVALID_CHUNK_EXTENSION, describe(c) + " in " + where + " (expected: "
                + ";name[=token|quoted-string] without whitespace, RFC 9112 §7.1.1)");
    }

    private String chunkError(String code, String message) {
        chunkErrorCode = code;
        return message;
    }
}
