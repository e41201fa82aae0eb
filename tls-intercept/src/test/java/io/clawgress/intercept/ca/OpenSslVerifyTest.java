package io.clawgress.intercept.ca;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 5, acceptance 7: {@code openssl verify} accepts a minted chain against the exported CA, and rejects a leaf,
 * signed by the intermediate's own key, for a name outside its nameConstraints. Needs the {@code openssl} CLI:
 * skipped loudly without it, a failure with {@code CI=true}.
 */
class OpenSslVerifyTest {

    private static Path openssl;

    @TempDir
    Path dir;

    private InterceptCa ca;
    private Intermediate intermediate;
    private LeafMinter minter;
    private Path rootPem;
    private Path intermediatePem;

    @BeforeAll
    static void findOpenssl() {
        openssl = onPath("openssl");
        if (openssl == null && !"true".equalsIgnoreCase(System.getenv("CI"))) {
            System.err.println("""

                    ************************************************************************
                    * SKIPPING OpenSslVerifyTest (issue 5, acceptance 7): %s
                    * Install openssl, or set CI=true to turn this skip into a failure.
                    ************************************************************************
                    """.formatted(missing()));
        }
    }

    /** Per test, so each one is reported as skipped (or failed), not silently absent. */
    private static void requireOpenssl() {
        if (openssl != null) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("CI=true, so this is a failure, not a skip: " + missing());
        }
        Assumptions.abort("SKIPPED (not CI): " + missing());
    }

    private static String missing() {
        return "'openssl' is not on PATH (" + System.getenv("PATH") + ")";
    }

    @BeforeEach
    void setUp() throws Exception {
        requireOpenssl();
        // openssl verify checks validity at the real current time, so the CA uses the real clock.
        ca = InterceptCa.openOrCreate(dir.resolve("ca"), Clock.systemUTC());
        intermediate = ca.issueIntermediate(InterceptNames.of(List.of("api.example.com", "*.example.org")),
                Duration.ofDays(7));
        minter = new LeafMinter(intermediate, LeafMinter.Settings.DEFAULTS, Clock.systemUTC());
        rootPem = write("root.pem", ca.exportPem());
        intermediatePem = write("intermediate.pem", intermediate.certificatePem());
    }

    @Test
    void acceptsMintedChainsAgainstTheExportedCa() throws Exception {
        for (String sni : List.of("api.example.com", "x.example.org", "deep.x.example.org")) {
            Path leaf = write(sni + ".pem", Pem.certificate(minter.mint(sni, Runnable::run).join().certificate()));

            Result r = verify(leaf);
            assertThat(r.exit()).as(sni + ": " + r.output()).isZero();
            assertThat(r.output()).contains(leaf + ": OK");

            Result strict = verify(leaf, "-purpose", "sslserver", "-verify_hostname", sni, "-x509_strict");
            assertThat(strict.exit()).as(sni + " (sslserver, hostname, strict): " + strict.output()).isZero();
        }
    }

    @Test
    void acceptsTheChainPemAsAServerWouldSendIt() throws Exception {
        MintedLeaf leaf = minter.mint("api.example.com", Runnable::run).join();
        Path chain = write("chain.pem", leaf.chainPem());
        Path leafOnly = write("leaf.pem", Pem.certificate(leaf.certificate()));

        Result r = run(List.of(openssl.toString(), "verify", "-CAfile", rootPem.toString(), "-untrusted",
                chain.toString(), leafOnly.toString()));

        assertThat(r.exit()).as(r.output()).isZero();
    }

    @Test
    void rejectsALeafOutsideThePermittedSubtrees() throws Exception {
        for (String outside : List.of("evil.example.net", "example.org", "api.example.com.evil.net")) {
            Path leaf = write(outside + ".pem", Pem.certificate(forgedLeaf(outside)));

            Result r = verify(leaf);

            assertThat(r.exit()).as(outside + ": " + r.output()).isNotZero();
            assertThat(r.output()).as(outside).contains("permitted subtree violation");
        }
    }

    @Test
    void rejectsASubdomainOfAnExactHost() throws Exception {
        Path leaf = write("sub.pem", Pem.certificate(forgedLeaf("x.api.example.com")));

        Result r = verify(leaf);

        assertThat(r.exit()).as(r.output()).isNotZero();
        assertThat(r.output()).contains("excluded subtree violation");
    }

    @Test
    void rejectsALeafForAnIpAddress() throws Exception {
        Path leaf = write("ip.pem", Pem.certificate(forgedIpLeaf()));

        Result r = verify(leaf);

        assertThat(r.exit()).as(r.output()).isNotZero();
        assertThat(r.output()).contains("excluded subtree violation");
    }

    @Test
    void rejectsAChainAgainstAnotherCa() throws Exception {
        Path otherRoot = write("other-root.pem", InterceptCa.openOrCreate(dir.resolve("other"), Clock.systemUTC())
                .exportPem());
        Path leaf = write("leaf.pem", Pem.certificate(minter.mint("api.example.com", Runnable::run).join()
                .certificate()));

        Result r = run(List.of(openssl.toString(), "verify", "-CAfile", otherRoot.toString(), "-untrusted",
                intermediatePem.toString(), leaf.toString()));

        assertThat(r.exit()).as(r.output()).isNotZero();
    }

    /** A leaf with the minter's profile, signed with the intermediate's key, bypassing the minter's name check. */
    private X509Certificate forgedLeaf(String name) {
        Certs.P256Key kp = Certs.newP256Key();
        Instant now = Instant.now();
        return LeafMinter.buildLeaf(intermediate, name, kp.publicKeyInfo(), now.minusSeconds(300),
                now.plusSeconds(3600));
    }

    private X509Certificate forgedIpLeaf() throws Exception {
        Certs.P256Key kp = Certs.newP256Key();
        Instant now = Instant.now();
        X509v3CertificateBuilder b = Certs.builder(
                X500Name.getInstance(intermediate.certificate().getSubjectX500Principal().getEncoded()),
                Certs.name("api.example.com", null), kp.publicKeyInfo(), now.minusSeconds(300), now.plusSeconds(3600));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "api.example.com"),
                new GeneralName(GeneralName.iPAddress, "93.184.216.34")}));
        return Certs.sign(b, intermediate.signingKey());
    }

    private Result verify(Path leaf, String... options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(openssl.toString(), "verify"));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("-CAfile", rootPem.toString(), "-untrusted", intermediatePem.toString(), leaf.toString()));
        return run(cmd);
    }

    private Path write(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl did not finish in 30 s: " + cmd);
        }
        return new Result(p.exitValue(), String.join(" ", cmd) + "\n" + out);
    }

    private static Path onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String d : path.split(File.pathSeparator)) {
            Path c = d.isEmpty() ? null : Path.of(d, tool);
            if (c != null && Files.isRegularFile(c) && Files.isExecutable(c)) {
                return c;
            }
        }
        return null;
    }
}
