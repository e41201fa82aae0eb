package io.clawgress.testing.peer;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;

/**
 * {@code silent-server}: accepts connections and never sends a byte; reads (and counts) whatever arrives and logs
 * how each connection ended ({@code eof}, {@code reset}, {@code timeout} after {@code --idle-timeout-seconds} of
 * silence, if given) and how long it lasted.
 */
final class SilentServer {

    private SilentServer() {
    }

    static int run(Args args, Events events) throws IOException {
        Duration idle = args.seconds("idle-timeout-seconds", Duration.ZERO);
        Duration holdAfterEof = args.seconds("hold-after-eof-seconds", Duration.ZERO);
        return ServerLoop.serve(args, events, Map.of(), s -> handle(s, events, idle, holdAfterEof));
    }

    private static void handle(Socket s, Events events, Duration idle, Duration holdAfterEof) throws IOException {
        long start = System.nanoTime();
        String remote = Events.endpoint(s.getRemoteSocketAddress());
        s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idle.toMillis()));
        long received = 0;
        String ended;
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) >= 0; ) {
                received += n;
            }
            ended = Outcome.EOF;
        } catch (IOException e) {
            ended = Outcome.of(e);
        }
        Map<String, Object> done = Events.event("done");
        done.put("remote", remote);
        done.put("ended", ended);
        done.put("duration_ms", (System.nanoTime() - start) / 1_000_000);
        done.put("received_bytes", received);
        events.emit(done);
        if (Outcome.EOF.equals(ended) && !holdAfterEof.isZero()) {
            try {
                Thread.sleep(holdAfterEof.toMillis()); // keep our direction open: the peer is half-closed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
