package io.clawgress.testing.peer;

import io.clawgress.testing.peer.Http1RequestReader.Body;
import io.clawgress.testing.peer.Http1RequestReader.Chunked;
import io.clawgress.testing.peer.Http1RequestReader.ContentLength;
import io.clawgress.testing.peer.Http1RequestReader.Framing;
import io.clawgress.testing.peer.Http1RequestReader.Head;
import io.clawgress.testing.peer.Http1RequestReader.Malformed;
import io.clawgress.testing.peer.Http1RequestReader.NoBody;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code origin-server}: a keep-alive HTTP/1.1 origin (optionally HTTPS) that logs every request it receives, so a
 * test can prove what a gateway let through: its fields in order, and a hash of its body. Requests are framed as
 * RFC 9112 says ({@link Http1RequestReader}) and served one after the other on each connection until the client
 * closes, asks to close, or sends something malformed (answered with a 400 and a close).
 *
 * <p>Routes, by path (the query gives parameters):
 * <ul>
 *   <li>{@code /sse?count=30&interval_ms=100}: {@code text/event-stream}, chunked, one chunk
 *       {@code data: event N <epoch ms>\n\n} (N from 1) at once and then every {@code interval_ms}.
 *   <li>{@code /chunked?n=5&size=1000&seed=1}: {@code n} chunks of {@code size} bytes of the {@link PatternStream}
 *       for {@code seed}, then one chunk {@code end chunks=N size=S sha256=HEX\n} (the hash of the pattern bytes).
 *   <li>{@code /close}: like the default, with {@code Connection: close}, then a graceful close.
 *   <li>{@code /status/NNN} (200..599): that status, body {@code status NNN\n} (none for 204, 205 and 304).
 *   <li>anything else: {@code 200}, a JSON object: method, target, seq, connection, body_bytes, body_sha256.
 * </ul>
 * Every response carries {@code X-Origin-Connection} and {@code X-Origin-Seq}. {@code HEAD} gets the fields of the
 * {@code GET} without the body; {@code Expect: 100-continue} gets a {@code 100 Continue} before the body is read.
 * Chunked responses to HTTP/1.0 requests are sent unframed, ended by the close (RFC 9112 §7).
 *
 * <p>With {@code --tls-cert} and {@code --tls-key} (PEM, see {@link PemCredentials}) it speaks TLS 1.2/1.3 and
 * selects ALPN {@code http/1.1} when offered (otherwise none, never a failed handshake over ALPN).
 *
 * <p>Events, besides the {@code ready}, {@code accept} and {@code exit} of {@link ServerLoop}, per connection:
 * {@code connection} (after the TLS handshake: sni, alpn, protocol, cipher_suite) or {@code handshake_failed};
 * {@code request} and {@code response} for every request; {@code bad_request} for malformed input; and last
 * {@code connection_closed} (requests served, how it ended, bytes discarded unread after the last response).
 */
final class OriginServer {

    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
    private static final int READ_TIMEOUT_MS = 30_000;
    private static final int HANDSHAKE_TIMEOUT_MS = 30_000;
    private static final int DRAIN_TIMEOUT_MS = 2_000;
    private static final String[] TLS_PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    private static final String HTTP_1_1 = "http/1.1";

    private static final int MAX_COUNT = 1_000_000;
    private static final int MAX_INTERVAL_MS = 60_000;
    private static final int MAX_CHUNK_SIZE = 16 << 20;
    private static final Map<Integer, String> REASONS = Map.ofEntries(
            Map.entry(100, "Continue"), Map.entry(200, "OK"), Map.entry(201, "Created"), Map.entry(202, "Accepted"),
            Map.entry(204, "No Content"), Map.entry(205, "Reset Content"), Map.entry(206, "Partial Content"),
            Map.entry(301, "Moved Permanently"), Map.entry(302, "Found"), Map.entry(303, "See Other"),
            Map.entry(304, "Not Modified"), Map.entry(307, "Temporary Redirect"),
            Map.entry(308, "Permanent Redirect"), Map.entry(400, "Bad Request"), Map.entry(401, "Unauthorized"),
            Map.entry(403, "Forbidden"), Map.entry(404, "Not Found"), Map.entry(405, "Method Not Allowed"),
            Map.entry(408, "Request Timeout"), Map.entry(409, "Conflict"), Map.entry(413, "Content Too Large"),
            Map.entry(429, "Too Many Requests"), Map.entry(500, "Internal Server Error"),
            Map.entry(501, "Not Implemented"), Map.entry(502, "Bad Gateway"),
            Map.entry(503, "Service Unavailable"), Map.entry(504, "Gateway Timeout"),
            Map.entry(505, "HTTP Version Not Supported"));

    /** @param tls null for plain HTTP */
    record Options(Duration idleTimeout, SSLContext tls) {
        Options {
            if (idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: > 0)");
            }
        }
    }

    private final Options options;
    private final Events events;
    private final AtomicLong connections = new AtomicLong();

    OriginServer(Options options, Events events) {
        this.options = options;
        this.events = events;
    }

    static int run(Args args, Events events) throws IOException {
        String cert = args.string("tls-cert", null);
        String key = args.string("tls-key", null);
        if ((cert == null) != (key == null)) {
            throw new Args.UsageException(args.command() + ": --tls-cert and --tls-key go together");
        }
        Duration idle = args.seconds("idle-timeout-seconds", DEFAULT_IDLE_TIMEOUT);
        if (idle.isNegative() || idle.isZero()) {
            throw new Args.UsageException(args.command() + ": --idle-timeout-seconds " + idle.toSeconds()
                    + " (expected: > 0)");
        }
        SSLContext tls = cert == null ? null : PemCredentials.serverContext(Path.of(cert), Path.of(key));
        OriginServer server = new OriginServer(new Options(idle, tls), events);
        Map<String, Object> ready = new LinkedHashMap<>();
        ready.put("tls", tls != null);
        ready.put("alpn", tls == null ? List.of() : List.of(HTTP_1_1));
        return ServerLoop.serve(args, events, ready, server::handle);
    }

    /** Runs on the connection's own virtual thread; {@code raw} was already logged ({@code accept}). */
    void handle(Socket raw) {
        Conn c = new Conn(connections.incrementAndGet(), Events.endpoint(raw.getRemoteSocketAddress()));
        long start = System.nanoTime();
        String ended;
        Socket s = raw;
        try {
            Map<String, Object> opened = c.event("connection");
            opened.put("local", Events.endpoint(raw.getLocalSocketAddress()));
            opened.put("tls", options.tls() != null);
            if (options.tls() != null) {
                SSLSocket ssl = handshake(raw, c);
                if (ssl == null) {
                    closed(c, "handshake_failed", start);
                    return;
                }
                s = ssl;
                SSLSession session = ssl.getSession();
                c.sni = sni(session);
                String alpn = ssl.getApplicationProtocol();
                c.alpn = alpn == null || alpn.isEmpty() ? null : alpn;
                opened.put("sni", c.sni);
                opened.put("alpn", c.alpn);
                opened.put("protocol", session.getProtocol());
                opened.put("cipher_suite", session.getCipherSuite());
            }
            events.emit(opened);
            ended = serve(s, c);
        } catch (IOException e) {
            ended = Outcome.of(e);
        } catch (RuntimeException e) {
            ended = "error: " + e;
        } finally {
            ServerLoop.closeQuietly(s);
        }
        closed(c, ended, start);
    }

    private void closed(Conn c, String ended, long startNanos) {
        Map<String, Object> closed = c.event("connection_closed");
        closed.put("requests", c.served);
        closed.put("unread_bytes", c.unread);
        closed.put("ended", ended);
        closed.put("duration_ms", (System.nanoTime() - startNanos) / 1_000_000);
        events.emit(closed);
    }

    /** The handshaken socket, or null after logging {@code handshake_failed}. */
    private SSLSocket handshake(Socket raw, Conn c) throws IOException {
        raw.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
        SSLSocketFactory factory = options.tls().getSocketFactory();
        // Layered over the accepted socket, in server mode (no bytes were consumed before).
        SSLSocket ssl = (SSLSocket) factory.createSocket(raw, null, true);
        SSLParameters params = ssl.getSSLParameters();
        params.setProtocols(TLS_PROTOCOLS);
        ssl.setSSLParameters(params);
        // RFC 7301 §3.2: http/1.1 when offered; otherwise no ALPN rather than a no_application_protocol alert.
        ssl.setHandshakeApplicationProtocolSelector((socket, offered) -> offered.contains(HTTP_1_1) ? HTTP_1_1 : "");
        try {
            ssl.startHandshake();
            return ssl;
        } catch (IOException e) {
            Map<String, Object> failed = c.event("handshake_failed");
            failed.put("reason", e.getCause() instanceof EOFException ? Outcome.EOF : Outcome.of(e));
            failed.put("message", e.toString());
            events.emit(failed);
            ServerLoop.closeQuietly(ssl);
            return null;
        }
    }

    /** Serves requests until the connection ends; returns how it ended. */
    private String serve(Socket s, Conn c) throws IOException {
        BufferedInputStream in = new BufferedInputStream(s.getInputStream());
        OutputStream out = new BufferedOutputStream(s.getOutputStream(), 16 * 1024);
        Http1RequestReader reader = new Http1RequestReader(in);
        while (true) {
            int seq = c.served + 1;
            // Waiting for the next request is idle time; once its first byte is here, the read timeout applies.
            s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, options.idleTimeout().toMillis()));
            in.mark(1);
            try {
                if (in.read() < 0) {
                    return Outcome.EOF;
                }
            } catch (SocketTimeoutException e) {
                return "idle_timeout";
            }
            in.reset();
            s.setSoTimeout(READ_TIMEOUT_MS);
            Head head = null;
            try {
                head = reader.readHead();
                if (head == null) {
                    return Outcome.EOF; // only empty lines before the EOF (RFC 9112 §2.2)
                }
                Framing framing = Http1RequestReader.framing(head);
                boolean continueSent = false;
                if (expectsContinue(head, framing)) {
                    out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    continueSent = true;
                }
                Body body = reader.readBody(framing);
                c.served = seq;
                logRequest(c, seq, head, framing, body, continueSent);
                boolean close = !persistent(head) || (framing instanceof Chunked ch && ch.contentLengthIgnored());
                Request r = new Request(c, seq, head, body, close);
                if (!respond(r, out)) {
                    drainAndClose(s, in, c);
                    return persistent(head) ? "server_close" : "client_close";
                }
            } catch (Malformed e) {
                Map<String, Object> bad = c.event("bad_request");
                bad.put("seq", seq);
                bad.put("status", e.status());
                bad.put("reason", e.reason());
                if (head != null) {
                    bad.put("method", head.method());
                    bad.put("target", head.target());
                }
                events.emit(bad);
                try {
                    byte[] text = ("bad request: " + e.reason() + "\n").getBytes(StandardCharsets.UTF_8);
                    writeHead(out, e.status(), List.of("Content-Type: text/plain; charset=utf-8",
                            "Content-Length: " + text.length), c, seq, true, true);
                    out.write(text);
                    out.flush();
                    drainAndClose(s, in, c);
                } catch (IOException ignored) {
                    // Answering is best effort: the client may already be gone.
                }
                return "bad_request";
            }
        }
    }

    /** RFC 9110 §10.1.1: only for HTTP/1.1, and only when there is a body to wait for. */
    private static boolean expectsContinue(Head head, Framing framing) {
        boolean body = switch (framing) {
            case NoBody n -> false;
            case ContentLength cl -> cl.bytes() > 0;
            case Chunked ch -> true;
        };
        return body && head.http11() && head.hasMember("expect", "100-continue");
    }

    /** RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive". */
    private static boolean persistent(Head head) {
        if (head.hasMember("connection", "close")) {
            return false;
        }
        return head.http11() || head.hasMember("connection", "keep-alive");
    }

    private void logRequest(Conn c, int seq, Head head, Framing framing, Body body, boolean continueSent) {
        Map<String, Object> e = c.event("request");
        e.put("seq", seq);
        e.put("method", head.method());
        e.put("target", head.target());
        e.put("version", head.version());
        e.put("headers", head.headers());
        e.put("framing", framing.name());
        e.put("body_bytes", body.bytes());
        e.put("body_sha256", body.sha256());
        e.put("trailers", body.trailers());
        e.put("continue_sent", continueSent);
        if (options.tls() != null) {
            e.put("sni", c.sni);
            e.put("alpn", c.alpn);
        }
        events.emit(e);
    }

    /** One request being answered; {@code close} when the connection must close after the response. */
    private record Request(Conn conn, int seq, Head head, Body body, boolean close) {
        boolean isHead() {
            return "HEAD".equals(head.method());
        }

        /** Whether a chunked response can be framed (RFC 9112 §7: never to HTTP/1.0). */
        boolean chunkedOk() {
            return head.http11();
        }
    }

    /** Writes the response; returns whether the connection stays open. */
    private boolean respond(Request r, OutputStream out) throws IOException {
        String path = path(r.head().target());
        Map<String, String> query = query(r.head().target());
        int status = 200;
        long bodyBytes = 0;
        boolean close = r.close();
        try {
            if ("/sse".equals(path)) {
                int count = param(query, "count", 30, MAX_COUNT);
                int interval = param(query, "interval_ms", 100, MAX_INTERVAL_MS);
                close |= !r.chunkedOk();
                bodyBytes = sse(r, out, count, interval, close);
            } else if ("/chunked".equals(path)) {
                int n = param(query, "n", 5, MAX_COUNT);
                int size = param(query, "size", 1000, MAX_CHUNK_SIZE);
                int seed = param(query, "seed", 1, Integer.MAX_VALUE);
                close |= !r.chunkedOk();
                bodyBytes = chunked(r, out, n, size, seed, close);
            } else if (path.startsWith("/status/")) {
                status = statusParam(path.substring("/status/".length()));
                boolean empty = status == 204 || status == 205 || status == 304;
                byte[] body = empty ? new byte[0] : ("status " + status + "\n").getBytes(StandardCharsets.UTF_8);
                List<String> fields = new ArrayList<>();
                if (!empty) {
                    fields.add("Content-Type: text/plain; charset=utf-8");
                }
                // RFC 9110 §8.6: never a Content-Length in a 204; none in a 304 either (it would describe the 200).
                if (status != 204 && status != 304) {
                    fields.add("Content-Length: " + body.length);
                }
                bodyBytes = fixed(r, out, status, fields, body, close);
            } else {
                close |= "/close".equals(path);
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("method", r.head().method());
                json.put("target", r.head().target());
                json.put("seq", r.seq());
                json.put("connection", r.conn().number);
                json.put("body_bytes", r.body().bytes());
                json.put("body_sha256", r.body().sha256());
                byte[] body = (Events.toJson(json) + "\n").getBytes(StandardCharsets.UTF_8);
                bodyBytes = fixed(r, out, 200, List.of("Content-Type: application/json",
                        "Content-Length: " + body.length), body, close);
            }
        } catch (BadParameter e) {
            status = 400;
            byte[] body = (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
            bodyBytes = fixed(r, out, 400, List.of("Content-Type: text/plain; charset=utf-8",
                    "Content-Length: " + body.length), body, close);
        }
        Map<String, Object> e = r.conn().event("response");
        e.put("seq", r.seq());
        e.put("status", status);
        e.put("body_bytes", bodyBytes);
        e.put("close", close);
        events.emit(e);
        return !close;
    }

    private long fixed(Request r, OutputStream out, int status, List<String> fields, byte[] body, boolean close)
            throws IOException {
        writeHead(out, status, fields, r.conn(), r.seq(), close, r.head().http11());
        if (!r.isHead()) {
            out.write(body);
        }
        out.flush();
        return r.isHead() ? 0 : body.length;
    }

    private static long sse(Request r, OutputStream out, int count, int intervalMs, boolean close)
            throws IOException {
        List<String> fields = new ArrayList<>(List.of("Content-Type: text/event-stream", "Cache-Control: no-cache"));
        if (r.chunkedOk()) {
            fields.add("Transfer-Encoding: chunked");
        }
        writeHead(out, 200, fields, r.conn(), r.seq(), close, r.head().http11());
        out.flush();
        if (r.isHead()) {
            return 0;
        }
        long sent = 0;
        for (int i = 1; i <= count; i++) {
            if (i > 1) {
                sleep(intervalMs);
            }
            byte[] event = ("data: event " + i + " " + System.currentTimeMillis() + "\n\n")
                    .getBytes(StandardCharsets.UTF_8);
            writeChunk(out, event, r.chunkedOk());
            out.flush();
            sent += event.length;
        }
        writeLastChunk(out, r.chunkedOk());
        return sent;
    }

    private static long chunked(Request r, OutputStream out, int n, int size, int seed, boolean close)
            throws IOException {
        List<String> fields = new ArrayList<>(List.of("Content-Type: application/octet-stream"));
        if (r.chunkedOk()) {
            fields.add("Transfer-Encoding: chunked");
        }
        writeHead(out, 200, fields, r.conn(), r.seq(), close, r.head().http11());
        if (r.isHead()) {
            out.flush();
            return 0;
        }
        PatternStream pattern = new PatternStream(seed);
        MessageDigest digest = Outcome.sha256();
        byte[] chunk = new byte[size];
        long sent = 0;
        for (int i = 0; i < n && size > 0; i++) {
            pattern.next(chunk, 0, size);
            digest.update(chunk);
            writeChunk(out, chunk, r.chunkedOk());
            sent += size;
        }
        byte[] end = ("end chunks=" + n + " size=" + size + " sha256=" + Outcome.hex(digest) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        writeChunk(out, end, r.chunkedOk());
        writeLastChunk(out, r.chunkedOk());
        return sent + end.length;
    }

    private static void writeHead(OutputStream out, int status, List<String> fields, Conn c, int seq, boolean close,
                                  boolean http11) throws IOException {
        StringBuilder sb = new StringBuilder(256);
        sb.append("HTTP/1.1 ").append(status).append(' ').append(REASONS.getOrDefault(status, "")).append("\r\n");
        for (String f : fields) {
            sb.append(f).append("\r\n");
        }
        sb.append("X-Origin-Connection: ").append(c.number).append("\r\n");
        sb.append("X-Origin-Seq: ").append(seq).append("\r\n");
        if (close) {
            sb.append("Connection: close\r\n");
        } else if (!http11) {
            sb.append("Connection: keep-alive\r\n");
        }
        sb.append("\r\n");
        out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private static void writeChunk(OutputStream out, byte[] data, boolean framed) throws IOException {
        if (data.length == 0) {
            return; // a zero-size chunk would be the last chunk
        }
        if (framed) {
            out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        out.write(data);
        if (framed) {
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    private static void writeLastChunk(OutputStream out, boolean framed) throws IOException {
        if (framed) {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.flush();
    }

    /**
     * Half-closes and drains briefly, so unread client bytes never turn our close into a reset. Counts what it
     * discards into {@code c}: bytes after a request that closes the connection are never parsed as a request.
     */
    private static void drainAndClose(Socket s, InputStream in, Conn c) {
        try {
            s.shutdownOutput();
            s.setSoTimeout(DRAIN_TIMEOUT_MS);
            byte[] sink = new byte[8192];
            for (int n; (n = in.read(sink)) >= 0; ) {
                c.unread += n;
            }
        } catch (IOException | UnsupportedOperationException e) {
            // The client may reset or dawdle; the response is already out.
        }
    }

    private static void sleep(int ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** The path of an origin-form or absolute-form target (RFC 9112 §3.2), without the query. */
    static String path(String target) {
        String t = target;
        int scheme = t.indexOf("://");
        if (!t.startsWith("/") && scheme > 0) {
            int slash = t.indexOf('/', scheme + 3);
            t = slash < 0 ? "/" : t.substring(slash);
        }
        int q = t.indexOf('?');
        return q < 0 ? t : t.substring(0, q);
    }

    private static Map<String, String> query(String target) {
        Map<String, String> m = new HashMap<>();
        int q = target.indexOf('?');
        if (q < 0) {
            return m;
        }
        for (String pair : target.substring(q + 1).split("&")) {
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                m.putIfAbsent(k, v);
            } catch (IllegalArgumentException e) {
                // A broken %-escape: the parameter is ignored, like an unknown one.
            }
        }
        return m;
    }

    private static int param(Map<String, String> query, String name, int dflt, int max) throws BadParameter {
        String v = query.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 0 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new BadParameter(name + "=" + v + " (expected: 0.." + max + ")");
    }

    private static int statusParam(String v) throws BadParameter {
        if (v.length() == 3 && v.chars().allMatch(Character::isDigit)) {
            int status = Integer.parseInt(v);
            if (status >= 200 && status <= 599) {
                return status;
            }
        }
        throw new BadParameter("/status/" + v + " (expected: a final status 200..599)");
    }

    /** The host name the client asked for (RFC 6066 §3), or null. */
    private static String sni(SSLSession session) {
        if (session instanceof ExtendedSSLSession ext) {
            for (SNIServerName name : ext.getRequestedServerNames()) {
                if (name instanceof SNIHostName host) {
                    return host.getAsciiName();
                }
            }
        }
        return null;
    }

    /** A query parameter out of range: a valid request, answered with a 400. */
    private static final class BadParameter extends Exception {
        private static final long serialVersionUID = 1L;

        BadParameter(String message) {
            super(message, null, false, false);
        }
    }

    /** Per-connection state, touched only by the connection's own thread. */
    private static final class Conn {
        final long number;
        final String remote;
        int served;
        long unread;
        String sni;
        String alpn;

        Conn(long number, String remote) {
            this.number = number;
            this.remote = remote;
        }

        Map<String, Object> event(String name) {
            Map<String, Object> e = Events.event(name);
            e.put("remote", remote);
            e.put("connection", number);
            return e;
        }
    }
}
