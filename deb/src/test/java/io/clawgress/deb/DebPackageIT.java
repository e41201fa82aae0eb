package io.clawgress.deb;

import io.clawgress.testing.netns.Repo;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built package passes deb/tests/check-deb.sh (issue 8, acceptance 1, 3 and 5, and systemd-analyze verify of
 * acceptance 2): lintian without errors or warnings, at most 30 MB, the AppArmor profile accepted by apparmor_parser,
 * both units verified, copyright and conffiles complete, and the same bytes when built again. A missing tool skips it
 * loudly (exit 77), except under CI=true, where the script fails instead.
 */
class DebPackageIT {

    @Test
    void thePackagePassesItsChecks() throws Exception {
        Process p = new ProcessBuilder(Repo.root().resolve("deb/tests/check-deb.sh").toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("finished").isTrue();
        System.out.print(out);
        if (p.exitValue() == 77 && !"true".equalsIgnoreCase(System.getenv("CI"))) {
            System.err.println("\n*** SKIPPING deb/tests/check-deb.sh: a tool is missing (set CI=true to fail) ***\n"
                    + out);
            Assumptions.abort("SKIPPED (not CI): " + out.strip());
        }
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).containsPattern("(?m)^\\d+ passed, 0 failed$").contains("ok    lintian", "ok    reproducible");
    }
}
