package io.clawgress.appliance.ctl;

import io.clawgress.intercept.ca.AgentCertIssuer;
import io.clawgress.intercept.ca.InterceptCa;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code clawgressctl ca export [--agents]}, in-process, on CAs in a temp state dir. */
class CaCommandsTest {

    @TempDir
    Path tmp;

    Path state;
    Path caDir;

    @BeforeEach
    void setUp() throws Exception {
        state = Files.createDirectory(tmp.resolve("state"));
        caDir = InterceptCa.directoryIn(state);
    }

    @Test
    void exportsTheInterceptRootOnStdout() throws Exception {
        InterceptCa ca = InterceptCa.openOrCreate(caDir, Ctl.CLOCK);

        Ctl.Run run = Ctl.run("ca", "export", "--state-dir", state.toString());

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo(ca.exportPem()).startsWith("-----BEGIN CERTIFICATE-----\n");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void exportsIntoAFileWithMode0644() throws Exception {
        InterceptCa ca = InterceptCa.openOrCreate(caDir, Ctl.CLOCK);
        Path out = tmp.resolve("intercept-ca.pem");
        Files.writeString(out, "old\n"); // public material: replaced, not refused

        Ctl.Run run = Ctl.run("ca", "export", "--state-dir", state.toString(), "--out", out.toString());

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(Files.readString(out)).isEqualTo(ca.exportPem());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rw-r--r--");
        assertThat(run.out()).contains("intercept root CA certificate").contains(out.toString());
    }

    @Test
    void noCaYetIsAFailureThatSaysWhoCreatesIt() {
        Ctl.Run run = Ctl.run("ca", "export", "--state-dir", state.toString());

        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("intercept-root.pem").contains("clawgressd creates it at its first start");
        assertThat(caDir).doesNotExist(); // export never creates a CA
    }

    @Test
    void missingStateDirIsAFailure() {
        Ctl.Run run = Ctl.run("ca", "export", "--state-dir", tmp.resolve("nope").toString());

        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains("no such directory");
    }

    @Test
    void exportsTheAgentsCa() throws Exception {
        Ctl.Run none = Ctl.run("ca", "export", "--agents", "--state-dir", state.toString());
        assertThat(none.exit()).as(none.toString()).isEqualTo(1);
        assertThat(none.err()).contains("agents-root.pem").contains("clawgressctl agent cert");

        InterceptCa.openOrCreate(caDir, Ctl.CLOCK);
        AgentCertIssuer agents = AgentCertIssuer.openOrCreate(caDir, "agents.example.com", Ctl.CLOCK);

        Ctl.Run run = Ctl.run("ca", "export", "--agents", "--state-dir", state.toString());

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo(agents.caCertificatePem());
        assertThat(Ctl.run("ca", "export", "--state-dir", state.toString()).out()).isNotEqualTo(run.out());
    }

    @Test
    void corruptCertificateIsAFailureWithoutTheFirstStartHint() throws Exception {
        Files.createDirectory(caDir);
        Files.writeString(caDir.resolve(InterceptCa.CERT_FILE), "not a certificate\n");

        Ctl.Run run = Ctl.run("ca", "export", "--state-dir", state.toString());

        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        assertThat(run.err()).contains("intercept-root.pem").doesNotContain("first start");
    }

    @Test
    void caWithoutVerbPrintsUsage() {
        Ctl.Run run = Ctl.run("ca");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("export");
    }
}
