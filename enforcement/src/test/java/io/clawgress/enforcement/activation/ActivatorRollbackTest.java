package io.clawgress.enforcement.activation;

import io.clawgress.api.FlowFacts;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.activation.source.BundleCandidate;
import io.clawgress.enforcement.bundle.BundleBuilder;
import io.clawgress.enforcement.bundle.KeyGen;
import io.clawgress.enforcement.bundle.Limits;
import io.clawgress.enforcement.bundle.SigningAlg;
import io.clawgress.enforcement.store.HistoryEntry;
import io.clawgress.enforcement.store.PolicyStore;
import io.clawgress.enforcement.store.StoreSettings;
import io.clawgress.enforcement.store.StoredGeneration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An operator's rollback ({@link Activator#rollback}) on a real store: which generation it picks, that the stored
 * bytes are verified again (keys and expiry of now), and what it refuses without touching the active policy.
 */
class ActivatorRollbackTest {

    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(NOW);
    private KeyGen.GeneratedKey signer;
    private Path keys;
    private PolicyStore store;
    private Activator activator;

    @BeforeEach
    void open() throws Exception {
        signer = KeyGen.generate(SigningAlg.EDDSA, "ops-1");
        keys = dir.resolve("keys.json");
        Files.writeString(keys, KeyGen.keySetJson(List.of(signer)));
        store = PolicyStore.open(dir.resolve("policy.lmdb"), StoreSettings.DEFAULTS);
        activator = new Activator(store, keys, Limits.DEFAULTS, clock);
    }

    @AfterEach
    void close() {
        activator.close();
        store.close();
    }

    /** Revision {@code revision} allows agent a1 (192.0.2.0/24) to 10.0.0.0/8 port {@code 8000 + revision}. */
    private byte[] bundle(long revision) throws Exception {
        String yaml = """
                apiVersion: clawgress.io/v1
                kind: IdentityBindings
                id: lab
                bindings:
                  - {subnet: 192.0.2.0/24, identity: {agent_id: a1}}
                ---
                apiVersion: clawgress.io/v1
                kind: Policy
                id: p
                priority: 1
                subjects: {}
                rules:
                  - {id: web, action: allow, destinations: [{cidr: 10.0.0.0/8, ports: [%d]}]}
                """.formatted(8000 + revision);
        return BundleBuilder.build(Map.of("policies/p.yaml", yaml.getBytes(StandardCharsets.UTF_8)),
                signer.signingKey(), revision, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(1)));
    }

    private void push(long... revisions) throws Exception {
        for (long r : revisions) {
            ActivationResult result = Activator.join(activator.submit(new BundleCandidate(bundle(r), "push:uid=0",
                    clock.instant()), false));
            assertThat(result.outcome()).as(result.toString()).isEqualTo(ActivationResult.Outcome.ACTIVATED);
        }
    }

    private ActivationResult rollback(OptionalLong revision) {
        return Activator.join(activator.rollback(revision, "rollback:uid=0"));
    }

    private boolean allows(long revision) {
        FlowFacts facts = new FlowFacts("f", new InetSocketAddress("192.0.2.7", 40000),
                new InetSocketAddress("10.1.2.3", (int) (8000 + revision)));
        ActivePolicy a = activator.active();
        return a.snapshot().decide(facts, a.snapshot().identify(facts.source().getAddress())).verdict()
                instanceof Verdict.Relay;
    }

    @Test
    void withoutARevisionEachRollbackStepsToTheNextLowerStoredRevisionUntilThereIsNone() throws Exception {
        push(1, 2, 3);

        ActivationResult first = rollback(OptionalLong.empty());
        assertThat(first.outcome()).isEqualTo(ActivationResult.Outcome.ROLLED_BACK);
        assertThat(first.revision()).isEqualTo(2);
        assertThat(first.source()).isEqualTo("rollback:uid=0");
        assertThat(activator.active().revision()).isEqualTo(2);
        assertThat(activator.active().source()).isEqualTo("rollback:uid=0");
        assertThat(allows(2)).isTrue();
        assertThat(allows(3)).isFalse();
        assertThat(activator.generations()).extracting(StoredGeneration::revision).containsExactly(2L, 3L, 1L);
        assertThat(activator.generations()).filteredOn(StoredGeneration::active)
                .extracting(StoredGeneration::revision).containsExactly(2L);
        assertThat(activator.history(1)).first().satisfies(h -> {
            assertThat(h.result()).isEqualTo(HistoryEntry.ROLLED_BACK);
            assertThat(h.revision()).isEqualTo(2);
            assertThat(h.source()).isEqualTo("rollback:uid=0");
        });

        assertThat(rollback(OptionalLong.empty()).revision()).isEqualTo(1);
        assertThat(allows(1)).isTrue();
        ActivationResult lastGood = activator.lastResult();

        ActivationResult none = rollback(OptionalLong.empty());
        assertThat(none.outcome()).isEqualTo(ActivationResult.Outcome.REJECTED);
        assertThat(none.reasonCode()).isEqualTo(Activator.NO_PREVIOUS_GENERATION);
        assertThat(none.message()).isEqualTo("nothing to roll back to: no stored revision below revision 1"
                + " (stored: [1, 2, 3])");
        assertThat(activator.active().revision()).isEqualTo(1);
        assertThat(activator.lastResult()).as("no bundle was tried").isSameAs(lastGood);
        assertThat(activator.history(1)).first().extracting(HistoryEntry::result).isEqualTo(HistoryEntry.ROLLED_BACK);
        assertThat(activator.rejections()).isZero();
    }

    @Test
    void aNamedRevisionIsActivatedAgainWhetherLowerOrHigherAndAnUnstoredOneIsRefused() throws Exception {
        push(1, 2, 3);

        assertThat(rollback(OptionalLong.of(1)).outcome()).isEqualTo(ActivationResult.Outcome.ROLLED_BACK);
        assertThat(allows(1)).isTrue();
        ActivationResult forward = rollback(OptionalLong.of(3));
        assertThat(forward.outcome()).as("back to a newer stored one").isEqualTo(ActivationResult.Outcome.ACTIVATED);
        assertThat(activator.active().revision()).isEqualTo(3);
        ActivationResult same = rollback(OptionalLong.of(3));
        assertThat(same.outcome()).isEqualTo(ActivationResult.Outcome.UNCHANGED);

        ActivationResult missing = rollback(OptionalLong.of(7));
        assertThat(missing.reasonCode()).isEqualTo(Activator.REVISION_NOT_STORED);
        assertThat(missing.revision()).isEqualTo(7);
        assertThat(missing.message()).isEqualTo("revision 7 is not stored (stored: [1, 2, 3])");
        assertThat(activator.active().revision()).isEqualTo(3);
    }

    @Test
    void theStoredBytesAreVerifiedAgainWithTheKeysAndClockOfNow() throws Exception {
        push(1, 2);
        KeyGen.GeneratedKey other = KeyGen.generate(SigningAlg.EDDSA, "ops-2");
        Files.writeString(keys, KeyGen.keySetJson(List.of(other))); // ops-1 no longer trusted

        ActivationResult untrusted = rollback(OptionalLong.empty());

        assertThat(untrusted.reasonCode()).isEqualTo("unknown_kid");
        assertThat(activator.active().revision()).isEqualTo(2);
        assertThat(activator.lastResult()).isSameAs(untrusted);
        assertThat(activator.history(1)).first().satisfies(h -> {
            assertThat(h.result()).isEqualTo(HistoryEntry.REJECTED);
            assertThat(h.reasonCode()).isEqualTo("unknown_kid");
            assertThat(h.source()).isEqualTo("rollback:uid=0");
        });

        Files.writeString(keys, KeyGen.keySetJson(List.of(signer)));
        clock.now = NOW.plus(Duration.ofDays(3));
        ActivationResult expired = rollback(OptionalLong.of(1));
        assertThat(expired.reasonCode()).isEqualTo("expired");
        assertThat(activator.active().revision()).isEqualTo(2);
    }

    @Test
    void withNothingStoredThereIsNothingToRollBackTo() {
        ActivationResult r = rollback(OptionalLong.empty());
        assertThat(r.reasonCode()).isEqualTo(Activator.NO_PREVIOUS_GENERATION);
        assertThat(r.message()).isEqualTo("nothing to roll back to: no stored revision below the active policy"
                + " (none) (stored: [])");
        assertThat(activator.active().signed()).isFalse();
        assertThatThrownBy(() -> activator.rollback(OptionalLong.of(0), "rollback:uid=0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("revision: 0 (expected: >= 1)");
    }

    @Test
    void afterARestartWhoseStoredBundleExpiredThePreviousGenerationCanBeEnforcedAgain() throws Exception {
        push(1);
        // Revision 2 valid for one hour only: it is stored, then expires while the gateway is down.
        byte[] shortLived = BundleBuilder.build(Map.of("policies/p.yaml", bundleYaml(2)), signer.signingKey(), 2,
                NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofHours(1)));
        assertThat(Activator.join(activator.submit(new BundleCandidate(shortLived, "push:uid=0", NOW), false))
                .outcome()).isEqualTo(ActivationResult.Outcome.ACTIVATED);
        activator.close();
        clock.now = NOW.plus(Duration.ofHours(3));
        activator = new Activator(store, keys, Limits.DEFAULTS, clock);
        assertThat(activator.restore().reasonCode()).isEqualTo("expired");
        assertThat(activator.active().signed()).isFalse();

        ActivationResult r = rollback(OptionalLong.empty());

        assertThat(r.outcome()).as(r.toString()).isEqualTo(ActivationResult.Outcome.ROLLED_BACK);
        assertThat(r.revision()).isEqualTo(1);
        assertThat(allows(1)).isTrue();
    }

    private static byte[] bundleYaml(long revision) {
        return """
                apiVersion: clawgress.io/v1
                kind: Policy
                id: p
                priority: 1
                subjects: {}
                rules:
                  - {id: web, action: allow, destinations: [{cidr: 10.0.0.0/8, ports: [%d]}]}
                """.formatted(8000 + revision).getBytes(StandardCharsets.UTF_8);
    }

    /** A clock the test moves. */
    private static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
