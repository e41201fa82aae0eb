package io.clawgress.appliance.daemon;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * What the daemon is asked to do from outside: reload (SIGHUP) or stop (SIGTERM, SIGINT). A signal handler only
 * queues the request here; the daemon's main thread takes requests one by one ({@link ClawgressdCommand}), so no work
 * ever runs in a handler.
 */
public final class DaemonSignals {

    private static final Logger log = LoggerFactory.getLogger(DaemonSignals.class);

    /** A request to the running daemon. */
    public enum Request {
        RELOAD, STOP
    }

    private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();

    /** Requests made only through {@link #reload()} and {@link #stop()} (tests, picocli doc generation). */
    public DaemonSignals() {
    }

    /**
     * Routes SIGHUP to {@link #reload()} and SIGTERM and SIGINT to {@link #stop()}, replacing the JVM's handlers (which
     * would start the JVM's shutdown and exit with 143). Call once, from {@code main}.
     */
    public static DaemonSignals installHandlers() {
        DaemonSignals signals = new DaemonSignals();
        signals.handle("HUP", Request.RELOAD);
        signals.handle("TERM", Request.STOP);
        signals.handle("INT", Request.STOP);
        return signals;
    }

    private void handle(String name, Request request) {
        try {
            // sun.misc.Signal (jdk.unsupported): the JDK's only way to catch SIGHUP. The handler runs on a JVM thread
            // ("Signal Dispatcher" hands it one) and only queues.
            sun.misc.SignalHandler old = sun.misc.Signal.handle(new sun.misc.Signal(name),
                    sig -> requests.offer(request));
            if (old == sun.misc.SignalHandler.SIG_IGN) {
                // The JVM leaves a signal its parent ignored (nohup ignores SIGHUP) ignored, and says so only here.
                log.warn("SIG{} was ignored when clawgressd started (nohup?) and stays ignored: {}", name,
                        request == Request.RELOAD ? "reload through the admin API (curl --unix-socket"
                                + " ... -X POST http://localhost/v1/reload) or restart without nohup"
                                : "stop it with another signal");
            }
        } catch (IllegalArgumentException e) {
            // -Xrs, or a signal the JVM reserves: the default action stays (for TERM/INT the shutdown hook stops).
            log.warn("cannot handle SIG{}: {}", name, e.getMessage());
        }
    }

    /** Asks for a reload; any thread. */
    public void reload() {
        requests.offer(Request.RELOAD);
    }

    /** Asks for a graceful stop; any thread. */
    public void stop() {
        requests.offer(Request.STOP);
    }

    /** The next request, waiting for one. */
    Request next() throws InterruptedException {
        return requests.take();
    }
}
