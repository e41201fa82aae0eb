package io.clawgress.appliance.ctl;

import io.clawgress.appliance.ExitCodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.clawgress.appliance.ctl.Ctl.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code flows list|kill} and {@code quota show} without a daemon: bad arguments are usage errors (2) before anything
 * is asked, and a missing socket is "cannot reach" (69). Against a running daemon: FlowsQuotaCtlE2EIT.
 */
class FlowsQuotaCommandsTest {

    @TempDir
    Path tmp;

    private String socket() {
        return tmp.resolve("admin.sock").toString();
    }

    @Test
    void badArgumentsAreUsageErrors() {
        String s = socket();
        assertThat(run("flows", "list", "--socket", s, "--limit", "0").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("flows", "list", "--socket", s, "--limit", "100001").exit()).isEqualTo(ExitCodes.USAGE);
        Ctl.Run dest = run("flows", "list", "--socket", s, "--dest", "example.com");
        assertThat(dest.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(dest.err()).contains("--dest: 'example.com'").contains("IP:PORT");
        assertThat(run("flows", "list", "--socket", s, "--agent", "-x").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("flows", "kill", "--socket", s).exit()).as("FLOW_ID missing").isEqualTo(ExitCodes.USAGE);
        Ctl.Run path = run("flows", "kill", "--socket", s, "../status");
        assertThat(path.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(path.err()).contains("FLOW_ID: '../status'");
        assertThat(run("flows", "kill", "--socket", s, "9f3a0c12-0000000000000001", "--reason", "a\u001bb").exit())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(run("quota", "show", "--socket", s, "--agent", "a b").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("flows").exit()).as("a group alone prints its usage").isEqualTo(ExitCodes.USAGE);
        assertThat(run("quota").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void withoutADaemonEveryVerbSaysItCannotReachIt() {
        String s = socket();
        for (String[] args : new String[][] {
                {"flows", "list", "--socket", s}, {"flows", "kill", "9f3a0c12-0000000000000001", "--socket", s},
                {"quota", "show", "--socket", s}, {"quota", "show", "--json", "--socket", s}}) {
            Ctl.Run r = run(args);
            assertThat(r.exit()).as(String.join(" ", args) + "\n" + r).isEqualTo(ExitCodes.UNAVAILABLE);
            assertThat(r.err()).contains("cannot reach clawgressd at " + s);
        }
    }
}
