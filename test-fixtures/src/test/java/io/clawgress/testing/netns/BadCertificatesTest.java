package io.clawgress.testing.netns;

import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Each bad certificate is refused by the JDK and by openssl for its one reason, and only for that reason. */
class BadCertificatesTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String NAME = "upstream.test";

    @TempDir
    Path dir;

    private TestPki trusted;
    private BadCertificates bad;

    @BeforeEach
    void create() {
        trusted = TestPki.create(dir.resolve("pki"), NAME);
        bad = BadCertificates.create(dir.resolve("bad"), trusted, NAME);
    }

    @Test
    void filesAreLoneLeavesWithPkcs8EcKeys() throws Exception {
        for (Path cert : List.of(bad.selfSignedCert(), bad.expiredCert(), bad.wrongNameCert())) {
            assertThat(Files.readString(cert)).as(cert.toString()).containsOnlyOnce("BEGIN CERTIFICATE");
            X509Certificate c = certificate(cert);
            assertThat(c.getBasicConstraints()).as("not a CA").isEqualTo(-1);
            assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
            assertThat(c.getPublicKey().getAlgorithm()).isEqualTo("EC");
        }
        for (Path key : List.of(bad.selfSignedKey(), bad.expiredKey(), bad.wrongNameKey())) {
            assertThat(Files.readString(key)).as(key.toString()).startsWith("-----BEGIN PRIVATE KEY-----");
        }
        assertThat(bad.dir()).isEqualTo(dir.resolve("bad").toAbsolutePath());
    }

    @Test
    void selfSignedIsForTheNameButChainsToNothingTrusted() throws Exception {
        X509Certificate c = certificate(bad.selfSignedCert());
        assertThat(sans(c)).containsExactly(NAME);
        assertThat(c.getIssuerX500Principal()).isEqualTo(c.getSubjectX500Principal());
        c.verify(c.getPublicKey());
        c.checkValidity();

        Throwable refused = catchThrowable(() -> trustManager().checkServerTrusted(chain(c), "ECDHE_ECDSA"));
        assertThat(refused).isInstanceOf(CertificateException.class);
        assertThat(causes(refused)).anyMatch(CertPathBuilderException.class::isInstance);
        assertThat(causes(refused)).noneMatch(CertificateExpiredException.class::isInstance);
    }

    @Test
    void expiredIsForTheNameAndSignedByTheTrustedCaButOutOfDate() throws Exception {
        X509Certificate c = certificate(bad.expiredCert());
        assertThat(sans(c)).containsExactly(NAME);
        c.verify(certificate(trusted.caCert()).getPublicKey());
        assertThat(c.getNotBefore().toInstant()).isEqualTo(Instant.parse("2020-01-01T00:00:00Z"));
        assertThat(c.getNotAfter().toInstant()).isEqualTo(Instant.parse("2020-01-02T00:00:00Z"));

        Throwable refused = catchThrowable(() -> trustManager().checkServerTrusted(chain(c), "ECDHE_ECDSA"));
        assertThat(refused).isInstanceOf(CertificateException.class);
        assertThat(causes(refused)).anyMatch(CertificateExpiredException.class::isInstance);
    }

    @Test
    void wrongNameChainsToTheTrustedCaButNamesSomeoneElse() throws Exception {
        X509Certificate c = certificate(bad.wrongNameCert());
        assertThat(sans(c)).containsExactly("other-" + NAME).containsExactly(bad.wrongName());
        c.verify(certificate(trusted.caCert()).getPublicKey());
        c.checkValidity();
        // Trusted as far as the path goes: only the name check refuses it.
        trustManager().checkServerTrusted(chain(c), "ECDHE_ECDSA");
    }

    @Test
    void opensslAgreesOnEachReason() {
        String ca = trusted.caCert().toString();
        assertThat(verify("-CAfile", ca, "-verify_hostname", NAME, trusted.leafCert().toString()).ok()).isTrue();
        ExecResult selfSigned = verify("-CAfile", ca, bad.selfSignedCert().toString());
        assertThat(selfSigned.ok()).isFalse();
        assertThat(selfSigned.stdout() + selfSigned.stderr()).contains("self-signed certificate");
        ExecResult expired = verify("-CAfile", ca, bad.expiredCert().toString());
        assertThat(expired.ok()).isFalse();
        assertThat(expired.stdout() + expired.stderr()).contains("certificate has expired");
        ExecResult wrongName = verify("-CAfile", ca, "-verify_hostname", NAME, bad.wrongNameCert().toString());
        assertThat(wrongName.ok()).isFalse();
        assertThat(wrongName.stdout() + wrongName.stderr()).contains("hostname mismatch");
        assertThat(verify("-CAfile", ca, "-verify_hostname", bad.wrongName(), bad.wrongNameCert().toString()).ok())
                .isTrue();
    }

    @Test
    void aJdkClientRefusesEachInARealHandshakeForItsReason() throws Exception {
        List<ManagedProcess> origins = new ArrayList<>();
        try {
            int good = origin(origins, trusted.leafCert(), trusted.leafKey());
            int selfSigned = origin(origins, bad.selfSignedCert(), bad.selfSignedKey());
            int expired = origin(origins, bad.expiredCert(), bad.expiredKey());
            int wrongName = origin(origins, bad.wrongNameCert(), bad.wrongNameKey());

            try (SSLSocket s = handshake(good)) {
                assertThat(s.getSession().getPeerPrincipal().getName()).contains("CN=" + NAME);
            }
            assertRefused(selfSigned, CertPathBuilderException.class::isInstance);
            assertRefused(expired, CertificateExpiredException.class::isInstance);
            assertRefused(wrongName, t -> t instanceof CertificateException
                    && String.valueOf(t.getMessage()).contains("No subject alternative DNS name matching " + NAME));
        } finally {
            origins.forEach(p -> p.stop(Duration.ofSeconds(2)));
        }
    }

    @Test
    void canShareTheTrustedPkisDirectoryAndBeMadeAgain() throws Exception {
        BadCertificates here = BadCertificates.create(trusted.dir(), trusted, NAME);
        BadCertificates again = BadCertificates.create(trusted.dir(), trusted, NAME);
        assertThat(again).isEqualTo(here);
        assertThat(certificate(trusted.leafCert()).getSubjectX500Principal().getName()).contains("CN=" + NAME);
        assertThat(certificate(again.expiredCert()).getNotAfter().toInstant())
                .isEqualTo(Instant.parse("2020-01-02T00:00:00Z"));
    }

    @Test
    void rejectsNamesItCannotPrefix() {
        assertThatThrownBy(() -> BadCertificates.create(dir, trusted, "*.wild.test"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: a DNS name");
        assertThatThrownBy(() -> BadCertificates.create(dir, trusted, "a.test, DNS:evil.test"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BadCertificates.create(dir, trusted, "x".repeat(58) + ".test"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private int origin(List<ManagedProcess> started, Path cert, Path key) {
        ManagedProcess p = Peer.spawnOnLoopback("origin", dir, "origin-server", "--bind", "127.0.0.1", "--port", "0",
                "--tls-cert", cert.toString(), "--tls-key", key.toString());
        started.add(p);
        return p.awaitEvent("ready", WAIT).get("port").asInt();
    }

    private void assertRefused(int port, Predicate<Throwable> reason) {
        Throwable refused = catchThrowable(() -> handshake(port).close());
        assertThat(refused).isInstanceOf(SSLHandshakeException.class);
        assertThat(causes(refused)).as("causes of " + refused).anyMatch(reason);
    }

    /** A client as a gateway's upstream side should be: SNI and HTTPS name check for NAME, trusting the CA only. */
    private SSLSocket handshake(int port) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, trustManagerFactory().getTrustManagers(), null);
        Socket raw = new Socket(InetAddress.getLoopbackAddress(), port);
        raw.setSoTimeout((int) WAIT.toMillis());
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, NAME, port, true);
        SSLParameters params = s.getSSLParameters();
        params.setServerNames(List.of(new SNIHostName(NAME)));
        params.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(params);
        try {
            s.startHandshake();
            return s;
        } catch (Exception e) {
            s.close();
            throw e;
        }
    }

    private ExecResult verify(String... args) {
        List<String> cmd = new ArrayList<>(List.of("openssl", "verify"));
        cmd.addAll(List.of(args));
        return Exec.run(cmd, WAIT, null);
    }

    private TrustManagerFactory trustManagerFactory() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", certificate(trusted.caCert()));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ks);
        return tmf;
    }

    private X509TrustManager trustManager() throws Exception {
        return (X509TrustManager) trustManagerFactory().getTrustManagers()[0];
    }

    private static X509Certificate[] chain(X509Certificate leaf) {
        return new X509Certificate[]{leaf};
    }

    private static List<Throwable> causes(Throwable t) {
        List<Throwable> all = new ArrayList<>();
        for (Throwable c = t; c != null && !all.contains(c); c = c.getCause()) {
            all.add(c);
        }
        return all;
    }

    private static List<String> sans(X509Certificate c) throws Exception {
        return c.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList();
    }

    private static X509Certificate certificate(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
