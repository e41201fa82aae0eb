package io.clawgress.tproxy.intercept;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * TLS from the gateway to an upstream whose flow is intercepted (DESIGN.md §3 step 6b): before the gateway presents
 * any minted certificate to the agent, it must have verified the real upstream itself, with the name the agent asked
 * for. Certificates are checked against the system trust store or a configured CA file, and the host name against the
 * certificate (RFC 6125 via the JDK's {@code HTTPS} endpoint identification). ALPN offers only {@code http/1.1}: the
 * L7 gate speaks HTTP/1.1 (h2 is a documented later step).
 *
 * <p>BoringSSL through netty-tcnative when it loads; otherwise the JDK engine, logged once. Shared by every event
 * loop; {@link #reload} swaps the trust (a config reload, a rotated CA file) for connections made after it, while
 * handshakes already begun keep the context they started with.
 */
public final class UpstreamTls {

    private static final Logger log = LoggerFactory.getLogger(UpstreamTls.class);

    /** Why an upstream handshake failed, as records and metrics say it. */
    public enum Failure {
        UNTRUSTED("untrusted certificate (no path to a trusted CA, or self-signed)"),
        EXPIRED("certificate expired or not yet valid"),
        NAME_MISMATCH("certificate does not name the host"),
        HANDSHAKE("TLS handshake failed");

        private final String description;

        Failure(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /**
     * @param caFile           PEM CA certificates to trust instead of the system store, or {@code null}
     * @param handshakeTimeout how long the upstream may take to finish its handshake
     */
    public record Settings(Path caFile, Duration handshakeTimeout) {
        public Settings {
            Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
            if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
                throw new IllegalArgumentException("handshakeTimeout: " + handshakeTimeout + " (expected: > 0)");
            }
        }

        public static Settings systemTrust() {
            return new Settings(null, Duration.ofSeconds(10));
        }
    }

    /** The context and the settings it was built from, swapped together. */
    private record State(SslContext context, Settings settings) {
    }

    private final SslProvider provider;
    private volatile State state;

    private UpstreamTls(SslContext context, SslProvider provider, Settings settings) {
        this.provider = provider;
        this.state = new State(context, settings);
    }

    /**
     * Builds the client context. Blocking (reads the CA file, loads the native library): call at start, never on an
     * event loop.
     *
     * @throws SSLException when the CA file cannot be read or holds no certificate
     */
    public static UpstreamTls create(Settings settings) throws SSLException {
        Objects.requireNonNull(settings, "settings");
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        if (provider == SslProvider.JDK) {
            log.warn("BoringSSL (netty-tcnative) unavailable ({}); upstream TLS uses the JDK engine",
                    String.valueOf(OpenSsl.unavailabilityCause()));
        }
        return new UpstreamTls(build(settings, provider), provider, settings);
    }

    /**
     * Re-reads the CA file (or the system trust store) and uses {@code settings} for new upstream connections. Blocking
     * (reads the file): a reload thread, never an event loop.
     *
     * @throws SSLException when the CA file cannot be read or holds no certificate; the previous trust stays
     */
    public void reload(Settings settings) throws SSLException {
        Objects.requireNonNull(settings, "settings");
        state = new State(build(settings, provider), settings);
    }

    /** The settings in force. */
    public Settings settings() {
        return state.settings();
    }

    private static SslContext build(Settings settings, SslProvider provider) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forClient()
                .sslProvider(provider)
                .protocols("TLSv1.3", "TLSv1.2")
                .endpointIdentificationAlgorithm("HTTPS")
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_1_1));
        if (settings.caFile() != null) {
            if (!Files.isReadable(settings.caFile())) {
                throw new SSLException("upstream CA file " + settings.caFile() + " is not readable");
            }
            b.trustManager(settings.caFile().toFile());
        }
        return b.build();
    }

    /** {@code boringssl} or {@code jdk}. */
    public String provider() {
        return provider == SslProvider.OPENSSL ? "boringssl" : "jdk";
    }

    /**
     * A client handler for {@code host} (SNI and the name verified) on {@code port}. Its handshake future completes
     * on the channel's event loop.
     */
    public SslHandler newHandler(ByteBufAllocator alloc, String host, int port) {
        State s = state;
        SslHandler h = s.context().newHandler(alloc, host, port);
        h.setHandshakeTimeoutMillis(s.settings().handshakeTimeout().toMillis());
        return h;
    }

    /** Names the cause of a failed upstream handshake, looking through the exception chain. */
    public static Failure classify(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException) {
                return Failure.EXPIRED;
            }
            if (t instanceof CertPathValidatorException v
                    && v.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                return Failure.EXPIRED;
            }
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("no subject alternative") || m.contains("doesn't match") || m.contains("does not match")
                    || m.contains("hostname")) {
                return Failure.NAME_MISMATCH;
            }
            if (m.contains("expired") || m.contains("not yet valid") || m.contains("validity")) {
                return Failure.EXPIRED;
            }
            if (m.contains("unable to find valid certification path") || m.contains("self signed")
                    || m.contains("self-signed") || m.contains("unknown ca") || m.contains("path building")) {
                return Failure.UNTRUSTED;
            }
        }
        return Failure.HANDSHAKE;
    }
}
