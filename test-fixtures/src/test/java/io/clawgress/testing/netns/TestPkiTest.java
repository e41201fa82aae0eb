package io.clawgress.testing.netns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The openssl-made test PKI: verifiable by openssl itself, loadable by the JDK, names as asked. */
class TestPkiTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void leafVerifiesAgainstItsCaForItsNames() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), List.of("allowed.test", "*.wild.test", "198.18.2.2"));
        assertThat(List.of(pki.caCert(), pki.caKey(), pki.leafCert(), pki.leafKey(), pki.pkcs12()))
                .allMatch(Files::isRegularFile)
                .allMatch(p -> p.getParent().equals(dir.resolve("pki").toAbsolutePath()));

        ExecResult verify = openssl("verify", "-CAfile", pki.caCert().toString(), "-purpose", "sslserver",
                "-verify_hostname", "allowed.test", pki.leafCert().toString());
        assertThat(verify.stdout().trim()).isEqualTo(pki.leafCert() + ": OK");
        openssl("verify", "-CAfile", pki.caCert().toString(), "-verify_hostname", "api.wild.test",
                pki.leafCert().toString());
        openssl("verify", "-CAfile", pki.caCert().toString(), "-verify_ip", "198.18.2.2", pki.leafCert().toString());
        ExecResult wrongName = Exec.run(List.of("openssl", "verify", "-CAfile", pki.caCert().toString(),
                "-verify_hostname", "denied.test", pki.leafCert().toString()), WAIT, null);
        assertThat(wrongName.ok()).as(wrongName.describe()).isFalse();
        // A second PKI has its own CA: its leaf does not verify against the first one.
        TestPki other = TestPki.create(dir.resolve("other"), "allowed.test");
        assertThat(Exec.run(List.of("openssl", "verify", "-CAfile", pki.caCert().toString(),
                other.leafCert().toString()), WAIT, null).ok()).isFalse();

        String text = openssl("x509", "-in", pki.leafCert().toString(), "-noout", "-text").stdout();
        assertThat(text).contains("DNS:allowed.test, DNS:*.wild.test, IP Address:198.18.2.2")
                .contains("ASN1 OID: prime256v1").contains("ecdsa-with-SHA256")
                .contains("TLS Web Server Authentication").contains("CA:FALSE");

        X509Certificate ca = certificate(pki.caCert());
        X509Certificate leaf = certificate(pki.leafCert());
        leaf.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).isZero();
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(leaf.getSubjectAlternativeNames()).extracting(n -> (Object) n.get(1))
                .containsExactly("allowed.test", "*.wild.test", "198.18.2.2");
        assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()))
                .isEqualTo(Duration.ofDays(1));
        assertThat(leaf.getNotBefore().toInstant()).isBefore(Instant.now().plusSeconds(1));
    }

    @Test
    void pkcs12HoldsTheLeafKeyAndChainForTheJdk() throws Exception {
        TestPki pki = TestPki.create(dir, "allowed.test");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(pki.pkcs12())) {
            ks.load(in, pki.pkcs12Password().toCharArray());
        }
        Key key = ks.getKey(TestPki.PKCS12_ALIAS, pki.pkcs12Password().toCharArray());
        assertThat(key).isInstanceOf(ECPrivateKey.class);
        assertThat(((ECPrivateKey) key).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
        Certificate[] chain = ks.getCertificateChain(TestPki.PKCS12_ALIAS);
        assertThat(chain).containsExactly(certificate(pki.leafCert()), certificate(pki.caCert()));
    }

    @Test
    void rejectsNamesThatAreNotHostNames() {
        assertThatThrownBy(() -> TestPki.create(dir, "allowed.test, DNS:evil.test"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: a DNS name");
        assertThatThrownBy(() -> TestPki.create(dir, "bad name")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TestPki.create(dir, "a\nsubjectAltName=DNS:x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TestPki.create(dir, List.of())).hasMessageContaining("names: empty");
    }

    private static ExecResult openssl(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        return Exec.runOk(cmd, WAIT);
    }

    private static X509Certificate certificate(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
