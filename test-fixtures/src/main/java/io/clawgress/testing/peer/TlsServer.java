package io.clawgress.testing.peer;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tls-server}: a TLS 1.2/1.3 origin with the key and certificate chain of a PKCS#12 file. Every TCP
 * connection is logged ({@code accept}) before the handshake, so one that never completes it is still seen; then
 * {@code handshake} (requested SNI, negotiated ALPN protocol, TLS version, cipher suite) or
 * {@code handshake_failed}; then one HTTP/1.1 request is answered with {@code 200 OK} and
 * {@code hello from tls upstream ADDR:PORT sni=SNI\n} (empty after {@code sni=} when the client sent none).
 *
 * <p>ALPN: {@code --alpn} lists the protocols offered, default {@code http/1.1} only, so clients that would prefer
 * h2 (curl, Chromium) fall back to HTTP/1.1, the only protocol spoken here; {@code --alpn none} turns ALPN off.
 * With h2 offered and chosen, the h2 preface gets a 400.
 */
final class TlsServer {

    static final String DEFAULT_ALPN = "http/1.1";
    private static final int HANDSHAKE_TIMEOUT_MS = 30_000;
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsServer() {
    }

    static int run(Args args, Events events) throws IOException {
        Path pkcs12 = Path.of(args.string("pkcs12"));
        char[] password = args.string("password").toCharArray();
        String alpnSpec = args.string("alpn", DEFAULT_ALPN);
        List<String> alpn = "none".equals(alpnSpec) ? List.of() : Arrays.asList(alpnSpec.split(","));
        if (alpn.stream().anyMatch(String::isBlank)) {
            throw new Args.UsageException(args.command() + ": --alpn " + alpnSpec
                    + " (expected: comma-separated protocol ids like h2,http/1.1, or none)");
        }
        SSLSocketFactory factory = context(pkcs12, password).getSocketFactory();
        Map<String, Object> ready = new LinkedHashMap<>();
        ready.put("alpn", alpn);
        return ServerLoop.serve(args, events, ready, s -> handle(s, factory, alpn, events));
    }

    private static SSLContext context(Path pkcs12, char[] password) throws IOException {
        try (InputStream in = Files.newInputStream(pkcs12)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("loading the key and certificates from " + pkcs12 + ": " + e, e);
        }
    }

    /** Runs on the connection's own virtual thread; {@code raw} was already logged by the accept loop. */
    private static void handle(Socket raw, SSLSocketFactory factory, List<String> alpn, Events events)
            throws IOException {
        String remote = Events.endpoint(raw.getRemoteSocketAddress());
        raw.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
        // Layered over the accepted socket, in server mode (no bytes were consumed before).
        try (SSLSocket ssl = (SSLSocket) factory.createSocket(raw, null, true)) {
            SSLParameters params = ssl.getSSLParameters();
            params.setProtocols(PROTOCOLS);
            params.setApplicationProtocols(alpn.toArray(String[]::new));
            ssl.setSSLParameters(params);
            try {
                ssl.startHandshake();
            } catch (IOException e) {
                Map<String, Object> failed = Events.event("handshake_failed");
                failed.put("remote", remote);
                // A client that closes before (or during) its ClientHello shows up as an EOF under the exception.
                failed.put("reason", e.getCause() instanceof EOFException ? Outcome.EOF : Outcome.of(e));
                failed.put("message", e.toString());
                events.emit(failed);
                return;
            }
            SSLSession session = ssl.getSession();
            String sni = sni(session);
            String negotiated = ssl.getApplicationProtocol();
            Map<String, Object> handshake = Events.event("handshake");
            handshake.put("remote", remote);
            handshake.put("sni", sni);
            handshake.put("alpn", negotiated == null || negotiated.isEmpty() ? null : negotiated);
            handshake.put("protocol", session.getProtocol());
            handshake.put("cipher_suite", session.getCipherSuite());
            events.emit(handshake);
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("sni", sni);
            String body = "hello from tls upstream " + Events.endpoint(ssl.getLocalSocketAddress()) + " sni="
                    + (sni == null ? "" : sni) + "\n";
            HttpServer.exchange(ssl, events, body, extra);
        }
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
}
