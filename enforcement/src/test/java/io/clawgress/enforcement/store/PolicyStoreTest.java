package io.clawgress.enforcement.store;

import static io.clawgress.enforcement.store.StoreFixture.T0;
import static io.clawgress.enforcement.store.StoreFixture.activated;
import static io.clawgress.enforcement.store.StoreFixture.bundle;
import static io.clawgress.enforcement.store.StoreFixture.entry;
import static io.clawgress.enforcement.store.StoreFixture.rejected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.lmdbjava.ByteArrayProxy.PROXY_BA;

import io.clawgress.enforcement.store.StoreException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

class PolicyStoreTest {

    @TempDir
    Path tmp;

    private final List<PolicyStore> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(PolicyStore::close);
    }

    private Path dir() {
        return tmp.resolve("policy.lmdb");
    }

    private PolicyStore open(StoreSettings settings) throws StoreException {
        PolicyStore store = PolicyStore.open(dir(), settings);
        opened.add(store);
        return store;
    }

    private PolicyStore open() throws StoreException {
        return open(StoreSettings.DEFAULTS);
    }

    private static void commit(PolicyStore store, StoredBundle b) throws StoreException {
        store.commitActivation(b, activated(b));
    }

    @Test
    void emptyStoreHasNothingActive() throws Exception {
        PolicyStore store = open();
        assertThat(store.active()).isEmpty();
        assertThat(store.activeRevision()).isEmpty();
        assertThat(store.revisions()).isEmpty();
        assertThat(store.history(10)).isEmpty();
        assertThat(Files.getPosixFilePermissions(dir())).isEqualTo(Set.of(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));
        assertThat(Files.getPosixFilePermissions(dir().resolve("data.mdb")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void commitIsReadBackExactly() throws Exception {
        PolicyStore store = open();
        StoredBundle b = bundle(7, 100_000);
        commit(store, b);

        StoredBundle active = store.active().orElseThrow();
        assertThat(active).isEqualTo(b);
        assertThat(active.bytes()).isEqualTo(b.bytes());
        assertThat(store.activeRevision()).hasValue(7);
        assertThat(store.bundle(7)).contains(b);
        assertThat(store.bundle(8)).isEmpty();
        assertThat(store.revisions()).containsExactly(7L);
        assertThat(store.history(10)).containsExactly(activated(b));
    }

    @Test
    void activePointerFollowsTheLatestCommit() throws Exception {
        PolicyStore store = open();
        commit(store, bundle(1));
        commit(store, bundle(2));
        assertThat(store.active()).contains(bundle(2));
        assertThat(store.bundle(1)).contains(bundle(1));
        assertThat(store.revisions()).containsExactly(2L, 1L);
    }

    @Test
    void recommittingARevisionReplacesIt() throws Exception {
        PolicyStore store = open();
        commit(store, bundle(1, 10));
        commit(store, bundle(1, 20));
        assertThat(store.active()).contains(bundle(1, 20));
        assertThat(store.revisions()).containsExactly(1L);
    }

    @Test
    void prunesToNGenerationsByActivationAndKeepsTheActive() throws Exception {
        PolicyStore store = open(new StoreSettings(StoreSettings.MIB * 16, 3, 1000));
        for (long r = 1; r <= 6; r++) {
            commit(store, bundle(r));
        }
        assertThat(store.revisions()).containsExactly(6L, 5L, 4L);
        assertThat(store.bundle(3)).isEmpty();

        // Rolling back to 4 makes it the newest activation, so the next commit prunes 5, not the known-good 4.
        store.activateStored(4, entry(4, HistoryEntry.ROLLED_BACK, T0.plusSeconds(100)));
        assertThat(store.revisions()).containsExactly(4L, 6L, 5L);
        commit(store, bundle(7));
        assertThat(store.revisions()).containsExactly(7L, 4L, 6L);
        assertThat(store.active()).contains(bundle(7));
    }

    @Test
    void oneGenerationKeepsOnlyTheActive() throws Exception {
        PolicyStore store = open(new StoreSettings(StoreSettings.MIB * 16, 1, 1000));
        commit(store, bundle(1));
        commit(store, bundle(2));
        assertThat(store.revisions()).containsExactly(2L);
        assertThat(store.active()).contains(bundle(2));
    }

    @Test
    void activateStoredRollsBackInOneTransaction() throws Exception {
        PolicyStore store = open();
        commit(store, bundle(1));
        commit(store, bundle(2));
        HistoryEntry rollback = entry(1, HistoryEntry.ROLLED_BACK, T0.plusSeconds(50));

        store.activateStored(1, rollback);

        StoredBundle active = store.active().orElseThrow();
        assertThat(active.revision()).isEqualTo(1);
        assertThat(active.bytes()).isEqualTo(bundle(1).bytes());
        assertThat(active.activatedAt()).isEqualTo(rollback.at());
        assertThat(store.history(1)).containsExactly(rollback);
        assertThat(store.revisions()).containsExactly(1L, 2L);
    }

    @Test
    void activateStoredOfAnUnknownRevisionChangesNothing() throws Exception {
        PolicyStore store = open();
        commit(store, bundle(1));
        commit(store, bundle(2));

        assertThatThrownBy(() -> store.activateStored(9, entry(9, HistoryEntry.ROLLED_BACK, T0)))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND))
                .hasMessage("not_found: revision 9 (stored: [2, 1])");
        assertThat(store.activeRevision()).hasValue(2);
        assertThat(store.history(10)).hasSize(2);
    }

    @Test
    void historyEntryMustNameTheRevisionActivated() throws Exception {
        PolicyStore store = open();
        assertThatThrownBy(() -> store.commitActivation(bundle(3), entry(4, HistoryEntry.ACTIVATED, T0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("entry.revision: 4 (expected: 3, the revision activated)");
        assertThat(store.revisions()).isEmpty();
    }

    @Test
    void historyIsNewestFirstAndCapped() throws Exception {
        PolicyStore store = open(new StoreSettings(StoreSettings.MIB * 16, 5, 3));
        List<HistoryEntry> all = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            HistoryEntry e = rejected(T0.plusSeconds(i), "bad_signature", "attempt " + i);
            all.add(e);
            store.recordHistory(e);
        }
        StoredBundle b = bundle(1);
        commit(store, b);

        assertThat(store.history(10)).containsExactly(activated(b), all.get(4), all.get(3));
        assertThat(store.history(2)).containsExactly(activated(b), all.get(4));
        assertThat(store.history(0)).isEmpty();
        assertThatThrownBy(() -> store.history(-1)).hasMessage("max: -1 (expected: >= 0)");
    }

    @Test
    void reopenSeesEverything() throws Exception {
        PolicyStore store = open();
        commit(store, bundle(1));
        commit(store, bundle(2));
        store.activateStored(1, entry(1, HistoryEntry.ROLLED_BACK, T0.plusSeconds(9)));
        store.recordHistory(rejected(T0.plusSeconds(10), "expired", null));
        StoredBundle active = store.active().orElseThrow();
        List<HistoryEntry> history = store.history(100);
        store.close();

        PolicyStore reopened = open();
        assertThat(reopened.active()).contains(active);
        assertThat(reopened.revisions()).containsExactly(1L, 2L);
        assertThat(reopened.history(100)).isEqualTo(history).hasSize(4);
    }

    @Test
    void mapFullFailsCleanlyAndTheOldActiveStays() throws Exception {
        PolicyStore store = open(new StoreSettings(StoreSettings.MIB, 5, 1000));
        StoredBundle small = bundle(1, 10_000);
        commit(store, small);

        StoredBundle big = bundle(2, 2 * 1024 * 1024);
        assertThatThrownBy(() -> commit(store, big))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MAP_FULL))
                .hasMessageStartingWith("map_full: commit revision 2: the LMDB map (1048576 bytes) is full");

        assertThat(store.active()).contains(small);
        assertThat(store.revisions()).containsExactly(1L);
        assertThat(store.history(10)).containsExactly(activated(small));
        StoredBundle next = bundle(3, 10_000);
        commit(store, next);
        assertThat(store.active()).contains(next);
        store.close();
        assertThat(open(new StoreSettings(StoreSettings.MIB, 5, 1000)).active()).contains(next);
    }

    @Test
    void corruptBytesAreDetected() throws Exception {
        commitThenClose(bundle(1));
        rawWrite(PolicyStore.DBI_BYTES, (dbi, txn) -> {
            byte[] value = dbi.get(txn, Codec.longBytes(1));
            value[100] ^= 1;
            dbi.put(txn, Codec.longBytes(1), value);
        });
        PolicyStore store = open();
        assertCorrupt(store::active, "corrupt: revision 1: sha256: " + bundle(1).sha256() + " (expected: ");
        assertCorrupt(() -> store.bundle(1), "corrupt: revision 1: sha256: ");
        // Still usable: a new activation replaces the damaged generation.
        commit(store, bundle(2));
        assertThat(store.active()).contains(bundle(2));
    }

    @Test
    void truncatedBytesAreDetected() throws Exception {
        commitThenClose(bundle(1));
        rawWrite(PolicyStore.DBI_BYTES, (dbi, txn) -> dbi.put(txn, Codec.longBytes(1), new byte[10]));
        assertCorrupt(open()::active, "corrupt: revision 1: 10 bytes stored (expected: 4096)");
    }

    @Test
    void corruptMetadataIsDetectedAndPrunedLater() throws Exception {
        commitThenClose(bundle(1));
        rawWrite(PolicyStore.DBI_META, (dbi, txn) -> {
            byte[] value = dbi.get(txn, Codec.longBytes(1));
            dbi.put(txn, Codec.longBytes(1), Arrays.copyOf(value, value.length - 3));
        });
        PolicyStore store = open(new StoreSettings(StoreSettings.MIB * 16, 1, 1000));
        assertCorrupt(store::active, "corrupt: revision 1 metadata: source: length ");
        assertCorrupt(store::revisions, "corrupt: revision 1 metadata: ");
        commit(store, bundle(2));
        assertThat(store.revisions()).containsExactly(2L);
    }

    @Test
    void danglingActivePointerIsCorrupt() throws Exception {
        commitThenClose(bundle(1));
        rawWrite(PolicyStore.DBI_STATE, (dbi, txn) -> dbi.put(txn, PolicyStore.KEY_ACTIVE, Codec.longBytes(42)));
        assertCorrupt(open()::active, "corrupt: active pointer: names revision 42 (expected: a stored revision)");
    }

    @Test
    void corruptHistoryIsDetected() throws Exception {
        commitThenClose(bundle(1));
        rawWrite(PolicyStore.DBI_HISTORY, (dbi, txn) -> dbi.put(txn, Codec.longBytes(1), new byte[] {9}));
        assertCorrupt(() -> open().history(5), "corrupt: history entry 1: format 9 (expected: 1)");
    }

    @Test
    void closedStoreRefusesAndCloseIsIdempotent() throws Exception {
        PolicyStore store = open();
        store.close();
        store.close();
        assertThatThrownBy(store::active)
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CLOSED));
        assertThatThrownBy(() -> commit(store, bundle(1)))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CLOSED));
    }

    @Test
    void aFileInTheWayIsAnIoError() throws Exception {
        Files.writeString(dir(), "not a directory");
        assertThatThrownBy(this::open)
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(Reason.IO))
                .hasMessageEndingWith("policy.lmdb: exists and is not a directory");
    }

    @Test
    void readersOnOtherThreadsSeeWholeCommits() throws Exception {
        PolicyStore store = open();
        commit(store, bundle(1, 64 * 1024));
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService readers = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> reads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                reads.add(readers.submit(() -> {
                    int n = 0;
                    long last = 0;
                    while (!done.get()) {
                        // The constructor re-hashes the bytes: a torn read could not be returned.
                        StoredBundle b = store.active().orElseThrow();
                        assertThat(b.revision()).isGreaterThanOrEqualTo(last);
                        last = b.revision();
                        n++;
                    }
                    return n;
                }));
            }
            for (long r = 2; r <= 30; r++) {
                commit(store, bundle(r, 64 * 1024));
            }
            done.set(true);
            for (Future<Integer> f : reads) {
                assertThat(f.get()).isPositive();
            }
        } finally {
            done.set(true);
            readers.shutdownNow();
        }
        assertThat(store.activeRevision()).hasValue(30);
    }

    // --- helpers

    private void commitThenClose(StoredBundle b) throws StoreException {
        try (PolicyStore store = PolicyStore.open(dir(), StoreSettings.DEFAULTS)) {
            commit(store, b);
        }
    }

    @FunctionalInterface
    private interface RawWrite {
        void accept(Dbi<byte[]> dbi, Txn<byte[]> txn);
    }

    /** Writes under the store's feet with plain lmdbjava, as a disk error or another program could. */
    private void rawWrite(String dbiName, RawWrite write) {
        try (Env<byte[]> env = Env.create(PROXY_BA).setMapSize(StoreSettings.DEFAULTS.mapSizeBytes()).setMaxDbs(4)
                .open(dir().toFile(), EnvFlags.MDB_NOTLS)) {
            Dbi<byte[]> dbi = env.openDbi(dbiName);
            try (Txn<byte[]> txn = env.txnWrite()) {
                write.accept(dbi, txn);
                txn.commit();
            }
        }
    }

    @FunctionalInterface
    private interface StoreCall {
        Object call() throws StoreException;
    }

    private static void assertCorrupt(StoreCall call, String messagePrefix) {
        assertThatThrownBy(call::call)
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT))
                .hasMessageStartingWith(messagePrefix);
    }
}
