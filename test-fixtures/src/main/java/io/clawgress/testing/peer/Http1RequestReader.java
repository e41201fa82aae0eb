package io.clawgress.testing.peer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Reads HTTP/1.1 requests off one connection, one after the other, framed exactly as RFC 9112 says and no more
 * cleverly: whatever bytes follow a request's body are the next request. So every request a client (or a gateway in
 * between) gets through is seen as a request of its own. Lines end in CRLF only; anything RFC 9112 lets a recipient
 * reject is rejected, as a {@link Malformed} with the status to answer.
 */
final class Http1RequestReader {

    static final int MAX_HEAD_BYTES = 64 * 1024;
    static final long MAX_BODY_BYTES = 1L << 30;
    private static final int MAX_CHUNK_LINE = 8 * 1024;
    private static final Pattern VERSION = Pattern.compile("HTTP/[0-9]\\.[0-9]");

    /**
     * Input that cannot be framed or is invalid where RFC 9112 says to reject it. {@code status} is the answer: 400,
     * 408 (timeout inside a request), 501 (unknown transfer coding) or 505 (HTTP version).
     */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;
        private final int status;

        Malformed(int status, String reason) {
            super(reason, null, false, false);
            this.status = status;
        }

        int status() {
            return status;
        }

        String reason() {
            return getMessage();
        }
    }

    /** One field line; {@code name} lower-cased, {@code value} without the surrounding whitespace. */
    record Field(String name, String value) {
        Field {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }
    }

    /** A request line and its fields, in the order received. */
    record Head(String method, String target, String version, List<Field> fields) {
        Head {
            fields = List.copyOf(fields);
        }

        /** Lower-case name to every value, in the order received. */
        Map<String, List<String>> headers() {
            return group(fields);
        }

        List<String> values(String name) {
            return fields.stream().filter(f -> f.name().equals(name)).map(Field::value).toList();
        }

        /** Whether a comma-separated list field has {@code token} as a member (case-insensitive, RFC 9110 §5.6.1). */
        boolean hasMember(String name, String token) {
            return members(values(name)).stream().anyMatch(token::equalsIgnoreCase);
        }

        boolean http11() {
            return "HTTP/1.1".equals(version);
        }
    }

    /** How the body of a request is delimited (RFC 9112 §6.3). */
    sealed interface Framing {
        String name();
    }

    /** No body. */
    record NoBody() implements Framing {
        @Override
        public String name() {
            return "none";
        }
    }

    record ContentLength(long bytes) implements Framing {
        ContentLength {
            if (bytes < 0 || bytes > MAX_BODY_BYTES) {
                throw new IllegalArgumentException("bytes: " + bytes + " (expected: 0.." + MAX_BODY_BYTES + ")");
            }
        }

        @Override
        public String name() {
            return "content-length";
        }
    }

    /** {@code contentLengthIgnored}: a Content-Length came too; the connection must close after (RFC 9112 §6.3). */
    record Chunked(boolean contentLengthIgnored) implements Framing {
        @Override
        public String name() {
            return "chunked";
        }
    }

    /** A body as received (chunked decoded); {@code trailers} like {@link Head#headers()}. */
    record Body(long bytes, String sha256, Map<String, List<String>> trailers) {
    }

    private final InputStream in;
    /** What is being read, for the reason of a timeout or an EOF. */
    private String reading = "request head";

    /** {@code in} should be buffered: heads are read byte by byte. */
    Http1RequestReader(InputStream in) {
        this.in = in;
    }

    /**
     * The next request head, or null on EOF before its first byte (a clean end between requests). Empty lines before
     * the request line are skipped (RFC 9112 §2.2).
     */
    Head readHead() throws IOException, Malformed {
        reading = "request head";
        int budget = MAX_HEAD_BYTES;
        String requestLine;
        do {
            requestLine = readLine(budget, true);
            if (requestLine == null) {
                return null;
            }
            budget -= requestLine.length() + 2;
        } while (requestLine.isEmpty());
        Head line = requestLine(requestLine);
        List<Field> fields = new ArrayList<>();
        while (true) {
            String s = readLine(budget, false);
            budget -= s.length() + 2;
            if (s.isEmpty()) {
                break;
            }
            if (fields.isEmpty() && (s.charAt(0) == ' ' || s.charAt(0) == '\t')) {
                throw new Malformed(400, "whitespace between the request line and the first field (RFC 9112 §2.2)");
            }
            fields.add(field(s));
        }
        Head head = new Head(line.method(), line.target(), line.version(), fields);
        // RFC 9112 §3.2: an HTTP/1.1 request without Host, or any request with several, gets a 400.
        int hosts = head.values("host").size();
        if (hosts > 1 || (hosts == 0 && head.http11())) {
            throw new Malformed(400, hosts + " Host fields (RFC 9112 §3.2: expected exactly one)");
        }
        return head;
    }

    /** The framing of {@code head}'s body (RFC 9112 §6.3), or why it cannot be determined. */
    static Framing framing(Head head) throws Malformed {
        List<String> te = head.values("transfer-encoding");
        List<String> cl = head.values("content-length");
        if (!te.isEmpty()) {
            if (!head.http11()) {
                throw new Malformed(400, "Transfer-Encoding in an " + head.version()
                        + " request (RFC 9112 §6.1: faulty framing)");
            }
            List<String> codings = members(te).stream().map(c -> c.toLowerCase(Locale.ROOT)).toList();
            if (codings.isEmpty() || !"chunked".equals(codings.get(codings.size() - 1))) {
                throw new Malformed(400, "Transfer-Encoding " + String.join(", ", te)
                        + ": chunked is not the final coding (RFC 9112 §6.3)");
            }
            if (codings.indexOf("chunked") != codings.size() - 1) {
                throw new Malformed(400, "Transfer-Encoding " + String.join(", ", te)
                        + ": chunked more than once (RFC 9112 §7)");
            }
            if (codings.size() > 1) {
                throw new Malformed(501, "Transfer-Encoding " + String.join(", ", te)
                        + ": only chunked is implemented (RFC 9112 §6.1)");
            }
            // RFC 9112 §6.3 item 3: Transfer-Encoding overrides Content-Length.
            return new Chunked(!cl.isEmpty());
        }
        if (cl.isEmpty()) {
            return new NoBody();
        }
        // RFC 9110 §8.6: identical values may stand for one; anything else is unrecoverable (RFC 9112 §6.3).
        List<String> values = members(cl);
        long length = -1;
        for (String v : values) {
            if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new Malformed(400, "Content-Length " + v + " (RFC 9110 §8.6: expected 1*DIGIT)");
            }
            long n = Long.parseLong(v);
            if (length >= 0 && n != length) {
                throw new Malformed(400, "Content-Length " + String.join(", ", cl)
                        + ": conflicting values (RFC 9112 §6.3)");
            }
            length = n;
        }
        if (length < 0) {
            throw new Malformed(400, "empty Content-Length (RFC 9110 §8.6)");
        }
        if (length > MAX_BODY_BYTES) {
            throw new Malformed(400, "Content-Length " + length + " over the limit of " + MAX_BODY_BYTES);
        }
        return new ContentLength(length);
    }

    /** Reads the whole body, hashing it; the stream is then at the next request. */
    Body readBody(Framing framing) throws IOException, Malformed {
        MessageDigest digest = Outcome.sha256();
        return switch (framing) {
            case NoBody n -> new Body(0, Outcome.hex(digest), Map.of());
            case ContentLength cl -> {
                reading = "body (Content-Length " + cl.bytes() + ")";
                copy(cl.bytes(), digest);
                yield new Body(cl.bytes(), Outcome.hex(digest), Map.of());
            }
            case Chunked c -> readChunked(digest);
        };
    }

    /** RFC 9112 §7.1: chunks, a last chunk, trailer fields, CRLF. */
    private Body readChunked(MessageDigest digest) throws IOException, Malformed {
        long total = 0;
        while (true) {
            reading = "chunk size line";
            String line = readLine(MAX_CHUNK_LINE, false);
            long size = chunkSize(line);
            if (size == 0) {
                break;
            }
            if (total + size > MAX_BODY_BYTES) {
                throw new Malformed(400, "chunked body over the limit of " + MAX_BODY_BYTES + " bytes");
            }
            reading = "chunk data";
            copy(size, digest);
            total += size;
            int cr = read();
            int lf = cr == '\r' ? read() : -1;
            if (cr != '\r' || lf != '\n') {
                throw new Malformed(400, "chunk data of " + size + " bytes not followed by CRLF (RFC 9112 §7.1)");
            }
        }
        reading = "trailer section";
        List<Field> trailers = new ArrayList<>();
        int budget = MAX_HEAD_BYTES;
        while (true) {
            String s = readLine(budget, false);
            budget -= s.length() + 2;
            if (s.isEmpty()) {
                return new Body(total, Outcome.hex(digest), group(trailers));
            }
            trailers.add(field(s));
        }
    }

    /** {@code chunk-size [ chunk-ext ]} (RFC 9112 §7.1, §7.1.1); returns the size. */
    private static long chunkSize(String line) throws Malformed {
        int i = 0;
        long size = 0;
        while (i < line.length() && Character.digit(line.charAt(i), 16) >= 0 && line.charAt(i) < 0x80) {
            size = size * 16 + Character.digit(line.charAt(i), 16);
            if (size > MAX_BODY_BYTES) {
                throw new Malformed(400, "chunk size " + line + " over the limit of " + MAX_BODY_BYTES + " bytes");
            }
            i++;
        }
        if (i == 0) {
            throw new Malformed(400, "chunk size line '" + line + "' (RFC 9112 §7.1: expected 1*HEXDIG)");
        }
        if (!validChunkExtensions(line, i)) {
            throw new Malformed(400, "chunk extension in '" + line + "' (RFC 9112 §7.1.1)");
        }
        return size;
    }

    /** {@code *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )} from {@code i} to the end. */
    private static boolean validChunkExtensions(String s, int i) {
        int n = s.length();
        while (true) {
            i = skipWhitespace(s, i);
            if (i == n) {
                return true;
            }
            if (s.charAt(i) != ';') {
                return false;
            }
            i = skipWhitespace(s, i + 1);
            int name = i;
            while (i < n && isTokenChar(s.charAt(i))) {
                i++;
            }
            if (i == name) {
                return false;
            }
            int afterName = skipWhitespace(s, i);
            if (afterName < n && s.charAt(afterName) == '=') {
                i = skipWhitespace(s, afterName + 1);
                if (i < n && s.charAt(i) == '"') {
                    i = endOfQuotedString(s, i);
                    if (i < 0) {
                        return false;
                    }
                } else {
                    int value = i;
                    while (i < n && isTokenChar(s.charAt(i))) {
                        i++;
                    }
                    if (i == value) {
                        return false;
                    }
                }
            }
        }
    }

    /** The index after the quoted-string starting at {@code i} (RFC 9110 §5.6.4), or -1. */
    private static int endOfQuotedString(String s, int i) {
        for (i++; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                return i + 1;
            }
            if (c == '\\') {
                i++;
                if (i == s.length() || !isFieldValueChar(s.charAt(i))) {
                    return -1;
                }
            } else if (!isFieldValueChar(c)) {
                return -1;
            }
        }
        return -1;
    }

    private static int skipWhitespace(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
            i++;
        }
        return i;
    }

    /** {@code method SP request-target SP HTTP-version} (RFC 9112 §3), as a head without fields. */
    private static Head requestLine(String line) throws Malformed {
        int first = line.indexOf(' ');
        int last = line.lastIndexOf(' ');
        if (first <= 0 || last == first || line.indexOf(' ', first + 1) != last) {
            throw new Malformed(400, "request line '" + line
                    + "' (RFC 9112 §3: expected METHOD SP TARGET SP VERSION)");
        }
        String method = line.substring(0, first);
        String target = line.substring(first + 1, last);
        String version = line.substring(last + 1);
        if (!method.chars().allMatch(c -> isTokenChar((char) c))) {
            throw new Malformed(400, "method '" + method + "' (RFC 9110 §9.1: expected a token)");
        }
        if (target.isEmpty() || !target.chars().allMatch(c -> c > 0x20 && c != 0x7f)) {
            throw new Malformed(400, "request target '" + target + "' (RFC 9112 §3.2: no whitespace or controls)");
        }
        if (!VERSION.matcher(version).matches()) {
            throw new Malformed(400, "HTTP version '" + version + "' (RFC 9112 §2.3: expected HTTP/DIGIT.DIGIT)");
        }
        if (version.charAt(5) != '1') {
            throw new Malformed(505, "HTTP version " + version + " (only HTTP/1.x is spoken here)");
        }
        return new Head(method, target, version, List.of());
    }

    /** {@code field-name ":" OWS field-value OWS} (RFC 9112 §5). */
    private static Field field(String line) throws Malformed {
        if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
            throw new Malformed(400, "obs-fold line '" + line + "' (RFC 9112 §5.2)");
        }
        int colon = line.indexOf(':');
        if (colon <= 0) {
            throw new Malformed(400, "field line '" + line + "' without a name and colon (RFC 9112 §5)");
        }
        String name = line.substring(0, colon);
        char beforeColon = name.charAt(name.length() - 1);
        if (beforeColon == ' ' || beforeColon == '\t') {
            throw new Malformed(400, "whitespace between field name '" + name.strip()
                    + "' and colon (RFC 9112 §5.1)");
        }
        if (!name.chars().allMatch(c -> isTokenChar((char) c))) {
            throw new Malformed(400, "field name '" + name + "' (RFC 9110 §5.1: expected a token)");
        }
        int start = skipWhitespace(line, colon + 1);
        int end = line.length();
        while (end > start && (line.charAt(end - 1) == ' ' || line.charAt(end - 1) == '\t')) {
            end--;
        }
        String value = line.substring(start, end);
        for (int i = 0; i < value.length(); i++) {
            if (!isFieldValueChar(value.charAt(i))) {
                throw new Malformed(400, String.format("field %s: control character 0x%02x in the value"
                        + " (RFC 9110 §5.5)", name, (int) value.charAt(i)));
            }
        }
        return new Field(name.toLowerCase(Locale.ROOT), value);
    }

    /**
     * One line without its CRLF, within {@code budget} bytes including the CRLF. Null on EOF before the first byte
     * when {@code eofOk}. A CR not followed by LF, or an LF without CR, is rejected (RFC 9112 §2.2 allows either).
     */
    private String readLine(int budget, boolean eofOk) throws IOException, Malformed {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            int b = read();
            if (b < 0) {
                if (eofOk && line.size() == 0) {
                    return null;
                }
                throw new Malformed(400, "eof inside " + reading);
            }
            if (b == '\r') {
                if (read() != '\n') {
                    throw new Malformed(400, "CR without LF in " + reading + " (RFC 9112 §2.2)");
                }
                return line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b == '\n') {
                throw new Malformed(400, "LF without CR in " + reading + " (RFC 9112 §2.2)");
            }
            line.write(b);
            if (line.size() + 2 > budget) {
                throw new Malformed(400, reading + " over the limit of " + (reading.startsWith("chunk")
                        ? MAX_CHUNK_LINE + " bytes per line" : MAX_HEAD_BYTES + " bytes"));
            }
        }
    }

    private int read() throws IOException, Malformed {
        try {
            return in.read();
        } catch (SocketTimeoutException e) {
            throw new Malformed(408, "timeout inside " + reading);
        }
    }

    private void copy(long n, MessageDigest digest) throws IOException, Malformed {
        byte[] buf = new byte[(int) Math.min(64 * 1024, Math.max(n, 1))];
        long left = n;
        while (left > 0) {
            int r;
            try {
                r = in.read(buf, 0, (int) Math.min(buf.length, left));
            } catch (SocketTimeoutException e) {
                throw new Malformed(408, "timeout inside " + reading + " after " + (n - left) + " bytes");
            }
            if (r < 0) {
                throw new Malformed(400, "eof inside " + reading + " after " + (n - left) + " of " + n + " bytes");
            }
            digest.update(buf, 0, r);
            left -= r;
        }
    }

    /** The members of comma-separated list fields, trimmed, empty ones dropped (RFC 9110 §5.6.1.2). */
    static List<String> members(List<String> values) {
        List<String> out = new ArrayList<>();
        for (String v : values) {
            for (String m : v.split(",", -1)) {
                String t = m.strip();
                if (!t.isEmpty()) {
                    out.add(t);
                }
            }
        }
        return out;
    }

    private static Map<String, List<String>> group(List<Field> fields) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (Field f : fields) {
            m.computeIfAbsent(f.name(), k -> new ArrayList<>()).add(f.value());
        }
        return m;
    }

    /** {@code tchar} (RFC 9110 §5.6.2). */
    private static boolean isTokenChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    /** VCHAR, obs-text, SP, HTAB (RFC 9110 §5.5). */
    private static boolean isFieldValueChar(char c) {
        return c == '\t' || (c >= 0x20 && c != 0x7f && c <= 0xff);
    }
}
