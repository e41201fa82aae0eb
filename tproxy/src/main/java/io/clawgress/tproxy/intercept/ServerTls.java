package io.clawgress.tproxy.intercept;

import io.clawgress.tproxy.identity.ClientCertIdentifier;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import javax.net.ssl.X509TrustManager;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * The gateway's TLS server side toward agents on intercepted flows: one {@link SslContext} per minted leaf (built
 * off the event loop, kept in a bounded cache keyed by the leaf certificate), TLS 1.2 and 1.3, ALPN offering only
 * {@code http/1.1} (the L7 gate speaks HTTP/1.1; h2 is a documented later step), and, when agents' client
 * certificates are configured, an optional CertificateRequest naming the agents' CA. Trust in a presented
 * certificate is decided after the handshake by the {@link ClientCertIdentifier}, so that every failure gets its own
 * reason code; the handshake still proves possession of the certificate's key (CertificateVerify, RFC 8446 §4.4.3).
 *
 * <p>BoringSSL through netty-tcnative when it loads; otherwise the JDK engine, logged once. Thread-safe.
 */
public final class ServerTls {

    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);
    static final int MAX_CONTEXTS = 10_000;

    private final LeafSource leaves;
    private final ClientCertIdentifier clientCerts;
    private final SslProvider provider;
    private final Map<X509Certificate, SslContext> contexts = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<X509Certificate, SslContext> eldest) {
            return size() > MAX_CONTEXTS;
        }
    };

    /**
     * @param clientCerts how agents' client certificates are checked, or {@code null} to request none
     */
    public ServerTls(LeafSource leaves, ClientCertIdentifier clientCerts) {
        this.leaves = leaves;
        this.clientCerts = clientCerts;
        this.provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        if (provider == SslProvider.JDK) {
            log.warn("BoringSSL (netty-tcnative) unavailable ({}); intercepted TLS toward agents uses the JDK engine",
                    String.valueOf(OpenSsl.unavailabilityCause()));
        }
    }

    /** Whether client certificates are requested. */
    public boolean requestsClientCertificates() {
        return clientCerts != null;
    }

    public ClientCertIdentifier clientCerts() {
        return clientCerts;
    }

    /** {@code boringssl} or {@code jdk}. */
    public String provider() {
        return provider == SslProvider.OPENSSL ? "boringssl" : "jdk";
    }

    /**
     * The server context for {@code sni}: leaf from the {@link LeafSource}, context from the cache or built on
     * {@code offLoop}. Never blocks; the future completes on a thread of {@code offLoop} (or at once on a hit).
     */
    public CompletableFuture<SslContext> contextFor(String sni, Executor offLoop) {
        return leaves.leaf(sni, offLoop).thenApplyAsync(this::contextOf, offLoop);
    }

    private SslContext contextOf(LeafSource.Leaf leaf) {
        X509Certificate cert = leaf.chain()[0];
        synchronized (contexts) {
            SslContext cached = contexts.get(cert);
            if (cached != null) {
                return cached;
            }
        }
        SslContext built;
        try {
            SslContextBuilder b = SslContextBuilder.forServer(leaf.key(), leaf.chain())
                    .sslProvider(provider)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_1_1));
            if (clientCerts != null) {
                b.clientAuth(ClientAuth.OPTIONAL).trustManager(new DeferredTrust(clientCerts.acceptedIssuers()));
            }
            built = b.build();
        } catch (SSLException e) {
            throw new CompletionException(e);
        }
        synchronized (contexts) {
            SslContext raced = contexts.putIfAbsent(cert, built);
            return raced != null ? raced : built;
        }
    }

    /**
     * Accepts any client chain during the handshake (the {@link ClientCertIdentifier} decides trust right after
     * it, with a reason code) and advertises the agents' CA. Never used to trust servers.
     */
    private record DeferredTrust(X509Certificate[] issuers) implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // Deferred: see the class comment. Possession of the key is still proven by CertificateVerify.
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType)
                throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("this trust manager checks client certificates only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return issuers.clone();
        }
    }
}
