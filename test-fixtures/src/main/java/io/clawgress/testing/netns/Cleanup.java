package io.clawgress.testing.netns;

import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The backstop for tests that never reach {@code close()}: one JVM shutdown hook closes every namespace and
 * topology still open, newest first. (A JVM killed with SIGKILL runs no hook; {@link Topology#cleanupStale()}
 * removes what such a run left behind.)
 */
final class Cleanup {

    private static final Deque<AutoCloseable> OPEN = new ConcurrentLinkedDeque<>();
    private static boolean hookInstalled;

    private Cleanup() {
    }

    static synchronized void register(AutoCloseable resource) {
        if (!hookInstalled) {
            Runtime.getRuntime().addShutdownHook(new Thread(Cleanup::closeAll, "clawgress-netns-cleanup"));
            hookInstalled = true;
        }
        OPEN.push(resource);
    }

    static void unregister(AutoCloseable resource) {
        OPEN.remove(resource);
    }

    static boolean isOpen(AutoCloseable resource) {
        return OPEN.contains(resource);
    }

    static List<AutoCloseable> open() {
        return new ArrayList<>(OPEN);
    }

    private static void closeAll() {
        for (AutoCloseable r; (r = OPEN.poll()) != null; ) {
            try {
                r.close();
            } catch (Exception | AssertionError e) {
                System.err.println("clawgress test cleanup: closing " + r + " failed: " + e);
            }
        }
    }
}
