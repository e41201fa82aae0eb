package io.clawgress.testing.peer;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code http-server}: a minimal HTTP/1.1 origin. For each connection it reads one request head (and its body, so
 * closing never turns into a reset), logs it, answers {@code 200 OK} with {@code hello from upstream ADDR:PORT\n}
 * ({@code Connection: close}) and closes gracefully.
 */
final class HttpServer {

    private static final int MAX_HEAD = 64 * 1024;
    private static final int HEAD_TIMEOUT_MS = 30_000;
    private static final long MAX_BODY = 1L << 30;

    private HttpServer() {
    }

    static int run(Args args, Events events) throws IOException {
        return ServerLoop.serve(args, events, Map.of(), s -> handle(s, events));
    }

    private static void handle(Socket s, Events events) throws IOException {
        exchange(s, events, "hello from upstream " + Events.endpoint(s.getLocalSocketAddress()) + "\n", Map.of());
    }

    /**
     * Serves one request on an accepted socket (plain, or TLS after its handshake): answers {@code 200 OK} with
     * {@code body} and closes gracefully. {@code extra} fields are added to the {@code request} event.
     */
    static void exchange(Socket s, Events events, String body, Map<String, Object> extra) throws IOException {
        s.setSoTimeout(HEAD_TIMEOUT_MS);
        InputStream in = new BufferedInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        String remote = Events.endpoint(s.getRemoteSocketAddress());
        String head;
        try {
            head = readHead(in);
        } catch (IOException e) {
            Map<String, Object> bad = Events.event("bad_request");
            bad.put("remote", remote);
            bad.put("reason", Outcome.of(e));
            events.emit(bad);
            return;
        }
        if (head == null) {
            Map<String, Object> bad = Events.event("bad_request");
            bad.put("remote", remote);
            bad.put("reason", "no complete request head (eof or head over " + MAX_HEAD + " bytes)");
            events.emit(bad);
            return;
        }
        String[] lines = head.split("\r\n");
        String[] requestLine = lines[0].split(" ");
        if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1.")) {
            respond(out, "400 Bad Request", "bad request line\n", false);
            Map<String, Object> bad = Events.event("bad_request");
            bad.put("remote", remote);
            bad.put("reason", "request line: " + lines[0]);
            events.emit(bad);
            finish(s, in);
            return;
        }
        Map<String, Object> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = lines[i].substring(colon + 1).trim();
                headers.merge(name, value, (a, b) -> a + ", " + b);
            }
        }
        long bodyBytes = readBody(in, headers);
        Map<String, Object> request = Events.event("request");
        request.put("remote", remote);
        request.put("method", requestLine[0]);
        request.put("path", requestLine[1]);
        request.put("version", requestLine[2]);
        request.put("host", headers.get("host"));
        request.put("headers", headers);
        request.put("body_bytes", bodyBytes);
        request.putAll(extra);
        events.emit(request);
        respond(out, "200 OK", body, "HEAD".equals(requestLine[0]));
        finish(s, in);
    }

    /** The head up to (excluding) the blank line, or null at EOF or when it exceeds {@link #MAX_HEAD}. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(1024);
        int state = 0; // how much of \r\n\r\n has been seen
        while (buf.size() < MAX_HEAD) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            buf.write(b);
            state = switch (state) {
                case 0, 2 -> b == '\r' ? state + 1 : 0;
                case 1, 3 -> b == '\n' ? state + 1 : (b == '\r' ? 1 : 0);
                default -> throw new IllegalStateException("state " + state);
            };
            if (state == 4) {
                String s = buf.toString(StandardCharsets.ISO_8859_1);
                return s.substring(0, s.length() - 4);
            }
        }
        return null;
    }

    /** Reads and discards the request body (Content-Length or chunked, RFC 9112 §6-7); returns its length. */
    private static long readBody(InputStream in, Map<String, Object> headers) throws IOException {
        Object te = headers.get("transfer-encoding");
        if (te != null && te.toString().toLowerCase(Locale.ROOT).contains("chunked")) {
            long total = 0;
            while (true) {
                String sizeLine = readLine(in);
                int semi = sizeLine.indexOf(';');
                long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
                if (size == 0) {
                    while (!readLine(in).isEmpty()) {
                        // trailer fields, discarded
                    }
                    return total;
                }
                skip(in, size);
                total += size;
                readLine(in);
            }
        }
        Object cl = headers.get("content-length");
        if (cl == null) {
            return 0;
        }
        long n = Long.parseLong(cl.toString().trim());
        if (n < 0 || n > MAX_BODY) {
            throw new IOException("content-length " + n + " out of range");
        }
        skip(in, n);
        return n;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int b; (b = in.read()) >= 0; ) {
            if (b == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) b);
            if (sb.length() > 8192) {
                throw new IOException("line too long");
            }
        }
        throw new IOException("eof inside chunked body");
    }

    private static void skip(InputStream in, long n) throws IOException {
        byte[] buf = new byte[8192];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                throw new IOException("eof inside body");
            }
            n -= r;
        }
    }

    private static void respond(OutputStream out, String status, String body, boolean head) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String response = "HTTP/1.1 " + status + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + b.length + "\r\n"
                + "Connection: close\r\n\r\n";
        out.write(response.getBytes(StandardCharsets.ISO_8859_1));
        if (!head) {
            out.write(b);
        }
        out.flush();
    }

    /** Half-closes and drains briefly, so unread client bytes never turn our close into a reset. */
    private static void finish(Socket s, InputStream in) throws IOException {
        s.shutdownOutput();
        s.setSoTimeout(5_000);
        byte[] sink = new byte[4096];
        try {
            while (in.read(sink) >= 0) {
                // discard until the client closes
            }
        } catch (IOException e) {
            // The client may reset or dawdle; the response is already out.
        }
    }
}
