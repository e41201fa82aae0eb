package io.clawgress.tproxy.l7;

/**
 * One checked request head (RFC 9112 §3, §5) and what the gate decides on: method, target, version, Host, the
 * body framing, and the connection facts. Immutable; built by {@link Http1RequestFramer} on the connection's event
 * loop and safe to read from any thread after that. The original bytes stay inside (for {@link RequestHeadWriter}),
 * never exposed.
 */
public final class RequestHead {

    private final byte[] bytes;
    private final HttpFields fields;
    private final String method;
    private final int targetStart;
    private final int targetEnd;
    private final int requestLineEnd;
    private final boolean absoluteForm;
    private final HttpVersion version;
    private final String host;
    private final int port;
    private final BodyFraming framing;
    private final boolean keepAlive;
    private final boolean expectContinue;
    private final boolean upgradeRequested;
    private final int headLength;
    private String target;

    RequestHead(byte[] bytes, HttpFields fields, String method, int targetStart, int targetEnd, int requestLineEnd,
                boolean absoluteForm, HttpVersion version, String host, int port, BodyFraming framing,
                boolean keepAlive, boolean expectContinue, boolean upgradeRequested, int headLength) {
        this.bytes = bytes;
        this.fields = fields;
        this.method = method;
        this.targetStart = targetStart;
        this.targetEnd = targetEnd;
        this.requestLineEnd = requestLineEnd;
        this.absoluteForm = absoluteForm;
        this.version = version;
        this.host = host;
        this.port = port;
        this.framing = framing;
        this.keepAlive = keepAlive;
        this.expectContinue = expectContinue;
        this.upgradeRequested = upgradeRequested;
        this.headLength = headLength;
    }

    /** The method as sent (case-sensitive, RFC 9110 §9.1); the registered ones are shared constants. */
    public String method() {
        return method;
    }

    /** The request-target as sent: origin-form {@code /p?q}, absolute-form {@code http://h/p}, or {@code *}. */
    public String target() {
        String t = target;
        if (t == null) {
            t = HttpSyntax.latin1(bytes, targetStart, targetEnd);
            target = t;
        }
        return t;
    }

    /**
     * The path of the target without the query, as sent (not decoded or normalised: {@code /a/../b} and
     * {@code /%61} stay as they are; a policy matching prefixes must decide what to do with them): for
     * absolute-form the part after the authority, {@code /} when empty; {@code *} for asterisk-form.
     */
    public String path() {
        int from = targetStart;
        if (absoluteForm) {
            from = HttpSyntax.indexOf(bytes, targetStart, targetEnd, ':') + 3;
            while (from < targetEnd && bytes[from] != '/' && bytes[from] != '?') {
                from++;
            }
            if (from == targetEnd || bytes[from] == '?') {
                return "/";
            }
        }
        int q = HttpSyntax.indexOf(bytes, from, targetEnd, '?');
        return HttpSyntax.latin1(bytes, from, q < 0 ? targetEnd : q);
    }

    /** The query without '?', or null when the target has none. */
    public String query() {
        int q = HttpSyntax.indexOf(bytes, targetStart, targetEnd, '?');
        return q < 0 ? null : HttpSyntax.latin1(bytes, q + 1, targetEnd);
    }

    /** Whether the target is absolute-form ({@code http://host/...}); its authority then equals Host (checked). */
    public boolean absoluteForm() {
        return absoluteForm;
    }

    public HttpVersion version() {
        return version;
    }

    /**
     * The host the request names, lower case, without IPv6 brackets or port: from an absolute-form target, else
     * the Host field. Null only for an HTTP/1.0 request without Host and with an origin-form target (then use SNI or
     * the original destination).
     */
    public String host() {
        return host;
    }

    /** The port named with {@link #host()}, or -1 when none was given. */
    public int port() {
        return port;
    }

    /** The field lines in their original order and case. */
    public HttpFields fields() {
        return fields;
    }

    /** {@link BodyFraming#NONE}, a {@link BodyFraming.ContentLength} or {@link BodyFraming#CHUNKED}. */
    public BodyFraming framing() {
        return framing;
    }

    /**
     * RFC 9112 §9.3: whether the agent expects the connection to persist after the response: HTTP/1.1 unless
     * {@code Connection: close}; HTTP/1.0 only with {@code Connection: keep-alive} (the gate answers the agent as
     * its server, so it honours the HTTP/1.0 keep-alive option). When false, the framer refuses any byte after this
     * request ({@code request_after_close}).
     */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** {@code Expect: 100-continue} on HTTP/1.1 (RFC 9110 §10.1.1: ignored on HTTP/1.0). */
    public boolean expectContinue() {
        return expectContinue;
    }

    /** An Upgrade field was present; only possible with {@link Http1FramerSettings#allowUpgrade()}. */
    public boolean upgradeRequested() {
        return upgradeRequested;
    }

    /** Bytes of the head on the wire, request line to the empty line included. */
    public int headLength() {
        return headLength;
    }

    // ---- for RequestHeadWriter ----

    byte[] bytes() {
        return bytes;
    }

    /** The offset of the CR that ends the request line. */
    int requestLineEnd() {
        return requestLineEnd;
    }

    @Override
    public String toString() {
        String h = host != null && host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return method + " " + target() + " " + version.text() + " host=" + h + (port < 0 ? "" : ":" + port)
                + " framing=" + framing + " keepAlive=" + keepAlive + " fields=" + fields.size();
    }
}
