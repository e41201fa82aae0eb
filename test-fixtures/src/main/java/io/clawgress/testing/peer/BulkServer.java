package io.clawgress.testing.peer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bulk-server}: per connection, reads to EOF (hashing what arrives) while it writes {@code --bytes} pattern
 * bytes from {@code --seed}; the last {@code --after-eof-bytes} of them only after the client's EOF, which proves
 * the path keeps delivering after a half-close. Then it closes and logs a {@code done} line.
 */
final class BulkServer {

    private BulkServer() {
    }

    static int run(Args args, Events events) throws IOException {
        long bytes = args.bytes("bytes", 0);
        long seed = args.number("seed", 1);
        long afterEof = args.bytes("after-eof-bytes", 0);
        Duration timeout = args.seconds("timeout-seconds", Duration.ofMinutes(5));
        if (afterEof > bytes) {
            throw new Args.UsageException("bulk-server: --after-eof-bytes " + afterEof + " (expected: <= --bytes "
                    + bytes + ")");
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("bytes", bytes);
        extra.put("seed", seed);
        extra.put("after_eof_bytes", afterEof);
        return ServerLoop.serve(args, events, extra, s -> handle(s, events, bytes, seed, afterEof, timeout));
    }

    private static void handle(Socket s, Events events, long bytes, long seed, long afterEof, Duration timeout)
            throws IOException {
        long start = System.nanoTime();
        String remote = Events.endpoint(s.getRemoteSocketAddress());
        AtomicLong received = new AtomicLong();
        AtomicLong sent = new AtomicLong();
        long sentAfterEof = 0;
        MessageDigest inDigest = Outcome.sha256();
        MessageDigest outDigest = Outcome.sha256();
        CompletableFuture<String> readEnded = new CompletableFuture<>();
        IOException writeError = null;
        String readOutcome;
        try (Watchdog watchdog = Watchdog.closeAfter(s, timeout)) {
            Thread reader = Thread.ofVirtual().name("bulk-server-reader").start(() -> {
                try {
                    Streams.readToEof(s.getInputStream(), inDigest, received);
                    readEnded.complete(Outcome.EOF);
                } catch (IOException e) {
                    readEnded.complete(Outcome.of(e));
                }
            });
            PatternStream pattern = new PatternStream(seed);
            try {
                OutputStream out = s.getOutputStream();
                Streams.writePattern(out, pattern, bytes - afterEof, outDigest, sent);
                String before = awaitRead(readEnded, watchdog);
                if (Outcome.EOF.equals(before) && afterEof > 0) {
                    Streams.writePattern(out, pattern, afterEof, outDigest, sent);
                    sentAfterEof = afterEof;
                }
            } catch (IOException e) {
                writeError = e;
            }
            ServerLoop.closeQuietly(s);
            readOutcome = awaitRead(readEnded, watchdog);
            joinQuietly(reader);
            String ended = watchdog.fired() ? Outcome.TIMEOUT
                    : writeError != null ? Outcome.of(writeError)
                    : readOutcome;
            Map<String, Object> done = Events.event("done");
            done.put("remote", remote);
            done.put("received_bytes", received.get());
            done.put("received_sha256", Outcome.hex(inDigest));
            done.put("sent_bytes", sent.get());
            done.put("sent_sha256", Outcome.hex(outDigest));
            done.put("sent_after_eof_bytes", sentAfterEof);
            done.put("ended", ended);
            done.put("duration_ms", (System.nanoTime() - start) / 1_000_000);
            events.emit(done);
        }
    }

    /** The read side's outcome, waiting no longer than the watchdog's deadline. */
    private static String awaitRead(CompletableFuture<String> readEnded, Watchdog watchdog) {
        try {
            return readEnded.get(watchdog.remaining().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return Outcome.TIMEOUT;
        } catch (ExecutionException e) {
            return "error: " + e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "error: interrupted";
        }
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
