package io.clawgress.testing.netns;

import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Process handling on the host (no namespace, no privileges). */
class ManagedProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path logs;

    @Test
    void waitsForLinesOnEitherStreamAndStopsWithSigterm() {
        try (ManagedProcess p = ManagedProcess.start("sh", List.of("sh", "-c",
                "echo out-line; echo err-line >&2; printf partial; exec sleep 60"), logs)) {
            assertThat(p.waitForLine(Pattern.compile("^err-"), WAIT)).isEqualTo("err-line");
            assertThat(p.waitForLine(Pattern.compile("out"), WAIT)).isEqualTo("out-line");
            assertThat(p.stdoutLines()).containsExactly("out-line"); // the unterminated line is not complete yet
            assertThat(p.isAlive()).isTrue();
            assertThat(p.exitCode()).isEmpty();
            assertThat(p.stop(Duration.ofSeconds(5))).isEqualTo(143);
            assertThat(p.stdoutLines()).containsExactly("out-line", "partial");
            assertThat(p.stdoutFile()).isEqualTo(logs.resolve("sh.stdout.log"));
        }
    }

    @Test
    void escalatesToSigkillAfterTheGrace() {
        try (ManagedProcess p = ManagedProcess.start("stubborn", List.of("sh", "-c",
                "trap '' TERM; echo armed; while :; do sleep 0.05; done"), logs)) {
            p.waitForLine(Pattern.compile("armed"), WAIT);
            long start = System.nanoTime();
            assertThat(p.stop(Duration.ofMillis(300))).isEqualTo(137);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void failsFastWithStderrWhenTheProcessExitsBeforeTheLine() {
        try (ManagedProcess p = ManagedProcess.start("dies", List.of("sh", "-c", "echo boom-reason >&2; exit 3"),
                logs)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> p.waitForLine(Pattern.compile("never"), WAIT))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("exited before printing")
                    .hasMessageContaining("boom-reason")
                    .hasMessageContaining("exited with 3");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            assertThat(p.exitCode()).hasValue(3);
        }
    }

    @Test
    void timeoutMessageCarriesStderr() {
        try (ManagedProcess p = ManagedProcess.start("quiet", List.of("sh", "-c",
                "echo what-went-wrong >&2; exec sleep 60"), logs)) {
            assertThatThrownBy(() -> p.waitForLine(Pattern.compile("ready"), Duration.ofMillis(200)))
                    .hasMessageContaining("timed out after 200 ms")
                    .hasMessageContaining("what-went-wrong");
        }
    }

    @Test
    void logNamesStayUnique() {
        try (ManagedProcess a = ManagedProcess.start("twin", List.of("true"), logs);
             ManagedProcess b = ManagedProcess.start("twin", List.of("true"), logs)) {
            assertThat(a.stdoutFile()).isNotEqualTo(b.stdoutFile());
            assertThat(b.stdoutFile().getFileName().toString()).isEqualTo("twin-2.stdout.log");
        }
    }

    @Test
    void childJvmFindsTheClassPathAndReportsMemory() {
        // Proves JavaCommand's class path works from this (surefire-forked) JVM.
        try (ManagedProcess p = Peer.spawnOnLoopback("silent", logs, "silent-server", "--bind", "127.0.0.1",
                "--port", "0")) {
            long pid = p.awaitEvent("ready", WAIT).get("pid").asLong();
            assertThat(pid).isEqualTo(p.pid());
            assertThat(p.rssKib()).isPositive();
            assertThat(p.peakRssKib()).isGreaterThanOrEqualTo(p.rssKib() / 2).isPositive();
            p.stop(Duration.ofSeconds(5));
            assertThatThrownBy(p::rssKib).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void execKillsOnTimeoutAndSaysSo() {
        ExecResult r = Exec.run(List.of("sh", "-c", "echo started; exec sleep 30"), Duration.ofMillis(300), null);
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(ExecResult.TIMED_OUT);
        assertThat(r.stdout()).isEqualTo("started\n");
        assertThat(r.stderr()).contains("killed sh -c").contains("after its timeout of 300 ms");
        assertThat(r.elapsed()).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void execCapturesOutputAndFeedsStdin() {
        ExecResult r = Exec.run(List.of("sh", "-c", "cat; echo e >&2; exit 4"), WAIT, "in".getBytes());
        assertThat(r).extracting(ExecResult::exitCode, ExecResult::stdout, ExecResult::stderr)
                .containsExactly(4, "in", "e\n");
        assertThatThrownBy(() -> r.assertOk("thing"))
                .hasMessageContaining("command failed: thing")
                .hasMessageContaining("exit code: 4");
    }
}
