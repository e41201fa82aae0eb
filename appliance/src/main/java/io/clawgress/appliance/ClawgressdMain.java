package io.clawgress.appliance;

import io.clawgress.appliance.daemon.ClawgressdCommand;
import io.clawgress.appliance.daemon.DaemonSignals;
import io.clawgress.appliance.daemon.SdNotify;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thin main: parse arguments, run, exit. SIGTERM and SIGINT ask for a graceful stop and SIGHUP for a reload: their
 * handlers only queue the request for the daemon's main thread ({@link DaemonSignals}). A clean stop returns from
 * the command and exits 0 (not the JVM's 143 for "terminated by SIGTERM"). Should the JVM begin shutting down any
 * other way, the shutdown hook still stops the daemon, waits until every flow record is written, and exits with the
 * daemon's own code.
 */
public final class ClawgressdMain {

    private ClawgressdMain() {
    }

    public static void main(String[] args) {
        DaemonSignals signals = DaemonSignals.installHandlers();
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicInteger exitCode = new AtomicInteger(ExitCodes.FAILURE);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            signals.stop();
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(exitCode.get());
        }, "clawgressd-shutdown"));
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        try {
            exitCode.set(new CommandLine(new ClawgressdCommand(out, err, signals, SdNotify.fromEnvironment()))
                    .setOut(out).setErr(err).execute(args));
        } finally {
            stopped.countDown();
        }
        System.exit(exitCode.get());
    }
}
