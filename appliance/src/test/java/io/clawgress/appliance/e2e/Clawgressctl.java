package io.clawgress.appliance.e2e;

import io.clawgress.testing.netns.Repo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs {@code bin/clawgressctl} as an operator would, in the test's namespace, and expects exit status 0. */
final class Clawgressctl {

    private Clawgressctl() {
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
