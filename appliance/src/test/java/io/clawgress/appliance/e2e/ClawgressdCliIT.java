package io.clawgress.appliance.e2e;

import io.clawgress.testing.netns.Repo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The real launchers in bin/, as an operator or systemd runs them (no root needed). */
class ClawgressdCliIT {

    record Run(int exit, String out, String err) {
    }

    @Test
    void checkConfigOnABrokenFileNamesFileLineKeyAndExpectationAndExits78(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("clawgress.yaml");
        Files.writeString(cfg, """
                listener:
                  port: 15001
                  transport: kqueue
                policy:
                  generations: 0
                """);
        Run r = run("bin/clawgressd", "--check-config", "--config", cfg.toString());
        assertThat(r.exit()).isEqualTo(78);
        assertThat(r.err()).contains(cfg + ":3:14: listener.transport: 'kqueue' (expected: ")
                .contains(cfg + ":5:16: policy.generations: 0 (expected: ");
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void checkConfigOnTheShippedConfigPasses() throws Exception {
        Path shipped = Repo.root().resolve("config/clawgress.yaml");
        Run r = run("bin/clawgressd", "--check-config", "--config", shipped.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("config OK: " + shipped);
    }

    @Test
    void aMissingConfigFileIsAConfigError(@TempDir Path dir) throws Exception {
        Run r = run("bin/clawgressd", "--check-config", "--config", dir.resolve("nope.yaml").toString());
        assertThat(r.exit()).isEqualTo(78);
        assertThat(r.err()).contains("nope.yaml");
    }

    @Test
    void aFlowLogThatCannotBeOpenedStopsTheStartWithExit1(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("clawgress.yaml");
        Files.writeString(cfg, "listener: {address: 127.0.0.1, port: 15999, transport: nio}\n"
                + "state_dir: " + dir.resolve("state") + "\n"
                + "audit: {dir: " + dir.resolve("audit") + "}\n"
                + "flow_log: {path: " + dir.resolve("missing-dir/flows.jsonl") + "}\n");
        Run r = run("bin/clawgressd", "--config", cfg.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("clawgressd cannot start").contains("missing-dir").contains("does not exist");
    }

    @Test
    void anAuditDirectoryThatCannotBeCreatedStopsTheStartWithExit1(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("clawgress.yaml");
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
        Files.writeString(cfg, "listener: {address: 127.0.0.1, port: 15999, transport: nio}\n"
                + "state_dir: " + dir.resolve("state") + "\n"
                + "audit: {dir: " + notADirectory.resolve("audit") + "}\n");
        Run r = run("bin/clawgressd", "--config", cfg.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("clawgressd cannot start").contains("audit log " + notADirectory.resolve("audit"));
    }

    @Test
    void badArgumentsExit2AndVersionsPrint() throws Exception {
        assertThat(run("bin/clawgressd", "--no-such-flag").exit()).isEqualTo(2);
        Run d = run("bin/clawgressd", "--version");
        assertThat(d.exit()).isZero();
        assertThat(d.out()).startsWith("clawgress 0.");
        Run c = run("bin/clawgressctl", "--version");
        assertThat(c.exit()).isZero();
        assertThat(c.out()).startsWith("clawgress 0.");
    }

    private static Run run(String... cmd) throws IOException, InterruptedException {
        Path root = Repo.root();
        List<String> command = new java.util.ArrayList<>(List.of(cmd));
        command.set(0, root.resolve(cmd[0]).toString());
        Process p = new ProcessBuilder(command).directory(root.toFile()).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }
}
