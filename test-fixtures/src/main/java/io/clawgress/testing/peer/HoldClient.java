package io.clawgress.testing.peer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;

/**
 * {@code hold-client}: connects and waits, sending nothing, until the connection ends or {@code --timeout-seconds}
 * passes; prints {@code connected} and then {@code done} with {@code ended} = {@code eof}, {@code reset} or
 * {@code timeout}. Exits 0 only on {@code eof}.
 */
final class HoldClient {

    private HoldClient() {
    }

    static int run(Args args, Events events) {
        InetSocketAddress target = args.endpoint("connect");
        Duration timeout = args.seconds("timeout-seconds", Duration.ofMinutes(1));
        args.checkAllUsed();

        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        Map<String, Object> done = Events.event("done");
        done.put("remote", Events.endpoint(target));
        long received = 0;
        String ended;
        try (Socket s = new Socket()) {
            s.connect(target, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            long connectMs = (System.nanoTime() - start) / 1_000_000;
            Map<String, Object> connected = Events.event("connected");
            connected.put("local", Events.endpoint(s.getLocalSocketAddress()));
            connected.put("remote", Events.endpoint(s.getRemoteSocketAddress()));
            connected.put("connect_ms", connectMs);
            events.emit(connected);
            done.put("connect_ms", connectMs);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            while (true) {
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    ended = Outcome.TIMEOUT;
                    break;
                }
                s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, leftMs));
                int n;
                try {
                    n = in.read(buf);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (n < 0) {
                    ended = Outcome.EOF;
                    break;
                }
                received += n;
            }
        } catch (IOException e) {
            ended = Outcome.of(e);
        }
        done.put("received_bytes", received);
        done.put("ended", ended);
        done.put("elapsed_ms", (System.nanoTime() - start) / 1_000_000);
        events.emit(done);
        return Outcome.EOF.equals(ended) ? 0 : 1;
    }
}
