package io.clawgress.appliance.daemon;

import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.Version;
import io.clawgress.appliance.config.ClawgressConfig;
import io.clawgress.appliance.config.ConfigException;
import io.clawgress.appliance.config.ConfigLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code clawgressd [--config FILE] [--check-config]}. */
@Command(name = "clawgressd", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Clawgress transparent egress gateway daemon.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:stopped cleanly, or --check-config found the config valid",
                "1:could not start (listener, audit log, flow log, state_dir or policy store), see the message",
                "2:bad command-line arguments",
                "78:the configuration is invalid (each error names file:line:column, key and expectation)"})
public final class ClawgressdCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ClawgressdCommand.class);
    public static final Path DEFAULT_CONFIG = Path.of("/etc/clawgress/clawgress.yaml");

    @Option(names = "--config", paramLabel = "FILE", description = "Config file (default: ${DEFAULT-VALUE}).")
    Path config = DEFAULT_CONFIG;

    @Option(names = "--check-config", description = "Validate the config and exit.")
    boolean checkConfig;

    private final PrintWriter out;
    private final PrintWriter err;
    private final DaemonSignals signals;
    private final CountDownLatch stopSignal;
    private final SdNotify notify;

    /**
     * @param stopSignal counted down to stop a running daemon (a test, or a tool that only reads the command's
     *                   options); no reload requests reach it
     */
    public ClawgressdCommand(PrintWriter out, PrintWriter err, CountDownLatch stopSignal) {
        this(out, err, new DaemonSignals(), Objects.requireNonNull(stopSignal, "stopSignal"), SdNotify.disabled());
    }

    /**
     * @param signals reload and stop requests (SIGHUP, SIGTERM and SIGINT in production)
     * @param notify  systemd's notification socket, or {@link SdNotify#disabled()}
     */
    public ClawgressdCommand(PrintWriter out, PrintWriter err, DaemonSignals signals, SdNotify notify) {
        this(out, err, signals, null, notify);
    }

    private ClawgressdCommand(PrintWriter out, PrintWriter err, DaemonSignals signals, CountDownLatch stopSignal,
                              SdNotify notify) {
        this.out = out;
        this.err = err;
        this.signals = Objects.requireNonNull(signals, "signals");
        this.stopSignal = stopSignal;
        this.notify = Objects.requireNonNull(notify, "notify");
    }

    @Override
    public Integer call() {
        ClawgressConfig cfg;
        try {
            cfg = ConfigLoader.load(config);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            err.flush();
            return ExitCodes.CONFIG;
        }
        if (checkConfig) {
            out.println("config OK: " + config);
            out.flush();
            return ExitCodes.OK;
        }
        if (stopSignal != null) {
            Thread.ofVirtual().name("clawgressd-stop-latch").start(() -> {
                try {
                    stopSignal.await();
                    signals.stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        if (notify.enabled()) {
            log.info("systemd notification socket {}{}", notify.socket().orElse("?"), notify.watchdogInterval()
                    .map(w -> ", watchdog " + w.toMillis() + " ms").orElse(""));
        }
        try (Clawgressd daemon = Clawgressd.start(cfg, notify)) {
            notify.ready(status(daemon));
            serve(daemon);
            notify.stopping("stopping: draining " + daemon.proxy().openConnections() + " open connection(s) for up"
                    + " to " + daemon.drainTimeout().toMillis() + " ms");
        } catch (Clawgressd.StartException e) {
            log.error("clawgressd cannot start: {}", e.getMessage());
            notify.status("cannot start: " + e.getMessage());
            return ExitCodes.FAILURE;
        } finally {
            notify.close();
        }
        return ExitCodes.OK;
    }

    /**
     * Runs until a stop is requested, taking requests one by one on this thread (the signal handlers only queue
     * them). A reload runs on the daemon's reload thread, so a stop asked for during a long reload is not delayed.
     * systemd's watchdog is fed meanwhile, and stops with the first stop request.
     */
    private void serve(Clawgressd daemon) {
        Watchdog watchdog = Watchdog.start(notify, daemon.proxy()::probeEventLoops);
        try {
            while (true) {
                DaemonSignals.Request request = signals.next();
                switch (request) {
                    case RELOAD -> daemon.reloadAsync().whenComplete((r, e) -> {
                        if (e != null) {
                            log.warn("reload: {}", e.getMessage());
                        }
                    });
                    case STOP -> {
                        log.info("stop requested: no new connections; open flows may finish for up to {} ms",
                                daemon.drainTimeout().toMillis());
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            watchdog.close();
        }
    }

    private static String status(Clawgressd daemon) {
        var active = daemon.activePolicy();
        return "serving on " + io.clawgress.enforcement.net.Addresses.hostPort(daemon.proxy().localAddress()) + " ("
                + daemon.proxy().transport().code() + "), policy " + (active.signed() ? "revision "
                + active.revision() : active.source());
    }
}
