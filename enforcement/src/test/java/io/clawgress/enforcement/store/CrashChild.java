package io.clawgress.enforcement.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.SplittableRandom;

/**
 * Run by {@link PolicyStoreCrashTest} in a child JVM: commits revision active+1, active+2, ... each with a distinct
 * random payload, printing {@code committed N} after each commit returns, until it is killed or its stdout is closed.
 */
public final class CrashChild {

    static final int PAYLOAD_BYTES = 1024 * 1024;

    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        SplittableRandom random = new SplittableRandom(Long.parseLong(args[1]));
        try (PolicyStore store = PolicyStore.open(dir, new StoreSettings(64 * StoreSettings.MIB, 5, 1000))) {
            long revision = store.activeRevision().orElse(0);
            while (true) {
                revision++;
                byte[] payload = new byte[PAYLOAD_BYTES];
                random.nextBytes(payload);
                StoredBundle bundle =
                        StoredBundle.of(revision, payload, StoreFixture.KID, "crash-child", Instant.now());
                store.commitActivation(bundle, StoreFixture.activated(bundle));
                System.out.println("committed " + revision);
                if (System.out.checkError()) {
                    return; // the parent is gone: stop rather than fill the disk unattended
                }
            }
        }
    }
}
