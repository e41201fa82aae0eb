package io.clawgress.tproxy.peek;

import io.clawgress.api.Termination;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Request head bytes → method, host, port, target and version, or the termination code and reason. */
class HttpHeadParserTest {

    private static final int LIMIT = 8 * 1024;

    /** The lines joined with CRLF, and the empty line that ends a head. */
    static String head(String... lines) {
        return String.join("\r\n", lines) + "\r\n\r\n";
    }

    static Stream<Arguments> validHeads() {
        return Stream.of(
                arguments(head("GET / HTTP/1.1", "Host: example.com"), "GET", "example.com", -1, "/", "HTTP/1.1"),
                arguments(head("GET /v1/models?limit=1 HTTP/1.1", "Host: API.Example.COM:8080",
                        "User-Agent: curl/8.5.0", "Accept: */*"), "GET", "api.example.com", 8080,
                        "/v1/models?limit=1", "HTTP/1.1"),
                arguments(head("POST /submit HTTP/1.1", "host: \t example.com \t", "Content-Length: 0"), "POST",
                        "example.com", -1, "/submit", "HTTP/1.1"),
                arguments(head("GET / HTTP/1.1", "Host: [2001:DB8::1]:8443"), "GET", "2001:db8::1", 8443, "/",
                        "HTTP/1.1"),
                arguments(head("GET / HTTP/1.1", "Host: [::ffff:192.0.2.1]"), "GET", "::ffff:192.0.2.1", -1, "/",
                        "HTTP/1.1"),
                arguments(head("GET / HTTP/1.1", "Host: 192.0.2.1:80"), "GET", "192.0.2.1", 80, "/", "HTTP/1.1"),
                arguments(head("GET / HTTP/1.0"), "GET", null, -1, "/", "HTTP/1.0"),
                arguments(head("HEAD /x HTTP/1.0", "Host: example.com"), "HEAD", "example.com", -1, "/x",
                        "HTTP/1.0"),
                arguments(head("GET http://example.com:8080/x?y=1 HTTP/1.1", "Host: example.com:8080"), "GET",
                        "example.com", 8080, "http://example.com:8080/x?y=1", "HTTP/1.1"),
                arguments(head("GET HTTP://Example.COM HTTP/1.1", "Host: example.com:80"), "GET", "example.com",
                        -1, "HTTP://Example.COM", "HTTP/1.1"),
                arguments(head("GET http://example.com?q HTTP/1.1", "Host: example.com"), "GET", "example.com",
                        -1, "http://example.com?q", "HTTP/1.1"),
                arguments(head("GET http://example.com/ HTTP/1.0"), "GET", "example.com", -1,
                        "http://example.com/", "HTTP/1.0"),
                arguments(head("CONNECT example.com:443 HTTP/1.1", "Host: example.com:443"), "CONNECT",
                        "example.com", 443, "example.com:443", "HTTP/1.1"),
                arguments(head("CONNECT example.com:443 HTTP/1.1", "Host: example.com"), "CONNECT", "example.com",
                        443, "example.com:443", "HTTP/1.1"),
                arguments(head("CONNECT [2001:db8::1]:443 HTTP/1.1", "Host: [2001:db8::1]:443"), "CONNECT",
                        "2001:db8::1", 443, "[2001:db8::1]:443", "HTTP/1.1"),
                arguments(head("OPTIONS * HTTP/1.1", "Host: example.com"), "OPTIONS", "example.com", -1, "*",
                        "HTTP/1.1"),
                arguments(head("PROPFIND /dav HTTP/1.1", "Host: dav.example", "Depth: 1"), "PROPFIND",
                        "dav.example", -1, "/dav", "HTTP/1.1"),
                arguments(head("M-SEARCH / HTTP/1.1", "Host: example.com"),
                        "M-SEARCH", "example.com", -1, "/", "HTTP/1.1"),
                arguments(head("GET / HTTP/1.1", "X-Empty:", "X-Latin1: caf\u00e9", "Host: example.com"), "GET",
                        "example.com", -1, "/", "HTTP/1.1"),
                arguments(head("GET /%7Euser/a;b?c=d&e HTTP/1.1", "Host: xn--bcher-kva.example:00080"), "GET",
                        "xn--bcher-kva.example", 80, "/%7Euser/a;b?c=d&e", "HTTP/1.1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validHeads")
    void parsesValidHeads(String head, String method, String host, int port, String target, String version) {
        assertThat(parse(head + "body bytes", LIMIT))
                .isEqualTo(new PeekResult.Http(method, host, port, target, version, bytes(head).length));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validHeads")
    void everyPrefixOfAValidHeadNeedsMore(String head, String method, String host, int port, String target,
                                          String version) {
        byte[] bytes = bytes(head);
        ByteBuf all = Unpooled.directBuffer(bytes.length, bytes.length).writeBytes(bytes);
        try {
            for (int n = 0; n < bytes.length; n++) {
                // a slice's capacity is its length: reading past the n received bytes would throw
                assertThat(HttpHeadParser.parse(all.slice(0, n), LIMIT)).as("prefix of %d bytes", n)
                        .isEqualTo(PeekResult.NeedMore.INSTANCE);
            }
            assertThat(HttpHeadParser.parse(all, LIMIT)).isInstanceOf(PeekResult.Http.class);
            assertThat(all.readerIndex()).isZero();
            assertThat(all.writerIndex()).isEqualTo(bytes.length);
        } finally {
            all.release();
        }
    }

    static Stream<Arguments> malformedHeads() {
        return Stream.of(
                // line endings, RFC 9112 §2.2
                arguments("GET / HTTP/1.1\nHost: example.com\r\n\r\n", "bare LF at offset 14 (expected: CRLF, "
                        + "RFC 9112 §2.2)"),
                arguments("GET / HTTP/1.1\r\nHost: example.com\nX: y\r\n\r\n", "bare LF at offset 33"),
                arguments("GET / HTTP/1.1\r\nHost: example.com\r\n\n", "bare LF at offset 35"),
                arguments("GET / HTTP/1.1\r\nHost: exa\rmple.com\r\n\r\n", "bare CR at offset 25 (RFC 9112 §2.2)"),
                arguments("\r\nGET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "empty line before the request-line"),
                // field lines, RFC 9112 §5
                arguments(head("GET / HTTP/1.1", "Host: example.com", "X-A: a", " b"), "obs-fold: a field line "
                        + "starts with whitespace (RFC 9112 §5.2)"),
                arguments(head("GET / HTTP/1.1", "Host: example.com", "X-A: a", "\tb"), "obs-fold"),
                arguments(head("GET / HTTP/1.1", " Host: example.com"), "whitespace between the request-line and "
                        + "the first field line (RFC 9112 §2.2)"),
                arguments(head("GET / HTTP/1.1", "Host : example.com"), "whitespace between a field name and the "
                        + "colon (RFC 9112 §5.1: a server MUST reject)"),
                arguments(head("GET / HTTP/1.1", "Host\t: example.com"), "whitespace between a field name"),
                arguments(head("GET / HTTP/1.1", "Host: example.com", "X(A): b"), "field name contains '(' "
                        + "(expected: token, RFC 9110 §5.1)"),
                arguments(head("GET / HTTP/1.1", "Host: example.com", "X-NoColon"), "field line without a colon"),
                arguments(head("GET / HTTP/1.1", "Host: example.com", ": v"), "field line with an empty name"),
                arguments(head("GET / HTTP/1.1", "Host: example.com", "X: a\u0000b"), "NUL in a field value "
                        + "(RFC 9110 §5.5)"),
                arguments(head("GET / HTTP/1.1", "Host: example.com", "X: a\u0001b"), "control character 0x01 in "
                        + "a field value"),
                arguments(head("GET / HTTP/1.1", "Host: example.com", "X: a\u007fb"), "control character 0x7f"),
                // Host, RFC 9112 §3.2
                arguments(head("GET / HTTP/1.1", "Host: example.com", "host: example.com"), "more than one Host "
                        + "field (RFC 9112 §3.2: a server MUST respond 400)"),
                arguments(head("GET / HTTP/1.1", "Accept: */*"), "HTTP/1.1 request without a Host field"),
                arguments(head("GET http://example.com/ HTTP/1.1"), "HTTP/1.1 request without a Host field"),
                arguments(head("GET / HTTP/1.1", "Host:"), "Host field \"\" is empty"),
                arguments(head("GET / HTTP/1.1", "Host: user@example.com"), "Host field \"user@example.com\" has "
                        + "userinfo (RFC 9110 §4.2.4) (expected: uri-host[:port], RFC 9112 §3.2, RFC 9110 §7.2)"),
                arguments(head("GET / HTTP/1.1", "Host: exa mple.com"), "host contains the byte 0x20"),
                arguments(head("GET / HTTP/1.1", "Host: example.com:99999"), "has port 99999 (expected: 1..65535)"),
                arguments(head("GET / HTTP/1.1", "Host: example.com:0"), "has port 0"),
                arguments(head("GET / HTTP/1.1", "Host: example.com:"), "has a port of 0 digits"),
                arguments(head("GET / HTTP/1.1", "Host: example.com:80:80"), "has a port containing ':'"),
                arguments(head("GET / HTTP/1.1", "Host: example.com:8o"), "has a port containing 'o'"),
                arguments(head("GET / HTTP/1.1", "Host: b\u00fccher.example"), "host contains the non-ASCII byte "
                        + "0xfc"),
                arguments(head("GET / HTTP/1.1", "Host: [fe80::1%25eth0]"), "has an invalid IPv6 literal"),
                arguments(head("GET / HTTP/1.1", "Host: [v1.fe]"), "has an invalid IPv6 literal"),
                arguments(head("GET / HTTP/1.1", "Host: [::1"), "has an unclosed '['"),
                arguments(head("GET / HTTP/1.1", "Host: [::1]x"), "has 'x' after the IPv6 literal"),
                arguments(head("GET / HTTP/1.1", "Host: example.com."), "host has a trailing dot"),
                arguments(head("GET / HTTP/1.1", "Host: 1.2.3"), "host has a numeric rightmost label"),
                arguments(head("GET / HTTP/1.1", "Host: 01.2.3.4"), "host has a numeric rightmost label"),
                arguments(head("GET / HTTP/1.1", "Host: under_score.example"), "host contains '_'"),
                arguments(head("GET / HTTP/1.1", "Host: exa%6dple.com"), "host contains '%'"),
                // absolute-form and CONNECT: the target names the host, RFC 9112 §3.2.2, §3.2.3
                arguments(head("GET http://allowed.example/ HTTP/1.1", "Host: evil.example"), "Host field "
                        + "\"evil.example\" names another host than the request-target \"allowed.example\" (RFC 9112 "
                        + "§3.2.2 ignores the Host field here; a mismatch is a request-smuggling signal)"),
                arguments(head("GET http://a.example:8080/ HTTP/1.1", "Host: a.example"), "names another host"),
                arguments(head("GET http://a.example/ HTTP/1.1", "Host: a.example:8080"), "names another host"),
                arguments(head("GET http://allowed.example@evil.example/ HTTP/1.1", "Host: evil.example"),
                        "authority has userinfo (RFC 9110 §4.2.4)"),
                arguments(head("GET http:///x HTTP/1.1", "Host: example.com"), "authority is empty"),
                arguments(head("GET https://example.com/ HTTP/1.1", "Host: example.com"), "request-target "
                        + "\"https://example.com/\" is neither origin-form (\"/...\") nor absolute-form"),
                arguments(head("GET example.com:443 HTTP/1.1", "Host: example.com"), "is neither origin-form"),
                arguments(head("CONNECT example.com HTTP/1.1", "Host: example.com"), "CONNECT request-target "
                        + "\"example.com\" has no port (expected: authority-form host:port, RFC 9112 §3.2.3)"),
                arguments(head("CONNECT / HTTP/1.1", "Host: example.com"), "CONNECT request-target \"/\" host "
                        + "contains '/'"),
                arguments(head("CONNECT a.example:443 HTTP/1.1", "Host: b.example:443"), "names another host"),
                arguments(head("CONNECT a.example:443 HTTP/1.1", "Host: a.example:8443"), "names another host"),
                arguments(head("GET * HTTP/1.1", "Host: example.com"), "asterisk-form request-target with a "
                        + "method other than OPTIONS (RFC 9112 §3.2.4)"),
                // request-line, RFC 9112 §3
                arguments("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP/2 connection preface (RFC 9113 §3.4)"),
                arguments(head("GET / HTTP/2.0", "Host: example.com"), "HTTP-version \"HTTP/2.0\" is not supported "
                        + "(expected: HTTP/1.0 or HTTP/1.1, RFC 9112 §2.3)"),
                arguments(head("GET / HTTP/1.2", "Host: example.com"), "HTTP-version \"HTTP/1.2\" is not"),
                arguments(head("GET / http/1.1", "Host: example.com"), "invalid HTTP-version \"http/1.1\""),
                arguments(head("GET  / HTTP/1.1", "Host: example.com"), "request-line has two SPs in a row"),
                arguments(head("GET / HTTP/1.1 ", "Host: example.com"), "request-line has more than two SPs"),
                arguments(head("GET /a b HTTP/1.1", "Host: example.com"), "request-line has more than two SPs"),
                arguments(head("GET /", "Host: example.com"), "request-line without HTTP-version"),
                arguments(head(" GET / HTTP/1.1", "Host: example.com"), "request-line starts with SP"),
                arguments(head("GE(T / HTTP/1.1", "Host: example.com"), "method contains '('"),
                arguments(head("A".repeat(21) + " / HTTP/1.1", "Host: example.com"), "method of 21 bytes "
                        + "(limit: 20)"),
                arguments(head("HELLO"), "request-line without SP"),
                arguments(head("GET /a#b HTTP/1.1", "Host: example.com"), "request-target contains a fragment"),
                arguments(head("GET /\u00e4 HTTP/1.1", "Host: example.com"), "request-target contains the byte "
                        + "0xe4"),
                arguments(head("GET /\u0001 HTTP/1.1", "Host: example.com"), "request-target contains the byte "
                        + "0x01"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedHeads")
    void refusesMalformedHeads(String head, String reason) {
        PeekResult result = parse(head, LIMIT);
        assertThat(result).isInstanceOf(PeekResult.Malformed.class);
        assertThat(((PeekResult.Malformed) result).termination()).isEqualTo(Termination.HTTP_MALFORMED);
        assertThat(((PeekResult.Malformed) result).reason()).contains(reason);
    }

    @Test
    void aBadRequestLineFailsBeforeTheHeadEnds() {
        // an SSH banner with a comment would read as a method and a target; its first line decides
        assertThat(parse("SSH-2.0-OpenSSH_9.9 FreeBSD-20250219\r\n", LIMIT))
                .isEqualTo(malformed("request-line without HTTP-version (expected: method SP request-target SP "
                        + "HTTP-version, RFC 9112 §3; HTTP/0.9 is not supported)"));
        assertThat(parse("SET key value\r\n", LIMIT)).isInstanceOf(PeekResult.Malformed.class);
        assertThat(parse("GET / HTTP/1.1\r\nHost: example.com\r\nX-A: a\r\n b\r\n", LIMIT))
                .isEqualTo(malformed("obs-fold: a field line starts with whitespace (RFC 9112 §5.2)"));
    }

    @Test
    void aHeadOfExactlyTheLimitIsAcceptedAndOneByteMoreIsTooLarge() {
        String head = head("GET / HTTP/1.1", "Host: example.com", "X-Pad: " + "p".repeat(100));
        int length = bytes(head).length;
        assertThat(parse(head, length)).isInstanceOf(PeekResult.Http.class);
        assertThat(parse(head, length - 1)).isEqualTo(new PeekResult.Malformed(Termination.HTTP_HEAD_TOO_LARGE,
                "no end of the request head (an empty line, RFC 9112 §2.1) within the first " + (length - 1)
                        + " bytes (limit: " + (length - 1) + ")"));
        // fewer bytes than the limit: wait for more
        assertThat(parse(head.substring(0, length - 1), length)).isEqualTo(PeekResult.NeedMore.INSTANCE);
        // the limit reached without an end: too large at once, without waiting for the rest
        assertThat(parse(head.substring(0, 50), 50)).isInstanceOf(PeekResult.Malformed.class)
                .extracting(r -> ((PeekResult.Malformed) r).termination())
                .isEqualTo(Termination.HTTP_HEAD_TOO_LARGE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedHeads")
    void aTrickleReachesTheSameVerdictNoLater(String head, String reason) {
        byte[] bytes = bytes(head);
        ByteBuf all = Unpooled.directBuffer(bytes.length, bytes.length).writeBytes(bytes);
        try {
            PeekResult first = PeekResult.NeedMore.INSTANCE;
            for (int n = 0; n <= bytes.length && first instanceof PeekResult.NeedMore; n++) {
                first = HttpHeadParser.parse(all.slice(0, n), LIMIT);
            }
            assertThat(first).isEqualTo(HttpHeadParser.parse(all, LIMIT));
        } finally {
            all.release();
        }
    }

    @Test
    void mutatedAndTruncatedHeadsAreAnsweredNeverThrown() {
        String[] seeds = {head("GET /v1/models?limit=1 HTTP/1.1", "Host: api.example.com:8080", "Accept: */*"),
                head("CONNECT [2001:db8::1]:443 HTTP/1.1", "Host: [2001:db8::1]:443"),
                head("GET http://example.com/x HTTP/1.1", "Host: example.com", "X: y"),
                head("OPTIONS * HTTP/1.0")};
        byte[] interesting = bytes(" \t\r\n:/@[].#%*?\u0000\u007f\u00ff0aZ");
        Random random = new Random(9112);
        ByteBuf buf = Unpooled.directBuffer(256);
        try {
            for (int i = 0; i < 20_000; i++) {
                byte[] bytes = bytes(seeds[i % seeds.length]);
                for (int m = random.nextInt(3); m >= 0; m--) {
                    bytes[random.nextInt(bytes.length)] = interesting[random.nextInt(interesting.length)];
                }
                int length = random.nextInt(4) == 0 ? random.nextInt(bytes.length + 1) : bytes.length;
                buf.clear().writeBytes(bytes, 0, length);
                PeekResult result = HttpHeadParser.parse(buf.slice(0, length), LIMIT);
                assertThat(result).as("mutation %d", i).isNotNull();
                if (result instanceof PeekResult.Http http) {
                    assertThat(http.headBytes()).isLessThanOrEqualTo(length);
                    assertThat(http.version()).isIn("HTTP/1.0", "HTTP/1.1");
                    if (http.host() != null) {
                        assertThat(http.host()).matches("[a-z0-9.-]{1,253}|[0-9a-f:.]{2,45}");
                    }
                }
            }
        } finally {
            buf.release();
        }
    }

    static Stream<Arguments> firstBytes() {
        return Stream.of(
                arguments("", null),
                arguments("G", null),
                arguments("GE", null),
                arguments("GET", null),
                arguments("GET ", true),
                arguments("GET / HTTP/1.1", true),
                arguments("PROPFIND ", true),
                arguments("M-SEARCH * HTTP/1.1", true),
                arguments("get / HTTP/1.1", true),  // a token; parse() and the origin decide what it means
                arguments("PRI * HTTP/2.0", true),  // parse() refuses the HTTP/2 preface with a clear reason
                arguments("SET key value", true),   // text protocols that start token SP read as HTTP
                arguments("A".repeat(20), null),
                arguments("A".repeat(20) + " ", true),
                arguments("A".repeat(21), false),
                arguments("\u0016\u0003\u0001\u0002\u0000", false), // TLS handshake record
                arguments(" GET", false),
                arguments("GET\t/", false),
                arguments("GET\r\n", false),
                arguments("GET/", false),
                arguments("PING\r\n", false),
                arguments("*1\r\n$4\r\nPING\r\n", false), // Redis RESP
                arguments("\u0000\u0000\u0000\u0008\u0004\u00d2\u0016\u002f", false), // PostgreSQL SSLRequest
                arguments("S", null),
                arguments("SSH", null),
                arguments("SSH-", false),
                arguments("SSH-2.0-OpenSSH_9.9 FreeBSD-20250219", false), // RFC 4253 §4.2 identification
                arguments("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13", false),
                arguments("SSH-2.0-Go\r\n", false),
                arguments("SSH ", true));
    }

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @MethodSource("firstBytes")
    void tellsWhetherBytesCanStartAnHttpRequest(String first, Boolean expected) {
        byte[] bytes = bytes(first);
        ByteBuf buf = Unpooled.directBuffer(bytes.length + 2, bytes.length + 2).writeByte('x').writeBytes(bytes);
        try {
            buf.readerIndex(1);
            assertThat(HttpHeadParser.looksLikeHttp(buf)).isEqualTo(expected);
            assertThat(buf.readerIndex()).isEqualTo(1);
        } finally {
            buf.release();
        }
    }

    private static PeekResult malformed(String reason) {
        return new PeekResult.Malformed(Termination.HTTP_MALFORMED, reason);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Parses from a direct buffer whose readerIndex is not 0; checks the parser left the indices alone. */
    private static PeekResult parse(String text, int maxBytes) {
        byte[] bytes = bytes(text);
        ByteBuf buf = Unpooled.directBuffer(bytes.length + 2, bytes.length + 2);
        try {
            buf.writeBytes(new byte[2]).writeBytes(bytes).readerIndex(2);
            PeekResult result = HttpHeadParser.parse(buf, maxBytes);
            assertThat(buf.readerIndex()).isEqualTo(2);
            assertThat(buf.writerIndex()).isEqualTo(bytes.length + 2);
            return result;
        } finally {
            buf.release();
        }
    }
}
