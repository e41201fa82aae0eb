package io.clawgress.testing.peer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code load-client}: an open-loop generator of short HTTP/1.1 connections, from many source addresses, that
 * records exactly what each connection sent and received (to compare with a proxy's per-connection records).
 *
 * <p>Connection {@code i} (0 ≤ i &lt; {@code --connections}) binds source {@code i mod #sources} (port 0), goes to
 * target {@code i mod #targets}, and is due {@code k / --rate} seconds after the start, where {@code k = i div
 * #sources} is its rank among its source's connections: every source opens {@code --rate} connections per second.
 * Connections start when due, whatever happened to earlier ones (open loop), unless {@code --concurrency} are in
 * flight: then the schedule waits for a free slot (the connections held back start as soon as slots free up), and a
 * connection that starts more than 50 ms after it was due counts as a late start.
 *
 * <p>Each connection writes {@code POST <path>?n=<i> HTTP/1.1} with {@code Host: <target ip>},
 * {@code Content-Length: <len>} ({@code len = MIN + (i * 7919) mod (MAX - MIN + 1)} from {@code --body-bytes MIN-MAX})
 * and {@code Connection: close}, then the body, all in full without a half-close, and reads until EOF, a reset or
 * {@code --timeout-seconds} after its start (the whole connection, connect included). The kernel picks the local
 * port, and may pick it again once the connection that had it is gone: {@code local} is unique among connections in
 * flight together, not over a run.
 *
 * <p>Events: one {@code conn} per connection as it ends ({@code i}, {@code source}, {@code local} ip:port or null
 * if the bind failed, {@code target}, {@code sent} and {@code received} bytes, {@code status} of the first complete
 * status line or null, {@code retry_after} or null, {@code ended} as {@link Outcome} says, {@code intended_ms},
 * {@code start_ms}, {@code end_ms} in epoch ms), then one {@code summary} ({@code connections}, {@code ok},
 * {@code by_status} with {@code "none"} for no status, {@code by_ended}, {@code late_starts}, {@code max_in_flight},
 * {@code elapsed_ms}, {@code sent}, {@code received}). Exits 0 only when every connection got a status and ended
 * with EOF.
 */
final class LoadClient {

    static final int DEFAULT_CONCURRENCY = 1000;
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final long LATE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final int MAX_CONNECTIONS = 10_000_000;
    private static final int MAX_BODY = 64 << 20;
    private static final int CHUNK = 64 << 10;
    private static final int HEAD_CAPTURE = 16 << 10;
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/\\d\\.\\d (\\d{3})(?: .*)?");

    private final Events events;
    private final List<InetSocketAddress> targets;
    private final List<InetAddress> sources;
    private final double rate;
    private final int connections;
    private final int concurrency;
    private final int bodyMin;
    private final int bodyMax;
    private final String path;
    private final Duration timeout;
    private final byte[] body;

    private long startNanos;
    private long startEpochMs;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final LongAdder late = new LongAdder();
    private final LongAdder ok = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final Map<String, Long> byStatus = new ConcurrentHashMap<>();
    private final Map<String, Long> byEnded = new ConcurrentHashMap<>();

    private LoadClient(Args a, Events events) {
        this.events = events;
        this.targets = a.strings("target").stream().map(v -> endpoint(a, v)).toList();
        this.sources = a.strings("source").stream().map(v -> address(a, v)).toList();
        this.rate = rate(a);
        this.connections = (int) count(a, "connections", null, MAX_CONNECTIONS);
        this.concurrency = (int) count(a, "concurrency", DEFAULT_CONCURRENCY, 1_000_000);
        String[] range = a.string("body-bytes", "0-0").split("-", -1);
        try {
            this.bodyMin = Integer.parseInt(range[0].strip());
            this.bodyMax = Integer.parseInt(range[range.length - 1].strip());
        } catch (NumberFormatException e) {
            throw usage(a, "--body-bytes " + String.join("-", range) + " (expected: MIN-MAX)");
        }
        this.path = a.string("path", "/load");
        this.timeout = a.seconds("timeout-seconds", DEFAULT_TIMEOUT);
        a.checkAllUsed();
        if (targets.isEmpty() || sources.isEmpty()) {
            throw usage(a, "at least one --target and one --source");
        }
        if (range.length > 2 || bodyMin < 0 || bodyMax < bodyMin || bodyMax > MAX_BODY) {
            throw usage(a, "--body-bytes " + String.join("-", range) + " (expected: MIN-MAX, 0 <= MIN <= MAX <= "
                    + MAX_BODY + ")");
        }
        if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
            throw usage(a, "--path " + path + " (expected: /path without spaces or control characters)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw usage(a, "--timeout-seconds " + timeout.toSeconds() + " (expected: > 0)");
        }
        this.body = new byte[bodyMax];
        for (int j = 0; j < body.length; j++) {
            body[j] = (byte) ('a' + j % 26);
        }
    }

    static int run(Args args, Events events) {
        return new LoadClient(args, events).run();
    }

    private int run() {
        warmUp();
        Semaphore slots = new Semaphore(concurrency);
        startNanos = System.nanoTime();
        startEpochMs = System.currentTimeMillis();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < connections; i++) {
                // Every source shares the rate and the start, so due times grow with i: no queue needed.
                long due = startNanos + Math.round((i / sources.size()) * 1e9 / rate);
                for (long wait; (wait = due - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(wait);
                }
                slots.acquireUninterruptibly();
                Conn c = new Conn(i, due);
                threads.execute(() -> {
                    try {
                        c.run();
                    } finally {
                        slots.release();
                    }
                });
            }
        } // close() waits for every connection; each is bounded by its timeout
        Map<String, Object> summary = Events.event("summary");
        summary.put("connections", connections);
        summary.put("ok", ok.sum());
        summary.put("by_status", new TreeMap<>(byStatus));
        summary.put("by_ended", new TreeMap<>(byEnded));
        summary.put("late_starts", late.sum());
        summary.put("max_in_flight", maxInFlight.get());
        summary.put("elapsed_ms", (System.nanoTime() - startNanos) / 1_000_000);
        summary.put("sent", sent.sum());
        summary.put("received", received.sum());
        events.emit(summary);
        return ok.sum() == connections ? 0 : 1;
    }

    /**
     * Loads and compiles what every connection uses, with a few exchanges with ourselves on the first source (local
     * traffic, never seen by a gateway), so the first connections of the schedule do not start late.
     */
    private void warmUp() {
        try (ServerSocket server = new ServerSocket(0, 50, sources.get(0))) {
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try (Socket accepted = server.accept()) {
                        accepted.getInputStream().readNBytes(4);
                        accepted.getOutputStream().write("HTTP/1.1 204 \r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            for (int i = 0; i < 20; i++) {
                Thread.ofVirtual().start(() -> {
                    try (Socket s = new Socket(); Watchdog w = Watchdog.closeAfter(s, Duration.ofSeconds(5))) {
                        s.bind(new InetSocketAddress(sources.get(0), 0));
                        s.setTcpNoDelay(true);
                        s.connect(server.getLocalSocketAddress(), 5_000);
                        s.getOutputStream().write(new byte[4]);
                        byte[] answer = s.getInputStream().readAllBytes();
                        Events.toJson(Map.of("local", Events.endpoint(s.getLocalSocketAddress()), "w", w.fired(),
                                "ok", STATUS_LINE.matcher(completeLines(answer).get(0)).matches()));
                    } catch (IOException | RuntimeException e) {
                        // only a warm-up: the connections report their own failures
                    }
                }).join();
            }
        } catch (IOException e) {
            // as above
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long epochMs(long nanos) {
        return startEpochMs + Math.floorDiv(nanos - startNanos, 1_000_000);
    }

    /** One connection: its exchange and its record, touched only by its own thread. */
    private final class Conn {
        final int index;
        final long dueNanos;
        final InetAddress source;
        final InetSocketAddress target;
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        String local;
        long connSent;
        long connReceived;

        Conn(int index, long dueNanos) {
            this.index = index;
            this.dueNanos = dueNanos;
            this.source = sources.get(index % sources.size());
            this.target = targets.get(index % targets.size());
        }

        void run() {
            long begin = System.nanoTime();
            if (begin - dueNanos > LATE_NANOS) {
                late.increment();
            }
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            String ended;
            Socket s = new Socket();
            try (Watchdog watchdog = Watchdog.closeAfter(s, timeout)) {
                try {
                    exchange(s, watchdog);
                    ended = Outcome.EOF;
                } catch (IOException e) {
                    ended = watchdog.fired() ? Outcome.TIMEOUT : Outcome.of(e);
                } catch (RuntimeException e) {
                    ended = "error: " + e;
                }
            } finally {
                ServerLoop.closeQuietly(s);
                inFlight.decrementAndGet();
            }
            long end = System.nanoTime();
            report(ended, begin, end);
        }

        private void exchange(Socket s, Watchdog watchdog) throws IOException {
            s.bind(new InetSocketAddress(source, 0));
            local = Events.endpoint(s.getLocalSocketAddress());
            s.setTcpNoDelay(true);
            s.connect(target, (int) Math.min(Integer.MAX_VALUE, watchdog.remaining().toMillis()));
            IOException writeError = null;
            try {
                write(s.getOutputStream());
            } catch (IOException e) {
                writeError = e; // still read: an early answer (e.g. a 429) may be waiting
            }
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) >= 0; ) {
                connReceived += n;
                head.write(buf, 0, Math.min(n, HEAD_CAPTURE - head.size()));
            }
            if (writeError != null) {
                throw writeError;
            }
        }

        /** The head and the start of the body in one write (one segment for small requests), then the rest. */
        private void write(OutputStream out) throws IOException {
            int length = bodyMin + (int) ((long) index * 7919 % (bodyMax - bodyMin + 1));
            String host = target.getAddress().getHostAddress();
            byte[] requestHead = ("POST " + path + (path.contains("?") ? "&" : "?") + "n=" + index + " HTTP/1.1\r\n"
                    + "Host: " + (host.contains(":") ? "[" + host + "]" : host) + "\r\n"
                    + "Content-Length: " + length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            int first = Math.min(length, CHUNK);
            byte[] buf = Arrays.copyOf(requestHead, requestHead.length + first);
            System.arraycopy(body, 0, buf, requestHead.length, first);
            out.write(buf);
            connSent += buf.length;
            for (int off = first; off < length; off += CHUNK) {
                int n = Math.min(CHUNK, length - off);
                out.write(body, off, n);
                connSent += n;
            }
        }

        private void report(String ended, long begin, long end) {
            List<String> lines = completeLines(head.toByteArray());
            Matcher m = lines.isEmpty() ? null : STATUS_LINE.matcher(lines.get(0));
            Integer status = m != null && m.matches() ? Integer.valueOf(m.group(1)) : null;
            String retryAfter = null;
            for (int j = 1; status != null && j < lines.size() && !lines.get(j).isEmpty(); j++) {
                String line = lines.get(j);
                int colon = line.indexOf(':');
                if (colon > 0 && retryAfter == null && line.substring(0, colon).equalsIgnoreCase("retry-after")) {
                    retryAfter = line.substring(colon + 1).strip();
                }
            }
            Map<String, Object> e = Events.event("conn");
            e.put("i", index);
            e.put("source", source.getHostAddress());
            e.put("local", local);
            e.put("target", Events.endpoint(target));
            e.put("sent", connSent);
            e.put("received", connReceived);
            e.put("status", status);
            e.put("retry_after", retryAfter);
            e.put("ended", ended);
            e.put("intended_ms", epochMs(dueNanos));
            e.put("start_ms", epochMs(begin));
            e.put("end_ms", epochMs(end));
            events.emit(e);

            sent.add(connSent);
            received.add(connReceived);
            byStatus.merge(status == null ? "none" : status.toString(), 1L, Long::sum);
            byEnded.merge(ended, 1L, Long::sum);
            if (status != null && Outcome.EOF.equals(ended)) {
                ok.increment();
            }
        }
    }

    /** The lines of {@code bytes} that end in LF, without their CRLF or LF. */
    private static List<String> completeLines(byte[] bytes) {
        List<String> lines = new ArrayList<>();
        int from = 0;
        for (int j = 0; j < bytes.length; j++) {
            if (bytes[j] == '\n') {
                int to = j > from && bytes[j - 1] == '\r' ? j - 1 : j;
                lines.add(new String(bytes, from, to - from, StandardCharsets.ISO_8859_1));
                from = j + 1;
            }
        }
        return lines;
    }

    private static double rate(Args a) {
        String v = a.string("rate");
        try {
            double r = Double.parseDouble(v);
            if (r > 0 && Double.isFinite(r)) {
                return r;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw usage(a, "--rate " + v + " (expected: connections per second per source, > 0)");
    }

    /** A whole number in 1..max; {@code dflt} null: required. */
    private static long count(Args a, String name, Integer dflt, long max) {
        String v = dflt == null ? a.string(name) : a.string(name, dflt.toString());
        try {
            long n = Long.parseLong(v);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw usage(a, "--" + name + " " + v + " (expected: 1.." + max + ")");
    }

    private static InetSocketAddress endpoint(Args a, String v) {
        int colon = v.lastIndexOf(':');
        try {
            if (colon > 0) {
                InetAddress ip = InetAddress.getByName(v.substring(0, colon).replace("[", "").replace("]", ""));
                return new InetSocketAddress(ip, Integer.parseInt(v.substring(colon + 1)));
            }
        } catch (UnknownHostException | IllegalArgumentException e) {
            // reported below
        }
        throw usage(a, "--target " + v + " (expected: ip:port)");
    }

    private static InetAddress address(Args a, String v) {
        try {
            return InetAddress.getByName(v);
        } catch (UnknownHostException e) {
            throw usage(a, "--source " + v + " (expected: an IP address)");
        }
    }

    private static Args.UsageException usage(Args a, String message) {
        return new Args.UsageException(a.command() + ": " + message);
    }
}
