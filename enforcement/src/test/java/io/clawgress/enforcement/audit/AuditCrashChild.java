package io.clawgress.enforcement.audit;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * Run by {@link AuditCrashTest} in a child JVM: opens the audit log in {@code args[0]} with the node key in
 * {@code args[1]}, offers flow records {@code <args[2]>-0, -1, ...} in bursts, and prints {@code written N} (flow
 * records of this run on disk) after each burst, until it is killed or its stdout is closed.
 */
public final class AuditCrashChild {

    private AuditCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        AuditKey key = AuditKey.openOrCreate(Path.of(args[1]));
        AuditSettings settings = AuditSettings.defaults(Path.of(args[0])).withSegment(64 * 1024, Duration.ofHours(1))
                .withCheckpoint(50, Duration.ofSeconds(1)).withRetention(0, Duration.ZERO);
        AuditLog log = AuditLog.open(settings, key, Clock.systemUTC());
        for (int i = 0; ; ) {
            for (int n = 0; n < 200; n++, i++) {
                log.record(AuditFixture.flow(args[2] + "-" + i));
            }
            System.out.println("written " + log.written());
            if (System.out.checkError()) {
                return; // the parent is gone
            }
            Thread.sleep(1);
        }
    }
}
