package io.clawgress.tproxy.l7;

import io.netty.buffer.ByteBuf;

/**
 * One checked response head (RFC 9112 §4, §5) with its framing and connection facts. Immutable; built by
 * {@link Http1ResponseFramer} on the connection's event loop and safe to read from any thread after that.
 */
public final class ResponseHead {

    private final byte[] bytes;
    private final HttpFields fields;
    private final HttpVersion version;
    private final int status;
    private final int reasonStart;
    private final int reasonEnd;
    private final String requestMethod;
    private final BodyFraming framing;
    private final boolean keepAlive;
    private final int headLength;

    ResponseHead(byte[] bytes, HttpFields fields, HttpVersion version, int status, int reasonStart, int reasonEnd,
                 String requestMethod, BodyFraming framing, boolean keepAlive, int headLength) {
        this.bytes = bytes;
        this.fields = fields;
        this.version = version;
        this.status = status;
        this.reasonStart = reasonStart;
        this.reasonEnd = reasonEnd;
        this.requestMethod = requestMethod;
        this.framing = framing;
        this.keepAlive = keepAlive;
        this.headLength = headLength;
    }

    public HttpVersion version() {
        return version;
    }

    /** 100..599; never 101 (refused). */
    public int status() {
        return status;
    }

    /** The reason-phrase as sent, possibly empty (RFC 9112 §4: clients should ignore it). */
    public String reason() {
        return HttpSyntax.latin1(bytes, reasonStart, reasonEnd);
    }

    /** The method of the request this response answers. */
    public String requestMethod() {
        return requestMethod;
    }

    /** A 1xx interim response: no body and no end follow, the final response to the same request comes next. */
    public boolean interim() {
        return status < 200;
    }

    public HttpFields fields() {
        return fields;
    }

    /**
     * {@link BodyFraming#NONE} (HEAD, 1xx, 204, 304, or Content-Length 0 shows as a ContentLength), a
     * {@link BodyFraming.ContentLength}, {@link BodyFraming#CHUNKED}, or {@link BodyFraming#UNTIL_CLOSE}.
     */
    public BodyFraming framing() {
        return framing;
    }

    /**
     * RFC 9112 §9.3: whether the upstream connection may carry another request after this response. False for a
     * close-delimited body, {@code Connection: close}, and HTTP/1.0 without {@code Connection: keep-alive}.
     */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** Whether the body is a server-sent event stream ({@code Content-Type: text/event-stream}): flush each part. */
    public boolean eventStream() {
        int i = fields.indexOf("content-type", 0);
        if (i < 0) {
            return false;
        }
        int from = fields.valueStart(i);
        int end = fields.valueEnd(i);
        int semi = HttpSyntax.indexOf(bytes, from, end, ';');
        int to = semi < 0 ? end : semi;
        while (to > from && HttpSyntax.isOws(bytes[to - 1])) {
            to--;
        }
        return HttpSyntax.equalsIgnoreCase(bytes, from, to, "text/event-stream");
    }

    /** Bytes of the head on the wire, status line to the empty line included. */
    public int headLength() {
        return headLength;
    }

    /**
     * Writes the head exactly as received (every line checked: CRLF endings, no folds, no control bytes) into
     * {@code out}, which the caller owns.
     */
    public void writeTo(ByteBuf out) {
        out.writeBytes(bytes, 0, headLength);
    }

    @Override
    public String toString() {
        return version.text() + " " + status + " (" + requestMethod + ") framing=" + framing + " keepAlive="
                + keepAlive + " fields=" + fields.size();
    }
}
