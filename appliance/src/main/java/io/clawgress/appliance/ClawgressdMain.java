package io.clawgress.appliance;

import io.clawgress.appliance.daemon.ClawgressdCommand;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thin main: parse arguments, run, exit. SIGTERM/SIGINT stop the daemon through the shutdown hook, which waits
 * until every flow record is written and then ends the JVM with the daemon's own exit code (0 for a clean stop,
 * rather than the JVM's 143 for "terminated by SIGTERM").
 */
public final class ClawgressdMain {

    private ClawgressdMain() {
    }

    public static void main(String[] args) {
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicInteger exitCode = new AtomicInteger(ExitCodes.FAILURE);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
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
            exitCode.set(new CommandLine(new ClawgressdCommand(out, err, stop)).setOut(out).setErr(err)
                    .execute(args));
        } finally {
            stopped.countDown();
        }
        System.exit(exitCode.get());
    }
}
