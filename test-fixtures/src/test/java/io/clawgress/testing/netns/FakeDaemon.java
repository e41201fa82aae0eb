package io.clawgress.testing.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;

/**
 * A stand-in for {@code clawgressd} that lets {@link TopologyIT} exercise {@link GatewayProcess} before the real
 * daemon exists. Config lines it understands: {@code mode: ready|fail} and {@code path: <flow log>}. In ready mode
 * it prints the ready line, then writes two flow records, the second one late (as a flow log written after close).
 */
public final class FakeDaemon {

    private FakeDaemon() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 2 || !args[0].equals("--config")) {
            System.err.println("usage: FakeDaemon --config FILE");
            System.exit(2);
        }
        String mode = "ready";
        Path flowLog = null;
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            String t = line.trim();
            if (t.startsWith("mode:")) {
                mode = t.substring(5).trim();
            } else if (t.startsWith("path:")) {
                flowLog = Path.of(t.substring(5).trim());
            }
        }
        if (mode.equals("fail")) {
            System.err.println("config error: mode fail requested by the test");
            System.exit(3);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.println("fake clawgressd: draining")));
        System.err.println("fake clawgressd ready: listening (clawgressd ready)");
        if (flowLog != null) {
            append(flowLog, "{\"flow_id\":1,\"termination\":\"completed\"}\n");
            Thread.sleep(300);
            // Written in two pieces: a reader must not see half a record.
            append(flowLog, "{\"flow_id\":2,");
            Thread.sleep(100);
            append(flowLog, "\"termination\":\"policy_denied\"}\n");
        }
        new CountDownLatch(1).await();
    }

    private static void append(Path p, String s) throws IOException {
        Files.writeString(p, s, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
