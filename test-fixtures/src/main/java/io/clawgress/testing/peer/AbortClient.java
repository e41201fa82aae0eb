package io.clawgress.testing.peer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;

/**
 * {@code abort-client}: connects, sends FIN at once ({@code shutdownOutput}), waits {@code --reset-after-seconds},
 * then aborts with a reset (SO_LINGER 0). The half-closed-then-reset agent that must not make the gateway spin.
 * Prints {@code connected} and {@code done}; exits 0 when the reset was sent.
 */
final class AbortClient {

    private AbortClient() {
    }

    static int run(Args args, Events events) {
        InetSocketAddress target = args.endpoint("connect");
        Duration wait = args.seconds("reset-after-seconds", Duration.ofSeconds(1));
        args.checkAllUsed();

        long start = System.nanoTime();
        Map<String, Object> done = Events.event("done");
        done.put("remote", Events.endpoint(target));
        try {
            Socket s = new Socket();
            s.connect(target, 10_000);
            Map<String, Object> connected = Events.event("connected");
            connected.put("local", Events.endpoint(s.getLocalSocketAddress()));
            events.emit(connected);
            s.shutdownOutput();
            Thread.sleep(wait.toMillis());
            s.setSoLinger(true, 0);
            s.close();
            done.put("ended", "reset_sent");
        } catch (IOException e) {
            done.put("ended", Outcome.of(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done.put("ended", "interrupted");
        }
        done.put("elapsed_ms", (System.nanoTime() - start) / 1_000_000);
        events.emit(done);
        return "reset_sent".equals(done.get("ended")) ? 0 : 1;
    }
}
