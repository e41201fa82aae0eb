package io.clawgress.appliance.daemon;

import io.clawgress.appliance.config.ClawgressConfig;
import io.clawgress.appliance.config.ConfigLoader;
import io.clawgress.appliance.config.IdentitySettings;
import io.clawgress.appliance.config.PolicySettings;
import io.clawgress.enforcement.flowlog.FlowLogSettings;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reload decisions against real config files: what is applied (and handed to which part, with which settings), what
 * is reported as needing a restart (worded for the operator), and that an invalid file or a failing part changes
 * nothing that ran before.
 */
class ReloaderTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-21T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;
    private Path file;
    private final FakeParts parts = new FakeParts();

    /** Records what the reloader hands over; fails a part on demand. */
    static final class FakeParts implements Reloader.Parts {
        final List<PolicySettings> policies = new ArrayList<>();
        final List<IdentitySettings> identities = new ArrayList<>();
        final List<FlowLogSettings> flowLogs = new ArrayList<>();
        final List<Duration> drains = new ArrayList<>();
        String failPolicy;

        @Override
        public List<String> policy(PolicySettings next) throws Reloader.PartFailure {
            if (failPolicy != null) {
                throw new Reloader.PartFailure(failPolicy);
            }
            policies.add(next);
            return List.of("policy sources restarted");
        }

        @Override
        public List<String> identity(IdentitySettings next) {
            identities.add(next);
            return List.of("upstream trust re-read");
        }

        @Override
        public List<String> flowLog(FlowLogSettings next) {
            flowLogs.add(next);
            return List.of("flow log reopened");
        }

        @Override
        public void drainTimeout(Duration next) {
            drains.add(next);
        }

        int calls() {
            return policies.size() + identities.size() + flowLogs.size() + drains.size();
        }
    }

    @BeforeEach
    void setUp() {
        file = dir.resolve("clawgress.yaml");
    }

    private String config(String listener, String policy, String extra) {
        return "listener: {" + listener + "}\n"
                + "state_dir: " + dir.resolve("state") + "\n"
                + "audit: {dir: " + dir.resolve("audit") + "}\n"
                + "flow_log: {path: " + dir.resolve("flows.jsonl") + "}\n"
                + policy + extra;
    }

    private String signed(String keys, String bundle) {
        return "policy:\n  trusted_keys: " + dir.resolve(keys) + "\n  bundle: " + dir.resolve(bundle) + "\n";
    }

    private Reloader start(String yaml) throws Exception {
        Files.writeString(file, yaml);
        ClawgressConfig started = ConfigLoader.load(file);
        return new Reloader(started, parts, SdNotify.disabled(), CLOCK);
    }

    private ReloadResult reloadWith(Reloader r, String yaml) throws Exception {
        Files.writeString(file, yaml);
        return r.reloadNow();
    }

    @Test
    void anUnchangedFileReReadsTheReloadablePartsAndNeedsNoRestart() throws Exception {
        String yaml = config("port: 15001", signed("keys.json", "b1.tar.gz"), "");
        Reloader r = start(yaml);
        ReloadResult result = reloadWith(r, yaml);
        assertThat(result.ok()).isTrue();
        assertThat(result.needsRestart()).isEmpty();
        assertThat(result.errors()).isEmpty();
        assertThat(result.time()).isEqualTo(CLOCK.instant());
        assertThat(result.applied()).containsExactly("policy sources restarted", "upstream trust re-read",
                "flow log reopened");
        assertThat(parts.policies).singleElement().extracting(PolicySettings::bundleFile)
                .isEqualTo(dir.resolve("b1.tar.gz"));
        assertThat(parts.flowLogs).singleElement().extracting(FlowLogSettings::path)
                .isEqualTo(dir.resolve("flows.jsonl").toString());
        assertThat(parts.drains).isEmpty();
        assertThat(r.last()).isSameAs(result);
    }

    @Test
    void aChangedListenerPortIsReportedAsNeedingARestart() throws Exception {
        Reloader r = start(config("port: 15001", signed("keys.json", "b1.tar.gz"), ""));
        ReloadResult result = reloadWith(r, config("port: 15002", signed("keys.json", "b1.tar.gz"), ""));
        assertThat(result.ok()).isTrue();
        assertThat(result.needsRestart()).containsExactly(
                "listener.port changed (15001 -> 15002): needs a restart (systemctl restart clawgress)");
        assertThat(result.summary()).isEqualTo("reloaded: 3 applied, 1 need(s) a restart");
        ReloadResult again = reloadWith(r, config("port: 15002", signed("keys.json", "b1.tar.gz"), ""));
        assertThat(again.needsRestart()).as("still running with the old port").hasSize(1);
    }

    @Test
    void newTrustedKeysAndBundleAreAppliedAndThenInForce() throws Exception {
        Reloader r = start(config("port: 15001", signed("keys.json", "b1.tar.gz"), ""));
        ReloadResult result = reloadWith(r, config("port: 15001", signed("keys2.json", "b2.tar.gz"), ""));
        assertThat(result.ok()).isTrue();
        assertThat(result.needsRestart()).isEmpty();
        assertThat(result.applied()).contains(
                "policy.trusted_keys changed (" + dir.resolve("keys.json") + " -> " + dir.resolve("keys2.json") + ")",
                "policy.bundle changed (" + dir.resolve("b1.tar.gz") + " -> " + dir.resolve("b2.tar.gz") + ")",
                "policy sources restarted");
        PolicySettings handed = parts.policies.get(0);
        assertThat(handed.trustedKeys()).isEqualTo(dir.resolve("keys2.json"));
        assertThat(handed.bundleFile()).isEqualTo(dir.resolve("b2.tar.gz"));
        assertThat(handed.stateDir()).isEqualTo(dir.resolve("state"));

        ReloadResult again = reloadWith(r, config("port: 15001", signed("keys2.json", "b2.tar.gz"), ""));
        assertThat(again.applied()).as("the new files are in force: nothing changed any more")
                .noneMatch(l -> l.contains("changed"));
    }

    @Test
    void anInvalidFileChangesNothing() throws Exception {
        Reloader r = start(config("port: 15001", signed("keys.json", "b1.tar.gz"), ""));
        ReloadResult result = reloadWith(r, config("port: 99999", signed("keys2.json", "b2.tar.gz"), ""));
        assertThat(result.ok()).isFalse();
        assertThat(result.configSha256()).isNull();
        assertThat(result.applied()).isEmpty();
        assertThat(result.needsRestart()).isEmpty();
        assertThat(result.errors()).singleElement().asString().startsWith(file + ":1:")
                .contains("listener.port").contains("1..65535");
        assertThat(result.summary()).contains("config invalid").contains("previous config");
        assertThat(parts.calls()).isZero();

        Files.writeString(file, "listener: [\n");
        assertThat(r.reloadNow().errors()).isNotEmpty();
        Files.delete(file);
        assertThat(r.reloadNow().errors()).singleElement().asString().contains("no such file");
        assertThat(parts.calls()).isZero();
    }

    @Test
    void aFailingPartIsAnErrorAndWhatRanBeforeStays() throws Exception {
        Reloader r = start(config("port: 15001", signed("keys.json", "b1.tar.gz"), ""));
        parts.failPolicy = "policy.trusted_keys " + dir.resolve("keys2.json") + ": no such file";
        ReloadResult failed = reloadWith(r, config("port: 15001", signed("keys2.json", "b1.tar.gz"), ""));
        assertThat(failed.ok()).isFalse();
        assertThat(failed.errors()).singleElement().asString().contains("keys2.json: no such file")
                .contains("previous trusted keys and bundle sources stay");
        assertThat(failed.applied()).noneMatch(l -> l.startsWith("policy"));
        assertThat(failed.applied()).contains("upstream trust re-read");

        parts.failPolicy = null;
        ReloadResult fixed = reloadWith(r, config("port: 15001", signed("keys2.json", "b1.tar.gz"), ""));
        assertThat(fixed.ok()).isTrue();
        assertThat(fixed.applied()).as("still a change: the failed reload applied nothing of it")
                .contains("policy.trusted_keys changed (" + dir.resolve("keys.json") + " -> "
                        + dir.resolve("keys2.json") + ")");
    }

    @Test
    void switchingThePolicyModeNeedsARestart() throws Exception {
        Reloader r = start(config("port: 15001", signed("keys.json", "b1.tar.gz"), ""));
        ReloadResult result = reloadWith(r, config("port: 15001", "", ""));
        assertThat(result.needsRestart()).containsExactly(
                "policy.trusted_keys changed (" + dir.resolve("keys.json") + " -> unset): "
                        + ReloadResult.RESTART_HINT,
                "policy.bundle changed (" + dir.resolve("b1.tar.gz") + " -> unset): " + ReloadResult.RESTART_HINT);
        assertThat(parts.policies).isEmpty();
    }

    @Test
    void drainTimeoutAndFlowLogPathApplyWhileTheQueueAndAuditNeedARestart() throws Exception {
        String policy = signed("keys.json", "b1.tar.gz");
        Reloader r = start(config("port: 15001", policy, ""));
        String changed = ("listener: {port: 15001}\n"
                + "state_dir: %s\n"
                + "audit: {dir: %s}\n"
                + "flow_log: {path: %s, queue_capacity: 1024}\n"
                + "timeouts: {drain: 5s}\n").formatted(dir.resolve("state"), dir.resolve("audit2"),
                dir.resolve("flows2.jsonl")) + policy;
        ReloadResult result = reloadWith(r, changed);
        assertThat(result.ok()).isTrue();
        assertThat(parts.drains).containsExactly(Duration.ofSeconds(5));
        assertThat(parts.flowLogs).singleElement().satisfies(f -> {
            assertThat(f.path()).isEqualTo(dir.resolve("flows2.jsonl").toString());
            assertThat(f.queueCapacity()).as("the running queue's size").isEqualTo(65_536);
        });
        assertThat(result.applied()).contains("timeouts.drain changed (30s -> 5s)",
                "flow_log.path changed (" + dir.resolve("flows.jsonl") + " -> " + dir.resolve("flows2.jsonl") + ")");
        assertThat(result.needsRestart()).containsExactlyInAnyOrder(
                "audit.dir changed (" + dir.resolve("audit") + " -> " + dir.resolve("audit2") + "): "
                        + ReloadResult.RESTART_HINT,
                "flow_log.queue_capacity changed (65536 -> 1024): " + ReloadResult.RESTART_HINT);
    }

    @Test
    void everyListenerSettingNeedsARestart() throws Exception {
        Reloader r = start(config("port: 15001", "", ""));
        ReloadResult result = reloadWith(r, config("port: 15001, address: 127.0.0.1, backlog: 16,"
                + " event_loop_threads: 2", "", "connection_limit: 7\nmetrics: {enabled: false}\n"));
        assertThat(result.needsRestart()).extracting(l -> l.substring(0, l.indexOf(' '))).containsExactly(
                "listener.address", "listener.backlog", "listener.event_loop_threads", "connection_limit",
                "metrics.listen");
        assertThat(result.needsRestart()).allSatisfy(l -> assertThat(l).endsWith(ReloadResult.RESTART_HINT));
        assertThat(result.needsRestart().get(4)).startsWith("metrics.listen changed (127.0.0.1:9464 -> off)");
    }

    @Test
    void aResultIsOkExactlyWithoutErrors() {
        assertThatThrownBy(() -> new ReloadResult(Instant.EPOCH, true, "ab", List.of(), List.of(), List.of("x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ok: true with 1 error(s)");
        assertThatThrownBy(() -> new ReloadResult(Instant.EPOCH, false, "ab", List.of(), List.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void durationsAreWrittenAsTheConfigWritesThem() {
        assertThat(ConfigDiff.duration(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(ConfigDiff.duration(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(ConfigDiff.duration(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(ConfigDiff.duration(Duration.ofHours(2))).isEqualTo("2h");
        assertThat(ConfigDiff.duration(Duration.ZERO)).isEqualTo("0s");
    }
}
