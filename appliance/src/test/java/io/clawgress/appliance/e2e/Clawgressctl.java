package io.clawgress.appliance.e2e;

import io.clawgress.testing.netns.Repo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs {@code bin/clawgressctl} as an operator would, in the test's namespace. */
final class Clawgressctl {

    private Clawgressctl() {
    }

    /** What one run printed, separately, and its exit status. */
    record Result(int exit, String out, String err) {
        /** Fails the test unless the exit status is {@code expected}. */
        Result expect(int expected) {
            assertThat(exit).as("exit status; stdout:\n" + out + "\nstderr:\n" + err).isEqualTo(expected);
            return this;
        }
    }

    /**
     * Runs {@code clawgressctl args... --socket <the daemon's admin socket>} (an online verb against {@code g}) and
     * returns whatever happened; {@code prefix} runs it under another identity, e.g. {@code setpriv --reuid=...}.
     */
    static Result online(io.clawgress.testing.netns.GatewayProcess g, List<String> prefix, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(prefix);
        command.add(Repo.root().resolve("bin/clawgressctl").toString());
        command.addAll(List.of(args));
        command.add("--socket");
        command.add(g.adminSocket().toString());
        return exec(command);
    }

    static Result online(io.clawgress.testing.netns.GatewayProcess g, String... args)
            throws IOException, InterruptedException {
        return online(g, List.of(), args);
    }

    /** Runs {@code command} with stdin closed; stdout and stderr apart. */
    static Result exec(List<String> command) throws IOException, InterruptedException {
        Path out = java.nio.file.Files.createTempFile("clawgressctl", ".out");
        Path err = java.nio.file.Files.createTempFile("clawgressctl", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
            return new Result(p.exitValue(), java.nio.file.Files.readString(out), java.nio.file.Files.readString(err));
        } finally {
            java.nio.file.Files.deleteIfExists(out);
            java.nio.file.Files.deleteIfExists(err);
        }
    }

    /** Runs it with {@code args}; returns stdout and stderr together. Fails the test on a non-zero exit. */
    static String run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Repo.root().resolve("bin/clawgressctl").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        return out;
    }
}
