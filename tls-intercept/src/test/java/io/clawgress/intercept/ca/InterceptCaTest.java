package io.clawgress.intercept.ca;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InterceptCaTest {

    @TempDir
    Path state;

    private Path caDir() {
        return InterceptCa.directoryIn(state);
    }

    @Test
    void createsTheRootAtFirstStartWithPrivateFiles() throws Exception {
        InterceptCa ca = InterceptCa.openOrCreate(caDir(), Clock.systemUTC());

        assertThat(ca.created()).isTrue();
        assertThat(caDir()).isEqualTo(state.resolve("intercept-ca"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir()))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir().resolve(InterceptCa.KEY_FILE))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ca.certificateFile())))
                .isEqualTo("rw-r--r--");
        try (var files = Files.list(caDir())) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(InterceptCa.KEY_FILE, InterceptCa.CERT_FILE); // no temp files left
        }
        assertThat(Files.readString(caDir().resolve(InterceptCa.KEY_FILE)))
                .startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
    }

    @Test
    void rootIsASelfSignedP256CaWithPathLenOneForTenYears() throws Exception {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        X509Certificate root = InterceptCa.openOrCreate(caDir(), new MutableClock(now)).certificate();

        assertThat(root.getSubjectX500Principal().getName())
                .matches("CN=Clawgress Intercept Root [0-9a-f]{8},O=Clawgress");
        assertThat(root.getIssuerX500Principal()).isEqualTo(root.getSubjectX500Principal());
        root.verify(root.getPublicKey());
        assertThat(Certs.isP256(root.getPublicKey())).isTrue();
        assertThat(root.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(root.getBasicConstraints()).isEqualTo(1);
        assertThat(root.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
        // keyCertSign (5) and cRLSign (6) only
        assertThat(root.getKeyUsage()).containsExactly(false, false, false, false, false, true, true, false, false);
        assertThat(root.getNotBefore().toInstant()).isEqualTo(now.minus(Duration.ofMinutes(5)));
        assertThat(root.getNotAfter().toInstant()).isEqualTo(now.plus(Duration.ofDays(3650)));
        assertThat(root.getSerialNumber().bitLength()).isBetween(100, 128);
    }

    @Test
    void loadsTheSameRootOnLaterStarts() throws Exception {
        InterceptCa first = InterceptCa.openOrCreate(caDir(), Clock.systemUTC());
        String pem = Files.readString(first.certificateFile());

        InterceptCa second = InterceptCa.openOrCreate(caDir(), Clock.systemUTC());

        assertThat(second.created()).isFalse();
        assertThat(second.certificate()).isEqualTo(first.certificate());
        assertThat(second.exportPem()).isEqualTo(pem);
        assertThat(InterceptCa.exportPem(caDir())).isEqualTo(pem);
        assertThat(Files.readString(first.certificateFile())).isEqualTo(pem);
    }

    @Test
    void loadsAnSec1KeyTooButRefusesAnEncryptedOne() throws Exception {
        InterceptCa first = InterceptCa.openOrCreate(caDir(), Clock.systemUTC());
        Path key = caDir().resolve(InterceptCa.KEY_FILE);
        byte[] pkcs8 = Pem.readEcPrivateKey(Files.readString(key)).getEncoded();
        // SEC 1 ECPrivateKey with the curve named inside, as 'openssl ec' writes it (RFC 5915 §3)
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8);
        ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
        byte[] sec1 = new ECPrivateKey(256, inner.getKey(), info.getPrivateKeyAlgorithm().getParameters()).getEncoded();
        Files.writeString(key, Pem.encode("EC PRIVATE KEY", sec1));

        assertThat(InterceptCa.openOrCreate(caDir(), Clock.systemUTC()).certificate()).isEqualTo(first.certificate());

        Files.writeString(key, """
                -----BEGIN ENCRYPTED PRIVATE KEY-----
                MIIBBjBhBgkqhkiG9w0BBQ0wVDA0BgkqhkiG9w0BBQwwJwQQ
                -----END ENCRYPTED PRIVATE KEY-----
                """);

        assertThatThrownBy(() -> InterceptCa.openOrCreate(caDir(), Clock.systemUTC()))
                .isInstanceOf(CaException.class)
                .hasMessageContaining(key + " is not a readable EC private key");
    }

    @Test
    void refusesACorruptedCertificate() throws Exception {
        InterceptCa.openOrCreate(caDir(), Clock.systemUTC());
        Path cert = caDir().resolve(InterceptCa.CERT_FILE);
        String pem = Files.readString(cert);
        Files.writeString(cert, pem.substring(0, 100) + "AAAA" + pem.substring(104));

        assertThatThrownBy(() -> InterceptCa.openOrCreate(caDir(), Clock.systemUTC()))
                .isInstanceOf(CaException.class)
                .hasMessageContaining("intercept CA: " + cert)
                .hasMessageContaining("Move " + caDir() + " aside to generate a new CA");
    }

    @Test
    void refusesGarbageAndEmptyFiles() throws Exception {
        InterceptCa.openOrCreate(caDir(), Clock.systemUTC());
        Path key = caDir().resolve(InterceptCa.KEY_FILE);
        Files.writeString(key, "not pem at all");

        assertThatThrownBy(() -> InterceptCa.openOrCreate(caDir(), Clock.systemUTC()))
                .isInstanceOf(CaException.class)
                .hasMessageContaining(key + " is not a readable EC private key: 0 PEM objects");

        Files.writeString(caDir().resolve(InterceptCa.CERT_FILE), "");
        assertThatThrownBy(() -> InterceptCa.openOrCreate(caDir(), Clock.systemUTC()))
                .isInstanceOf(CaException.class)
                .hasMessageContaining("holds 0 certificates (expected: 1)");
    }

    @Test
    void refusesAKeyThatDoesNotMatchTheCertificate() throws Exception {
        InterceptCa.openOrCreate(caDir(), Clock.systemUTC());
        Path other = state.resolve("other");
        InterceptCa.openOrCreate(other, Clock.systemUTC());
        Files.copy(other.resolve(InterceptCa.KEY_FILE), caDir().resolve(InterceptCa.KEY_FILE),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        assertThatThrownBy(() -> InterceptCa.openOrCreate(caDir(), Clock.systemUTC()))
                .isInstanceOf(CaException.class)
                .hasMessageContaining("does not match the certificate");
    }

    @Test
    void refusesAnExpiredRootAndAClockBeforeIt() throws Exception {
        Instant created = Instant.parse("2026-01-01T00:00:00Z");
        InterceptCa.openOrCreate(caDir(), new MutableClock(created));

        assertThatThrownBy(() -> InterceptCa.openOrCreate(caDir(),
                new MutableClock(created.plus(Duration.ofDays(3651)))))
                .isInstanceOf(CaException.class)
                .hasMessageContaining("expired on 2035-12-30T00:00:00Z");
        assertThatThrownBy(() -> InterceptCa.openOrCreate(caDir(), new MutableClock(created.minusSeconds(3600))))
                .isInstanceOf(CaException.class)
                .hasMessageContaining("is not valid before 2025-12-31T23:55:00Z (is the system clock right?)");
    }

    @Test
    void refusesALeafCertificateInPlaceOfTheRoot() throws Exception {
        InterceptCa ca = InterceptCa.openOrCreate(caDir(), Clock.systemUTC());
        MintedLeaf leaf = new LeafMinter(ca.issueIntermediate(InterceptNames.of(List.of("a.example.com")),
                Duration.ofDays(7)), LeafMinter.Settings.DEFAULTS, Clock.systemUTC())
                .mint("a.example.com", Runnable::run).join();
        Files.writeString(caDir().resolve(InterceptCa.CERT_FILE), Pem.certificate(leaf.certificate()));
        Files.writeString(caDir().resolve(InterceptCa.KEY_FILE), leaf.privateKeyPem());

        assertThatThrownBy(() -> InterceptCa.openOrCreate(caDir(), Clock.systemUTC()))
                .isInstanceOf(CaException.class)
                .hasMessageContaining("is not a CA certificate");
    }

    @Test
    void refusesOneFileWithoutTheOtherAndNeverOverwrites() throws Exception {
        InterceptCa.openOrCreate(caDir(), Clock.systemUTC());
        Path key = caDir().resolve(InterceptCa.KEY_FILE);
        byte[] keyBytes = Files.readAllBytes(key);
        Files.delete(caDir().resolve(InterceptCa.CERT_FILE));

        assertThatThrownBy(() -> InterceptCa.openOrCreate(caDir(), Clock.systemUTC()))
                .isInstanceOf(CaException.class)
                .hasMessageContaining(key + " exists but " + caDir().resolve(InterceptCa.CERT_FILE) + " does not");
        assertThat(Files.readAllBytes(key)).isEqualTo(keyBytes);
    }

    @Test
    void writeNewRefusesAnExistingFile() throws Exception {
        Files.createDirectories(caDir());
        Path target = caDir().resolve("x.pem");
        Files.writeString(target, "original");

        assertThatThrownBy(() -> CaFiles.writeNew(target, "replacement", CaFiles.CERT_0644))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(Files.readString(target)).isEqualTo("original");
        try (var files = Files.list(caDir())) {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void refusesAKeyOrDirectoryOthersCanRead() throws Exception {
        InterceptCa.openOrCreate(caDir(), Clock.systemUTC());
        Path key = caDir().resolve(InterceptCa.KEY_FILE);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> InterceptCa.openOrCreate(caDir(), Clock.systemUTC()))
                .isInstanceOf(CaException.class)
                .hasMessageContaining("has mode rw-r--r--")
                .hasMessageContaining("fix: chmod 600 " + key);

        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(caDir(), PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatThrownBy(() -> InterceptCa.openOrCreate(caDir(), Clock.systemUTC()))
                .isInstanceOf(CaException.class)
                .hasMessageContaining("fix: chmod 700 " + caDir());
    }

    @Test
    void exportFromADirectoryWithoutACaSaysSo() {
        assertThatThrownBy(() -> InterceptCa.exportPem(caDir()))
                .isInstanceOf(CaException.class)
                .hasMessageContaining("does not exist (expected: clawgressd generates it at first start");
        assertThat(Files.exists(caDir())).isFalse();
    }

    @Test
    void exportedPemIsOneCertificate() throws Exception {
        InterceptCa ca = InterceptCa.openOrCreate(caDir(), Clock.systemUTC());

        List<X509Certificate> certs = Pem.readCertificates(ca.exportPem());

        assertThat(certs).containsExactly(ca.certificate());
        assertThat(ca.exportPem().getBytes(StandardCharsets.US_ASCII)).hasSizeLessThan(1024);
    }
}
