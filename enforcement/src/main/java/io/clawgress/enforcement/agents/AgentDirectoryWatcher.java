package io.clawgress.enforcement.agents;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an {@link AgentDirectory} current: polls {@link AgentRegistry#generation()} on its own thread and, when it
 * changed (a write by {@code clawgressctl} in another process, or by this one), publishes a new snapshot and tells
 * the listener. The data path reads {@link #current()}: one volatile read, no lock, no I/O.
 *
 * <p>If a poll fails (the registry cannot be read), the last directory stays current — the last known good — and the
 * failure is logged once until a poll succeeds again.
 *
 * <p>Threads: {@link #current()} from any thread. The listener runs on the watcher's thread
 * ({@value #THREAD_NAME}), or on the caller's for {@link #poll()}, one call at a time; it must not block for long
 * and hands work to event loops itself (e.g. {@code channel.close()}, which is thread-safe).
 */
public final class AgentDirectoryWatcher implements AutoCloseable {

    /** How often the daemon polls: a disabled agent's connections close within this plus the close itself. */
    public static final Duration DEFAULT_PERIOD = Duration.ofMillis(250);
    static final String THREAD_NAME = "clawgress-agents-watch";

    private static final Logger log = LoggerFactory.getLogger(AgentDirectoryWatcher.class);

    /** Told about each new directory. */
    @FunctionalInterface
    public interface Listener {
        /**
         * The registry changed from {@code previous} to {@code current}; {@link AgentDirectory#deactivatedSince}
         * names the agents whose connections to close. Called on the watcher's thread; exceptions are logged.
         */
        void changed(AgentDirectory previous, AgentDirectory current);
    }

    private final AgentRegistry registry;
    private final Listener listener;
    private final ScheduledExecutorService scheduler; // null for a manual watcher
    private volatile AgentDirectory current;
    private String lastFailure; // guarded by this

    private AgentDirectoryWatcher(AgentRegistry registry, Listener listener, ScheduledExecutorService scheduler)
            throws AgentRegistryException {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.scheduler = scheduler;
        this.current = registry.snapshot();
    }

    /**
     * Reads the registry once on the calling thread (so {@link #current()} is never stale at startup), then polls it
     * every {@code period} on a daemon thread of its own. The listener is not called for the initial directory.
     *
     * @throws AgentRegistryException if the first read fails: the caller decides whether to start without agents
     */
    public static AgentDirectoryWatcher start(AgentRegistry registry, Duration period, Listener listener)
            throws AgentRegistryException {
        Objects.requireNonNull(period, "period");
        if (period.isNegative() || period.isZero() || period.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("period: " + period + " (expected: > 0 and <= PT10M)");
        }
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name(THREAD_NAME).daemon().unstarted(r));
        AgentDirectoryWatcher w;
        try {
            w = new AgentDirectoryWatcher(registry, listener, scheduler);
        } catch (AgentRegistryException | RuntimeException e) {
            scheduler.shutdown();
            throw e;
        }
        scheduler.scheduleWithFixedDelay(w::pollQuietly, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
        return w;
    }

    /**
     * A watcher that polls only when {@link #poll()} is called: tests, or a caller with its own scheduler. Reads the
     * registry once on the calling thread.
     */
    public static AgentDirectoryWatcher manual(AgentRegistry registry, Listener listener)
            throws AgentRegistryException {
        return new AgentDirectoryWatcher(registry, listener, null);
    }

    /** The latest directory read. Any thread; lock-free. */
    public AgentDirectory current() {
        return current;
    }

    /**
     * Reads the generation and, if it changed, a new directory, publishes it and calls the listener. Blocks on the
     * registry: not from an event loop.
     *
     * @return whether the directory changed
     * @throws AgentRegistryException if the registry cannot be read; {@link #current()} is then unchanged
     */
    public synchronized boolean poll() throws AgentRegistryException {
        AgentDirectory previous = current;
        AgentDirectory next = registry.snapshotIfChanged(previous.generation()).orElse(null);
        if (next == null) {
            return false;
        }
        current = next;
        try {
            listener.changed(previous, next);
        } catch (RuntimeException e) {
            log.error("agent registry {}: listener failed on generation {}", registry.directory(), next.generation(),
                    e);
        }
        return true;
    }

    private synchronized void pollQuietly() {
        try {
            poll();
            if (lastFailure != null) {
                log.info("agent registry {}: readable again at generation {}", registry.directory(),
                        current.generation());
                lastFailure = null;
            }
        } catch (AgentRegistryException | RuntimeException e) {
            // A RuntimeException would be a bug; caught all the same, since one escaping would cancel the schedule.
            String failure = String.valueOf(e.getMessage());
            if (!failure.equals(lastFailure)) {
                log.warn("agent registry {}: cannot poll, keeping generation {}: {}", registry.directory(),
                        current.generation(), e.toString());
                lastFailure = failure;
            }
        }
    }

    /**
     * Stops polling and waits for a poll in flight. Does not close the registry; close the watcher first.
     * Idempotent.
     */
    @Override
    public void close() {
        if (scheduler == null) {
            return;
        }
        scheduler.shutdown(); // cancels the periodic poll; one in flight runs to its end
        try {
            if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("agent registry {}: watcher did not stop within 10 s", registry.directory());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
