package io.clawgress.appliance;

import io.clawgress.appliance.daemon.ClawgressdCommand;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;

/** Thin main: parse arguments, run, exit. SIGTERM/SIGINT stop the daemon through the shutdown hook. */
public final class ClawgressdMain {

    private ClawgressdMain() {
    }

    public static void main(String[] args) {
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                stopped.await(); // let the daemon write every record before the JVM exits
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "clawgressd-shutdown"));
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code;
        try {
            code = new CommandLine(new ClawgressdCommand(out, err, stop)).setOut(out).setErr(err).execute(args);
        } finally {
            stopped.countDown();
        }
        System.exit(code);
    }
}
