package io.clawgress.deb;

import io.clawgress.testing.netns.Repo;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 8, acceptance 4 (and the live half of 2): deb/tests/install-test.sh installs the built package in a booted
 * Debian trixie container, checks the service, clawgressctl for root, a reader and a stranger, reload, the unit
 * hardening score, an upgrade and a purge. "A newer build" is the same tree packaged again by build-deb.sh with a
 * higher version ({@code <version>+upgradetest-1}): what the upgrade exercises is the package machinery (maintainer
 * scripts, conffiles, state, the restart), which a code change would not alter. A missing tool or privilege skips it
 * loudly (exit 77), except under CI=true, where the script fails instead.
 */
class InstallContainerIT {

    private static final long BUILD_MINUTES = 5;
    private static final long TEST_MINUTES = 20;

    @Test
    void thePackageInstallsReloadsUpgradesAndPurgesInABootedTrixieContainer() throws Exception {
        Path deb = builtPackage();
        String version = run(List.of("dpkg-deb", "--field", deb.toString(), "Version"), 1).strip();
        String upstream = version.substring(0, version.lastIndexOf('-'));
        Path newerDir = Files.createTempDirectory("clawgress-newer-deb-");
        try {
            run(List.of(Repo.root().resolve("deb/build-deb.sh").toString(), "--maven-version",
                    System.getProperty("clawgress.mavenVersion"), "--deb-version", upstream + "+upgradetest-1",
                    "--out", newerDir.toString()), BUILD_MINUTES);
            Path newer;
            try (Stream<Path> s = Files.list(newerDir)) {
                newer = s.filter(p -> p.getFileName().toString().endsWith("_amd64.deb")).findFirst().orElseThrow();
            }

            Process p = new ProcessBuilder(Repo.root().resolve("deb/tests/install-test.sh").toString(),
                    deb.toString(), newer.toString()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(TEST_MINUTES, TimeUnit.MINUTES)).as("finished").isTrue();
            System.out.print(out);
            if (p.exitValue() == 77 && !"true".equalsIgnoreCase(System.getenv("CI"))) {
                System.err.println("\n*** SKIPPING deb/tests/install-test.sh (set CI=true to fail) ***\n" + out);
                Assumptions.abort("SKIPPED (not CI): " + out.strip());
            }
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).doesNotContain("not ok").contains(
                    "ok - systemctl is-active clawgress: active",
                    "ok - clawgressctl status as root",
                    "ok - clawgressctl status refused to a plain user",
                    "ok - systemctl reload clawgress",
                    "ok - upgrade kept the edited conffiles",
                    "ok - upgrade kept the agent registry",
                    "ok - purge left none of the package's")
                    .containsPattern("ok - systemd-analyze security clawgress.service: exposure [0-9.]+ \\(<= 3.0\\)");
        } finally {
            try (Stream<Path> s = Files.walk(newerDir)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The package this build made (build-deb.sh leaves exactly one in deb/target). */
    private static Path builtPackage() throws IOException {
        try (Stream<Path> s = Files.list(Repo.root().resolve("deb/target"))) {
            List<Path> debs = s.filter(p -> p.getFileName().toString().matches("clawgress_.*_amd64\\.deb")).toList();
            assertThat(debs).as("the .deb built in the package phase").hasSize(1);
            return debs.getFirst();
        }
    }

    private static String run(List<String> command, long minutes) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(minutes, TimeUnit.MINUTES)).as(String.join(" ", command)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        return out;
    }
}
