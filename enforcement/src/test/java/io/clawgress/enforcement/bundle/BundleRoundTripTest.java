package io.clawgress.enforcement.bundle;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.clawgress.enforcement.bundle.BundleFixture.ACTIVE;
import static io.clawgress.enforcement.bundle.BundleFixture.EXPIRES;
import static io.clawgress.enforcement.bundle.BundleFixture.NOT_BEFORE;
import static io.clawgress.enforcement.bundle.BundleFixture.NOW;
import static io.clawgress.enforcement.bundle.BundleFixture.REVISION;
import static org.assertj.core.api.Assertions.assertThat;

class BundleRoundTripTest {

    private static final BundleFixture FX = new BundleFixture();

    @ParameterizedTest
    @EnumSource(SigningAlg.class)
    void buildReadVerify(SigningAlg alg) throws Exception {
        KeyGen.GeneratedKey key = alg == SigningAlg.EDDSA ? FX.ed : FX.ec;
        byte[] bundle = FX.build(FX.key(key), REVISION);

        UnpackedBundle unpacked = BundleReader.read(bundle, Limits.DEFAULTS);
        VerifiedBundle verified = BundleVerifier.verify(unpacked, FX.trusted, NOW, ACTIVE, false);

        assertThat(verified.revision()).isEqualTo(REVISION);
        assertThat(verified.kid()).isEqualTo(key.kid());
        assertThat(verified.notBefore()).isEqualTo(NOT_BEFORE);
        assertThat(verified.expires()).isEqualTo(EXPIRES);
        assertThat(verified.files().keySet()).containsExactlyElementsOf(BundleFixture.files().keySet());
        BundleFixture.files().forEach((path, bytes) -> assertThat(verified.files().get(path)).isEqualTo(bytes));
    }

    @Test
    void eddsaBuildIsByteForByteReproducible() {
        assertThat(FX.buildEd()).isEqualTo(FX.buildEd());
    }

    @Test
    void es256BuildsDifferOnlyInTheSignature() throws Exception {
        UnpackedBundle a = BundleReader.read(FX.build(FX.key(FX.ec), REVISION), Limits.DEFAULTS);
        UnpackedBundle b = BundleReader.read(FX.build(FX.key(FX.ec), REVISION), Limits.DEFAULTS);
        assertThat(a.files().keySet()).isEqualTo(b.files().keySet());
        a.files().forEach((path, bytes) -> assertThat(b.files().get(path)).isEqualTo(bytes));
    }

    @Test
    void entriesAreSortedWithSignaturesFirstAndFixedMetadata() throws Exception {
        byte[] tar = BundleReader.gunzip(FX.buildEd(), Limits.DEFAULTS.maxUncompressedBytes());
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
                new java.io.ByteArrayInputStream(tar))) {
            List<String> names = new java.util.ArrayList<>();
            org.apache.commons.compress.archivers.tar.TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                names.add(e.getName());
                assertThat(e.getModTime().getTime()).isZero();
                assertThat(e.getLongUserId()).isZero();
                assertThat(e.getLongGroupId()).isZero();
                assertThat(e.getMode()).isEqualTo(0100644);
            }
            assertThat(names).containsExactly(".signatures.json", "empty.txt", "identity/subnets.yaml",
                    "policies/no-metadata.yaml", "policies/research.yaml");
        }
        byte[] gz = FX.buildEd();
        assertThat(new byte[] {gz[4], gz[5], gz[6], gz[7]}).as("gzip MTIME").containsOnly(0);
    }

    @Test
    void buildsFromADirectoryLikeFromAMap(@TempDir Path dir) throws Exception {
        for (Map.Entry<String, byte[]> e : BundleFixture.files().entrySet()) {
            Path file = dir.resolve(e.getKey());
            Files.createDirectories(file.getParent());
            Files.write(file, e.getValue());
        }
        byte[] fromDir = BundleBuilder.build(dir, FX.key(FX.ed), REVISION, NOT_BEFORE, EXPIRES);
        assertThat(fromDir).isEqualTo(FX.buildEd());
    }

    @Test
    void directoryEntriesAreAcceptedAndIgnored() throws Exception {
        UnpackedBundle built = BundleReader.read(FX.buildEd(), Limits.DEFAULTS);
        List<Tars.Entry> entries = new java.util.ArrayList<>(Tars.entriesOf(built));
        entries.add(1, Tars.Entry.dir("policies/"));
        entries.add(1, Tars.Entry.dir("identity"));
        UnpackedBundle withDirs = BundleReader.read(Tars.tarGz(entries), Limits.DEFAULTS);
        assertThat(BundleVerifier.verify(withDirs, FX.trusted, NOW, ACTIVE, false).files())
                .containsOnlyKeys(BundleFixture.files().keySet());
    }

    @Test
    void rollbackAllowsEqualAndLowerRevisions() throws Exception {
        UnpackedBundle bundle = BundleReader.read(FX.buildEd(), Limits.DEFAULTS);
        assertThat(BundleVerifier.verify(bundle, FX.trusted, NOW, REVISION, true).revision()).isEqualTo(REVISION);
        assertThat(BundleVerifier.verify(bundle, FX.trusted, NOW, REVISION + 10, true).revision()).isEqualTo(REVISION);
    }

    @Test
    void clockSkewIsToleratedAtBothEnds() throws Exception {
        UnpackedBundle bundle = BundleReader.read(FX.buildEd(), Limits.DEFAULTS);
        var skew = BundleFormat.CLOCK_SKEW.minusSeconds(1);
        assertThat(BundleVerifier.verify(bundle, FX.trusted, NOT_BEFORE.minus(skew), ACTIVE, false)).isNotNull();
        assertThat(BundleVerifier.verify(bundle, FX.trusted, EXPIRES.plus(skew), ACTIVE, false)).isNotNull();
    }

    @Test
    void gzipHeaderWithFileNameAndCommentIsAccepted() throws Exception {
        byte[] gz = FX.buildEd();
        byte[] extra = "bundle.tar\0signed by ops\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] named = new byte[gz.length + extra.length];
        System.arraycopy(gz, 0, named, 0, 10);
        named[3] = 0x08 | 0x10; // FNAME | FCOMMENT, RFC 1952 §2.3.1
        System.arraycopy(extra, 0, named, 10, extra.length);
        System.arraycopy(gz, 10, named, 10 + extra.length, gz.length - 10);
        assertThat(BundleVerifier.verify(BundleReader.read(named, Limits.DEFAULTS), FX.trusted, NOW, ACTIVE, false)
                .revision()).isEqualTo(REVISION);
    }

    @Test
    void anEndlessInputIsReadOnlyUpToTheCompressedLimit() {
        long[] served = {0};
        java.io.InputStream endless = new java.io.InputStream() {
            @Override
            public int read() {
                served[0]++;
                return 0x1f;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) 0x1f);
                served[0] += len;
                return len;
            }
        };
        Limits limits = new Limits(1024, 4096, 8, 1024, 64, 1024);
        BundleException e = org.assertj.core.api.Assertions.catchThrowableOfType(BundleException.class,
                () -> BundleReader.read(endless, limits));
        assertThat(e.reason()).isEqualTo(BundleException.Reason.TOO_LARGE);
        assertThat(served[0]).isLessThanOrEqualTo(1025);
    }
}
