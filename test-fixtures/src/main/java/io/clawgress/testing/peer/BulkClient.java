package io.clawgress.testing.peer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code bulk-client}: connects, sends {@code --bytes} pattern bytes from {@code --seed} on one thread and then
 * shuts its write side, while the main thread reads to EOF; both directions hashed. Prints {@code connected} and one
 * {@code done} line; exits 0 only when the connection ended with a clean EOF.
 */
final class BulkClient {

    private BulkClient() {
    }

    static int run(Args args, Events events) {
        InetSocketAddress target = args.endpoint("connect");
        long bytes = args.bytes("bytes", 0);
        long seed = args.number("seed", 2);
        Duration timeout = args.seconds("timeout-seconds", Duration.ofMinutes(1));
        args.checkAllUsed();

        long start = System.nanoTime();
        Map<String, Object> done = Events.event("done");
        done.put("remote", Events.endpoint(target));
        Socket s = new Socket();
        try {
            s.connect(target, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        } catch (IOException e) {
            ServerLoop.closeQuietly(s);
            done.put("ended", Outcome.of(e));
            done.put("elapsed_ms", (System.nanoTime() - start) / 1_000_000);
            events.emit(done);
            return 1;
        }
        long connectMs = (System.nanoTime() - start) / 1_000_000;
        Map<String, Object> connected = Events.event("connected");
        connected.put("local", Events.endpoint(s.getLocalSocketAddress()));
        connected.put("remote", Events.endpoint(s.getRemoteSocketAddress()));
        connected.put("connect_ms", connectMs);
        events.emit(connected);

        AtomicLong sent = new AtomicLong();
        AtomicLong received = new AtomicLong();
        AtomicLong receivedAtShutdown = new AtomicLong(-1);
        AtomicReference<IOException> writeError = new AtomicReference<>();
        MessageDigest outDigest = Outcome.sha256();
        MessageDigest inDigest = Outcome.sha256();
        String readOutcome;
        try (Watchdog watchdog = Watchdog.closeAfter(s, timeout)) {
            Thread writer = Thread.ofVirtual().name("bulk-client-writer").start(() -> {
                try {
                    Streams.writePattern(s.getOutputStream(), new PatternStream(seed), bytes, outDigest, sent);
                    receivedAtShutdown.set(received.get());
                    s.shutdownOutput();
                } catch (IOException e) {
                    writeError.set(e);
                }
            });
            try {
                Streams.readToEof(s.getInputStream(), inDigest, received);
                readOutcome = Outcome.EOF;
            } catch (IOException e) {
                readOutcome = Outcome.of(e);
            }
            try {
                if (!writer.join(watchdog.remaining())) {
                    ServerLoop.closeQuietly(s);
                    writer.join(Duration.ofSeconds(10));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ServerLoop.closeQuietly(s);
            String ended = watchdog.fired() ? Outcome.TIMEOUT
                    : !Outcome.EOF.equals(readOutcome) ? readOutcome
                    : writeError.get() != null ? Outcome.of(writeError.get())
                    : Outcome.EOF;
            done.put("received_bytes", received.get());
            done.put("received_sha256", Outcome.hex(inDigest));
            done.put("sent_bytes", sent.get());
            done.put("sent_sha256", Outcome.hex(outDigest));
            long atShutdown = receivedAtShutdown.get();
            done.put("received_after_shutdown_bytes", atShutdown < 0 ? 0 : received.get() - atShutdown);
            done.put("ended", ended);
            done.put("connect_ms", connectMs);
            done.put("elapsed_ms", (System.nanoTime() - start) / 1_000_000);
            events.emit(done);
            return Outcome.EOF.equals(ended) ? 0 : 1;
        }
    }
}
