package io.clawgress.testing.netns;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Nothing outlives a test run: neither a JVM that forgets to close nor one killed outright. */
class TopologyCleanupIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Pattern ABANDONED = Pattern.compile("^abandoned ");

    @TempDir
    Path work;

    @BeforeEach
    void privileges() {
        Privileges.requireOrSkip("ip", "sysctl");
    }

    private ManagedProcess abandon(String mode) {
        return ManagedProcess.start("abandoned-" + mode,
                JavaCommand.of(AbandonedTopology.class.getName(), List.of(work.resolve(mode).toString(), mode)),
                work);
    }

    private static List<String> fields(String line) {
        return Arrays.asList(line.split(" "));
    }

    @Test
    void shutdownHookClosesATopologyNobodyClosed() {
        try (ManagedProcess run = abandon("exit")) {
            List<String> f = fields(run.waitForLine(ABANDONED, WAIT));
            assertThat(run.waitForExit(WAIT)).as(run.describe()).isZero();
            assertThat(f.subList(1, 4)).noneMatch(Netns::exists);
            assertThat(Netns.ETC_NETNS.resolve(f.get(1))).doesNotExist();
            assertThat(ProcessHandle.of(Long.parseLong(f.get(4))).filter(ProcessHandle::isAlive)).isEmpty();
        }
    }

    @Test
    void cleanupStaleRemovesResolverFilesLeftWithoutANamespace() throws IOException {
        long deadPid;
        try (ManagedProcess gone = ManagedProcess.start("gone", List.of("true"), work)) {
            gone.waitForExit(WAIT);
            deadPid = gone.pid();
        }
        Path orphan = Netns.ETC_NETNS.resolve("cg" + deadPid + "n0-agent");
        Path unrelated = Netns.ETC_NETNS.resolve("not-ours-" + deadPid);
        Files.createDirectories(orphan);
        Files.writeString(orphan.resolve("resolv.conf"), "nameserver 198.18.2.53\n");
        Files.createDirectories(unrelated);
        try {
            Topology.cleanupStale();
            assertThat(orphan).doesNotExist();
            assertThat(unrelated).as("only names of our pattern are touched").exists();
        } finally {
            Files.deleteIfExists(unrelated);
        }
    }

    @Test
    void cleanupStaleRemovesWhatAKilledRunLeftBehind() {
        try (ManagedProcess run = abandon("hang")) {
            List<String> f = fields(run.waitForLine(ABANDONED, WAIT));
            run.handle().destroyForcibly(); // SIGKILL the JVM only: no hook runs, its peer is orphaned
            run.waitForExit(WAIT);
            long peerPid = Long.parseLong(f.get(4));
            assertThat(f.subList(1, 4)).allMatch(Netns::exists);
            assertThat(Netns.ETC_NETNS.resolve(f.get(1)).resolve("resolv.conf")).exists();
            assertThat(ProcessHandle.of(peerPid).filter(ProcessHandle::isAlive)).isPresent();

            Topology.cleanupStale();

            assertThat(f.subList(1, 4)).noneMatch(Netns::exists);
            assertThat(Netns.ETC_NETNS.resolve(f.get(1))).doesNotExist();
            assertThat(ProcessHandle.of(peerPid).filter(ProcessHandle::isAlive)).isEmpty();
        }
    }
}
