package io.clawgress.appliance.daemon;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * systemd's watchdog: {@code WATCHDOG=1} every half {@code WATCHDOG_USEC}, from its own thread, but only while the data
 * plane is alive. Before each ping a no-op must run on every data-plane event loop within a short bound; a loop that
 * is wedged (a blocking call, a livelock) makes the ping skipped, so systemd restarts the daemon after
 * {@code WatchdogSec} instead of leaving it to accept connections it never serves.
 */
final class Watchdog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Watchdog.class);
    /** The longest a probe may take, whatever the interval: an event loop answering later than this is stuck. */
    static final Duration MAX_PROBE = Duration.ofSeconds(2);

    private final SdNotify notify;
    private final Supplier<CompletableFuture<Void>> probe;
    private final Duration period;
    private final Duration bound;
    private final ScheduledExecutorService timer;
    private boolean failing; // the timer thread's

    private Watchdog(SdNotify notify, Supplier<CompletableFuture<Void>> probe, Duration period) {
        this.notify = notify;
        this.probe = probe;
        this.period = period;
        Duration half = period == null ? MAX_PROBE : period.dividedBy(2);
        this.bound = half.compareTo(MAX_PROBE) < 0 ? half : MAX_PROBE;
        this.timer = period == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "clawgress-watchdog");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts pinging when systemd asked for a watchdog; otherwise returns a watchdog that does nothing.
     *
     * @param probe completes once every data-plane event loop ran a no-op (see
     *              {@code TransparentProxy#probeEventLoops})
     */
    static Watchdog start(SdNotify notify, Supplier<CompletableFuture<Void>> probe) {
        Objects.requireNonNull(notify, "notify");
        Objects.requireNonNull(probe, "probe");
        Duration interval = notify.enabled() ? notify.watchdogInterval().orElse(null) : null;
        if (interval == null) {
            return new Watchdog(notify, probe, null);
        }
        Duration period = interval.dividedBy(2);
        if (period.toMillis() < 1) {
            period = Duration.ofMillis(1);
        }
        Watchdog w = new Watchdog(notify, probe, period);
        log.info("systemd watchdog: {} ms; pinging every {} ms while every event loop answers within {} ms",
                interval.toMillis(), period.toMillis(), w.bound.toMillis());
        w.timer.scheduleAtFixedRate(w::tick, 0, period.toNanos(), TimeUnit.NANOSECONDS);
        return w;
    }

    /** Whether pings are being sent (systemd asked for a watchdog). */
    boolean active() {
        return timer != null && !timer.isShutdown();
    }

    /** One round, on the timer thread: probe, then ping or skip. Package-private for tests. */
    void tick() {
        String problem;
        try {
            probe.get().get(bound.toNanos(), TimeUnit.NANOSECONDS);
            problem = null;
        } catch (TimeoutException e) {
            problem = "an event loop did not run a no-op within " + bound.toMillis() + " ms";
        } catch (ExecutionException e) {
            problem = "an event loop refused the probe: " + e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            problem = "probing the event loops failed: " + e;
        }
        if (problem == null) {
            notify.watchdog();
            if (failing) {
                failing = false;
                log.info("systemd watchdog: every event loop answers again; pings resumed");
            }
        } else {
            failing = true;
            log.error("systemd watchdog: {}: ping skipped (systemd restarts the daemon once WatchdogSec passes"
                    + " without one)", problem);
        }
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
