package io.clawgress.enforcement.store;

import static io.clawgress.enforcement.store.StoreFixture.T0;
import static io.clawgress.enforcement.store.StoreFixture.activated;
import static io.clawgress.enforcement.store.StoreFixture.bundle;
import static io.clawgress.enforcement.store.StoreFixture.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PolicyStore#generations()}: what {@code bundle history} lists, in activation order, without the bytes. */
class PolicyStoreGenerationsTest {

    @TempDir
    Path tmp;

    private final List<PolicyStore> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(PolicyStore::close);
    }

    private PolicyStore open(StoreSettings settings) throws StoreException {
        PolicyStore store = PolicyStore.open(tmp.resolve("policy.lmdb"), settings);
        opened.add(store);
        return store;
    }

    @Test
    void anEmptyStoreHasNoGenerations() throws Exception {
        assertThat(open(StoreSettings.DEFAULTS).generations()).isEmpty();
    }

    @Test
    void generationsAreListedNewestActivationFirstWithTheActiveOneMarked() throws Exception {
        PolicyStore store = open(StoreSettings.DEFAULTS);
        StoredBundle b1 = bundle(1, 1000);
        StoredBundle b2 = bundle(2, 2000);
        StoredBundle b3 = bundle(3, 3000);
        for (StoredBundle b : List.of(b1, b2, b3)) {
            store.commitActivation(b, activated(b));
        }

        assertThat(store.generations()).containsExactly(
                new StoredGeneration(3, b3.activatedAt(), 3000, b3.sha256(), b3.kid(), b3.source(), true),
                new StoredGeneration(2, b2.activatedAt(), 2000, b2.sha256(), b2.kid(), b2.source(), false),
                new StoredGeneration(1, b1.activatedAt(), 1000, b1.sha256(), b1.kid(), b1.source(), false));

        store.activateStored(1, entry(1, HistoryEntry.ROLLED_BACK, T0.plusSeconds(60)));

        assertThat(store.generations()).extracting(StoredGeneration::revision).containsExactly(1L, 3L, 2L);
        StoredGeneration first = store.generations().get(0);
        assertThat(first.active()).isTrue();
        assertThat(first.activatedAt()).as("when it was last made active").isEqualTo(T0.plusSeconds(60));
        assertThat(store.generations()).filteredOn(StoredGeneration::active).hasSize(1);
        assertThat(store.revisions()).as("the same order as revisions()").containsExactly(1L, 3L, 2L);
    }

    @Test
    void prunedGenerationsAreNotListed() throws Exception {
        PolicyStore store = open(new StoreSettings(StoreSettings.MIB * 16, 2, 100));
        for (long r = 1; r <= 4; r++) {
            StoredBundle b = bundle(r);
            store.commitActivation(b, activated(b));
        }
        assertThat(store.generations()).extracting(StoredGeneration::revision).containsExactly(4L, 3L);
    }

    @Test
    void aGenerationIsAValidatedValue() {
        assertThatThrownBy(() -> new StoredGeneration(0, T0, 1, "ab", "k", "s", false))
                .hasMessage("revision: 0 (expected: >= 1)");
        assertThatThrownBy(() -> new StoredGeneration(1, T0, 0, "ab", "k", "s", false))
                .hasMessage("byteCount: 0 (expected: >= 1)");
    }
}
