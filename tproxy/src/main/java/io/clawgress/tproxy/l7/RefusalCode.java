package io.clawgress.tproxy.l7;

/**
 * The stable codes of {@link Refusal}s, with the status a request refusal answers (a response refusal is always
 * 502). The same codes appear in audit records and metrics; {@code docs/http-gate.md} explains each one.
 */
public final class RefusalCode {

    // ---- line syntax, head and trailer sections (RFC 9112 §2.2, §5; RFC 9110 §5) ----
    /** LF not preceded by CR in a head, trailer section or chunk framing (RFC 9112 §2.2). */
    public static final String BARE_LF = "bare_lf";
    /** CR not followed by LF (RFC 9112 §2.2). */
    public static final String BARE_CR = "bare_cr";
    /** A field line starting with SP or HTAB: obs-fold, or whitespace after the start line (RFC 9112 §5.2, §2.2). */
    public static final String OBS_FOLD = "obs_fold";
    /** Whitespace between a field name and the colon (RFC 9112 §5.1: MUST reject). */
    public static final String WHITESPACE_BEFORE_COLON = "whitespace_before_colon";
    /** A field name that is empty or not a token, or a field line without a colon (RFC 9110 §5.1). */
    public static final String INVALID_FIELD_NAME = "invalid_field_name";
    /** NUL or another control character in a field value (RFC 9110 §5.5). */
    public static final String INVALID_FIELD_VALUE = "invalid_field_value";
    /** The head is larger than {@link Http1FramerSettings#maxHeadBytes()} (431). */
    public static final String HEAD_TOO_LARGE = "head_too_large";
    /** More field lines than {@link Http1FramerSettings#maxFields()} (431). */
    public static final String TOO_MANY_FIELDS = "too_many_fields";

    // ---- request line (RFC 9112 §3) ----
    /** Method not 1..20 tchars (RFC 9110 §9.1). */
    public static final String INVALID_METHOD = "invalid_method";
    /** Not method SP request-target SP HTTP-version, single SPs; or an empty line before it. */
    public static final String INVALID_REQUEST_LINE = "invalid_request_line";
    /** Request-target with bytes outside visible ASCII, a '#', or a form the method does not allow (§3.2). */
    public static final String INVALID_REQUEST_TARGET = "invalid_request_target";
    /** HTTP-version not of the form {@code HTTP/DIGIT.DIGIT} (RFC 9112 §2.3). */
    public static final String INVALID_VERSION = "invalid_version";
    /** A well-formed HTTP-version other than 1.0 and 1.1, or the HTTP/2 preface (505). */
    public static final String HTTP_VERSION_NOT_SUPPORTED = "http_version_not_supported";
    /** CONNECT: the gate does not tunnel (501). */
    public static final String CONNECT_NOT_SUPPORTED = "connect_not_supported";
    /** An Upgrade field (WebSocket, h2c, ...): the gate never switches protocols (501). */
    public static final String UPGRADE_NOT_SUPPORTED = "upgrade_not_supported";

    // ---- Host (RFC 9112 §3.2, RFC 9110 §7.2) ----
    /** HTTP/1.1 request without Host. */
    public static final String MISSING_HOST = "missing_host";
    /** More than one Host field. */
    public static final String DUPLICATE_HOST = "duplicate_host";
    /** Host not uri-host[:port]. */
    public static final String INVALID_HOST = "invalid_host";
    /** Absolute-form target whose authority differs from Host. */
    public static final String HOST_MISMATCH = "host_mismatch";

    // ---- message body length (RFC 9112 §6) ----
    /** Both Transfer-Encoding and Content-Length (RFC 9112 §6.3 item 3; refused, not resolved). */
    public static final String TE_CL_CONFLICT = "te_cl_conflict";
    /** More than one Transfer-Encoding field line. */
    public static final String DUPLICATE_TRANSFER_ENCODING = "duplicate_transfer_encoding";
    /** Transfer-Encoding that is not a plain list of tokens: quoted, parameters, empty elements, non-ASCII. */
    public static final String INVALID_TRANSFER_ENCODING = "invalid_transfer_encoding";
    /** Transfer-Encoding whose final coding is not chunked, or chunked applied twice (RFC 9112 §6.3 item 4). */
    public static final String CHUNKED_NOT_FINAL = "chunked_not_final";
    /** Transfer-Encoding with a well-formed coding before chunked, e.g. {@code gzip, chunked} (501). */
    public static final String UNSUPPORTED_TRANSFER_CODING = "unsupported_transfer_coding";
    /** Transfer-Encoding in an HTTP/1.0 message (RFC 9112 §6.1: faulty framing). */
    public static final String TRANSFER_ENCODING_HTTP10 = "transfer_encoding_http10";
    /** Content-Length not 1*DIGIT without leading zeros, or larger than a signed 64-bit number. */
    public static final String INVALID_CONTENT_LENGTH = "invalid_content_length";
    /** More than one Content-Length field line, even with equal values. */
    public static final String DUPLICATE_CONTENT_LENGTH = "duplicate_content_length";

    // ---- chunked coding (RFC 9112 §7.1) ----
    /** chunk-size empty or not hex digits (no "0x", no sign, no whitespace). */
    public static final String INVALID_CHUNK_SIZE = "invalid_chunk_size";
    /** chunk-size of more than 16 hex digits or above 2^63-1. */
    public static final String CHUNK_SIZE_OVERFLOW = "chunk_size_overflow";
    /** chunk-ext not {@code ;name[=token|quoted-string]}. */
    public static final String INVALID_CHUNK_EXTENSION = "invalid_chunk_extension";
    /** chunk-ext longer than {@link Http1FramerSettings#maxChunkExtensionBytes()}. */
    public static final String CHUNK_EXTENSION_TOO_LONG = "chunk_extension_too_long";
    /** chunk-data not followed by CRLF. */
    public static final String MISSING_CHUNK_CRLF = "missing_chunk_crlf";
    /** Trailer section larger than its byte or field limit. */
    public static final String TRAILER_TOO_LARGE = "trailer_too_large";
    /** Content-Length, Transfer-Encoding or Host in a trailer section (RFC 9110 §6.5.1). */
    public static final String FORBIDDEN_TRAILER_FIELD = "forbidden_trailer_field";

    // ---- connection ----
    /** Bytes after a request that closed the connection (Connection: close, HTTP/1.0 without keep-alive). */
    public static final String REQUEST_AFTER_CLOSE = "request_after_close";
    /** The agent closed in the middle of a request. */
    public static final String TRUNCATED_REQUEST = "truncated_request";

    // ---- responses only (all 502) ----
    /** Not HTTP-version SP 3DIGIT [SP reason-phrase] (RFC 9112 §4). */
    public static final String INVALID_STATUS_LINE = "invalid_status_line";
    /** Status code outside 100..599 (RFC 9110 §15). */
    public static final String INVALID_STATUS_CODE = "invalid_status_code";
    /** 101 Switching Protocols: the gate never forwards Upgrade. */
    public static final String SWITCHING_PROTOCOLS_REFUSED = "switching_protocols_refused";
    /** Response bytes when no request is waiting for one. */
    public static final String UNSOLICITED_RESPONSE = "unsolicited_response";
    /** Bytes after a response that closed the connection. */
    public static final String RESPONSE_AFTER_CLOSE = "response_after_close";
    /** The upstream closed in the middle of a response, or before answering a request. */
    public static final String TRUNCATED_RESPONSE = "truncated_response";

    private RefusalCode() {
    }

    /** The status a request refused with {@code code} is answered with. */
    static int requestStatus(String code) {
        return switch (code) {
            case HEAD_TOO_LARGE, TOO_MANY_FIELDS -> 431;
            case HTTP_VERSION_NOT_SUPPORTED -> 505;
            case CONNECT_NOT_SUPPORTED, UPGRADE_NOT_SUPPORTED, UNSUPPORTED_TRANSFER_CODING -> 501;
            default -> 400;
        };
    }
}
