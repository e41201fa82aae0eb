package io.clawgress.testing.peer;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code raw-client}: sends exact bytes over TCP or TLS and records exactly what comes back, for request-smuggling
 * and identity tests. Connects, (TLS: handshakes with SNI {@code --sni}, verifying the server's certificate against
 * {@code --cafile} only and its name against {@code --sni} as HTTPS does, RFC 9110 §4.3.4), writes every byte of
 * {@code --send-file} or {@code --send-base64} on one thread while the main thread reads, optionally half-closes
 * after the last byte, and reads until EOF, reset, {@code --timeout-seconds} (default 10, counted from the start)
 * or {@code --max-bytes} (default 1 MiB). Nothing is parsed: several responses, or garbage, are all kept.
 *
 * <p>Events: {@code connected} (local, remote, connect_ms); for TLS {@code tls} (protocol, cipher_suite, alpn, sni)
 * or {@code handshake_failed} (reason: the exception's simple class name, message, root_cause, timed_out); last
 * {@code done} (remote, connected, ended: {@code eof | reset | timeout | max_bytes | handshake_failed}, bytes_sent,
 * write_error, half_closed, bytes_received, response_base64, response_text: the bytes as ISO-8859-1, duration_ms).
 * A handshake cut short by the timeout ends {@code timeout}, not {@code handshake_failed}.
 *
 * <p>{@code --half-close true} shuts the write side after the last byte: a TCP FIN, or for TLS a close_notify and
 * then the FIN (a TLS 1.3 half-close, RFC 8446 §6.1). The JDK reads a TCP close without close_notify as a clean end
 * of TLS input (unless {@code com.sun.net.ssl.requireCloseNotify} is set), so a truncation is an {@code eof} too.
 *
 * <p>Exits 0 once the exchange is recorded (whatever {@code ended} says, a failed handshake included), 1 when it
 * could not connect ({@code done} with {@code connected: false}) or an unexpected error ended it ({@code ended}
 * {@code error: ...}), 2 on a bad command line.
 */
final class RawClient {

    static final String HANDSHAKE_FAILED = "handshake_failed";
    static final String MAX_BYTES = "max_bytes";
    static final long DEFAULT_MAX_BYTES = 1L << 20;
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** How long a writer still blocked after the read side ended gets once its socket is closed. */
    private static final Duration WRITER_GRACE = Duration.ofSeconds(2);
    private static final int WRITE_CHUNK = 16 * 1024;

    /**
     * @param sni        server name sent (RFC 6066 §3) and verified against the certificate
     * @param caFile     the only trust anchors (PEM, one or more certificates)
     * @param clientCert client certificate chain (PEM, leaf first), or null
     * @param clientKey  its unencrypted PKCS#8 key, or null
     * @param alpn       protocols offered (RFC 7301), empty for no ALPN extension
     */
    record Tls(String sni, Path caFile, Path clientCert, Path clientKey, List<String> alpn) {
        Tls {
            if (sni == null || sni.isEmpty()) {
                throw new IllegalArgumentException("sni: empty (expected: a host name)");
            }
            if ((clientCert == null) != (clientKey == null)) {
                throw new IllegalArgumentException("clientCert and clientKey go together");
            }
            alpn = List.copyOf(alpn);
        }
    }

    /** @param tls null for plain TCP */
    record Options(InetSocketAddress target, Tls tls, byte[] payload, boolean halfClose, Duration timeout,
                   long maxBytes) {
        Options {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
            }
            if (maxBytes <= 0 || maxBytes > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: 1.." + (Integer.MAX_VALUE
                        - 8) + ")");
            }
        }
    }

    private RawClient() {
    }

    static int run(Args args, Events events) throws IOException {
        InetSocketAddress target = args.endpoint("connect");
        boolean tls = bool(args, "tls");
        String file = args.string("send-file", null);
        String b64 = args.string("send-base64", null);
        boolean halfClose = bool(args, "half-close");
        Duration timeout = args.seconds("timeout-seconds", DEFAULT_TIMEOUT);
        long maxBytes = args.bytes("max-bytes", DEFAULT_MAX_BYTES);
        Tls tlsOptions = null;
        if (tls) {
            String cert = args.string("cert", null);
            String key = args.string("key", null);
            String alpn = args.string("alpn", null);
            try {
                tlsOptions = new Tls(args.string("sni"), Path.of(args.string("cafile")),
                        cert == null ? null : Path.of(cert), key == null ? null : Path.of(key),
                        alpn == null ? List.of() : Arrays.stream(alpn.split(",")).map(String::trim).toList());
                new SNIHostName(tlsOptions.sni());
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException(args.command() + ": " + e.getMessage());
            }
        }
        args.checkAllUsed();
        if ((file == null) == (b64 == null)) {
            throw new Args.UsageException(args.command() + ": exactly one of --send-file and --send-base64");
        }
        byte[] payload;
        if (file != null) {
            payload = Files.readAllBytes(Path.of(file));
        } else {
            try {
                payload = Base64.getDecoder().decode(b64);
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException(args.command() + ": --send-base64: " + e.getMessage()
                        + " (expected: RFC 4648 base64)");
            }
        }
        Options options;
        try {
            options = new Options(target, tlsOptions, payload, halfClose, timeout, maxBytes);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(args.command() + ": " + e.getMessage());
        }
        SSLContext context = tlsOptions == null ? null : clientContext(tlsOptions);
        return run(options, context, events);
    }

    /** {@code --name true|false}; absent means false (peer options always take a value, see {@link Args}). */
    private static boolean bool(Args args, String name) {
        String v = args.string(name, "false");
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new Args.UsageException(args.command() + ": --" + name + " " + v
                    + " (expected: true or false)");
        };
    }

    static int run(Options o, SSLContext context, Events events) {
        long start = System.nanoTime();
        Map<String, Object> done = Events.event("done");
        done.put("remote", Events.endpoint(o.target()));
        Received received = new Received(o.maxBytes());
        Socket raw = new Socket();
        try {
            raw.connect(o.target(), (int) Math.min(Integer.MAX_VALUE, o.timeout().toMillis()));
        } catch (IOException e) {
            ServerLoop.closeQuietly(raw);
            done.put("connected", false);
            done.put("message", e.toString());
            finish(done, Outcome.of(e), 0, null, false, received, start);
            events.emit(done);
            return 1;
        }
        done.put("connected", true);
        Map<String, Object> connected = Events.event("connected");
        connected.put("local", Events.endpoint(raw.getLocalSocketAddress()));
        connected.put("remote", Events.endpoint(raw.getRemoteSocketAddress()));
        connected.put("connect_ms", millisSince(start));
        events.emit(connected);

        AtomicLong sent = new AtomicLong();
        AtomicReference<IOException> writeError = new AtomicReference<>();
        String ended;
        boolean halfClosed = false;
        // The watchdog closes the TCP socket (never the TLS layer, whose close may wait for a blocked writer).
        try (Watchdog watchdog = Watchdog.closeAfter(raw, o.timeout())) {
            Socket s = raw;
            if (context != null) {
                Handshake h = handshake(raw, o, context, watchdog, events);
                if (h.socket() == null) {
                    ServerLoop.closeQuietly(raw);
                    finish(done, h.timedOut() ? Outcome.TIMEOUT : HANDSHAKE_FAILED, 0, null, false, received, start);
                    events.emit(done);
                    return 0;
                }
                s = h.socket();
            }
            Socket conn = s;
            Thread writer = Thread.ofVirtual().name("raw-client-writer").start(() -> {
                try {
                    OutputStream out = conn.getOutputStream();
                    for (int off = 0; off < o.payload().length; off += WRITE_CHUNK) {
                        int n = Math.min(WRITE_CHUNK, o.payload().length - off);
                        out.write(o.payload(), off, n);
                        sent.addAndGet(n);
                    }
                    out.flush();
                    if (o.halfClose()) {
                        conn.shutdownOutput();
                    }
                } catch (IOException e) {
                    writeError.set(e);
                }
            });
            ended = read(conn, received, watchdog);
            if (watchdog.fired() && ended.startsWith("error")) {
                ended = Outcome.TIMEOUT; // our own socket, closed at the deadline
            }
            ServerLoop.closeQuietly(raw);
            try {
                if (!writer.join(WRITER_GRACE)) {
                    writeError.compareAndSet(null, new IOException("writer still blocked after the read side ended"));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            halfClosed = o.halfClose() && writeError.get() == null && sent.get() == o.payload().length;
        }
        finish(done, ended, sent.get(), writeError.get(), halfClosed, received, start);
        events.emit(done);
        return ended.startsWith("error") ? 1 : 0;
    }

    /** @param socket null when the handshake failed (and {@code handshake_failed} was logged) */
    private record Handshake(SSLSocket socket, boolean timedOut) {
    }

    /** Runs on the main thread. */
    private static Handshake handshake(Socket raw, Options o, SSLContext context, Watchdog watchdog,
                                       Events events) {
        Tls tls = o.tls();
        try {
            // The host given here is the peer host the HTTPS identity check falls back to: the SNI name as well.
            // autoClose: shutdownOutput then also sends the TCP FIN after close_notify.
            SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(raw, tls.sni(),
                    o.target().getPort(), true);
            SSLParameters params = ssl.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(tls.sni())));
            params.setEndpointIdentificationAlgorithm("HTTPS");
            if (!tls.alpn().isEmpty()) {
                params.setApplicationProtocols(tls.alpn().toArray(String[]::new));
            }
            ssl.setSSLParameters(params);
            raw.setSoTimeout(timeoutMillis(watchdog));
            ssl.startHandshake();
            SSLSession session = ssl.getSession();
            Map<String, Object> e = Events.event("tls");
            e.put("protocol", session.getProtocol());
            e.put("cipher_suite", session.getCipherSuite());
            String alpn = ssl.getApplicationProtocol();
            e.put("alpn", alpn == null || alpn.isEmpty() ? null : alpn);
            e.put("sni", tls.sni());
            events.emit(e);
            return new Handshake(ssl, false);
        } catch (IOException e) {
            Map<String, Object> failed = Events.event(HANDSHAKE_FAILED);
            failed.put("reason", e.getClass().getSimpleName());
            failed.put("message", e.getMessage());
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            failed.put("root_cause", root == e ? null : root.getClass().getSimpleName() + ": " + root.getMessage());
            boolean timedOut = watchdog.fired() || root instanceof SocketTimeoutException;
            failed.put("timed_out", timedOut);
            events.emit(failed);
            return new Handshake(null, timedOut);
        }
    }

    /** Reads until the connection ends or the limit is reached; returns how it ended. Runs on the main thread. */
    private static String read(Socket s, Received r, Watchdog watchdog) {
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            while (true) {
                int want = (int) Math.min(buf.length, r.max - r.count);
                if (want == 0) {
                    return MAX_BYTES;
                }
                s.setSoTimeout(timeoutMillis(watchdog));
                int n = in.read(buf, 0, want);
                if (n < 0) {
                    return Outcome.EOF;
                }
                r.add(buf, n);
            }
        } catch (IOException e) {
            return classify(e);
        }
    }

    /** Like {@link Outcome#of}, also when the TLS layer wraps the socket's exception. */
    private static String classify(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return Outcome.TIMEOUT;
            }
            String msg = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (msg.contains("connection reset") || msg.contains("broken pipe")) {
                return Outcome.RESET;
            }
        }
        return Outcome.of(e);
    }

    private static int timeoutMillis(Watchdog watchdog) {
        return (int) Math.min(Integer.MAX_VALUE, watchdog.remaining().toMillis());
    }

    private static void finish(Map<String, Object> done, String ended, long sent, IOException writeError,
                               boolean halfClosed, Received r, long start) {
        done.put("ended", ended);
        done.put("bytes_sent", sent);
        done.put("write_error", writeError == null ? null : writeError.toString());
        done.put("half_closed", halfClosed);
        byte[] bytes = r.bytes();
        done.put("bytes_received", (long) bytes.length);
        done.put("response_base64", Base64.getEncoder().encodeToString(bytes));
        done.put("response_text", new String(bytes, StandardCharsets.ISO_8859_1));
        done.put("duration_ms", millisSince(start));
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** Trusts only the certificates in {@code caFile}; presents the client certificate when one is given. */
    static SSLContext clientContext(Tls tls) throws IOException {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            Certificate[] anchors = certificates(tls.caFile());
            for (int i = 0; i < anchors.length; i++) {
                trust.setCertificateEntry("ca-" + i, anchors[i]);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            KeyManager[] keys = tls.clientCert() == null ? null : keyManagers(tls.clientCert(), tls.clientKey());
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS client context: " + e, e);
        }
    }

    // PemCredentials only builds server contexts; this mirrors its PEM reading for the client side.
    private static final char[] STORE_PASSWORD = "in-memory".toCharArray();
    private static final String BEGIN_KEY = "-----BEGIN PRIVATE KEY-----";
    private static final String END_KEY = "-----END PRIVATE KEY-----";

    private static KeyManager[] keyManagers(Path certs, Path key) throws IOException, GeneralSecurityException {
        Certificate[] chain = certificates(certs);
        String pem = Files.readString(key, StandardCharsets.US_ASCII);
        int begin = pem.indexOf(BEGIN_KEY);
        int end = pem.indexOf(END_KEY);
        if (begin < 0 || end < begin) {
            throw new IOException(key + ": no " + BEGIN_KEY + " block (expected: an unencrypted PKCS#8 key)");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + BEGIN_KEY.length(), end));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", KeyFactory.getInstance(chain[0].getPublicKey().getAlgorithm())
                .generatePrivate(new PKCS8EncodedKeySpec(der)), STORE_PASSWORD, chain);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, STORE_PASSWORD);
        return kmf.getKeyManagers();
    }

    private static Certificate[] certificates(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            Certificate[] certs = CertificateFactory.getInstance("X.509").generateCertificates(in)
                    .toArray(Certificate[]::new);
            if (certs.length == 0) {
                throw new IOException(pem + ": no certificate (expected: PEM)");
            }
            return certs;
        }
    }

    /** The bytes read so far, up to {@code max}; touched by the reading thread only. */
    private static final class Received {
        final long max;
        byte[] buf = new byte[8192];
        int count;

        Received(long max) {
            this.max = max;
        }

        void add(byte[] b, int n) {
            if (count + n > buf.length) {
                buf = Arrays.copyOf(buf, (int) Math.min(max, Math.max((long) buf.length * 2, count + n)));
            }
            System.arraycopy(b, 0, buf, count, n);
            count += n;
        }

        byte[] bytes() {
            return Arrays.copyOf(buf, count);
        }
    }
}
