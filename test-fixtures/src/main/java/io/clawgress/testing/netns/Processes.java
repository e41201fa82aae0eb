package io.clawgress.testing.netns;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Signals process trees: SIGTERM first, SIGKILL for whatever is still alive after a grace period. */
final class Processes {

    private Processes() {
    }

    /**
     * Sends SIGTERM to {@code root} and all its descendants, waits up to {@code grace} for all of them, then sends
     * SIGKILL to those still alive and waits (bounded) for them to go. {@code Duration.ZERO} kills at once.
     *
     * @return whether every process of the tree is gone
     */
    static boolean killTree(ProcessHandle root, Duration grace) {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(root);
        root.descendants().forEach(tree::add);
        return killAll(tree, grace);
    }

    /** Like {@link #killTree} for an arbitrary set of processes. */
    static boolean killAll(List<ProcessHandle> processes, Duration grace) {
        if (!grace.isZero()) {
            processes.forEach(ProcessHandle::destroy);
            if (awaitExit(processes, grace)) {
                return true;
            }
        }
        processes.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        return awaitExit(processes, Duration.ofSeconds(10));
    }

    private static boolean awaitExit(List<ProcessHandle> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ProcessHandle p : processes) {
            long left = deadline - System.nanoTime();
            try {
                p.onExit().get(Math.max(left, 0), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return false;
            } catch (ExecutionException e) {
                throw new IllegalStateException("waiting for pid " + p.pid(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
