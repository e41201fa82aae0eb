package io.clawgress.benchmarks.load.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The open-loop load generator, run in the agent namespace. It takes one command at a time over a unix socket (JSON
 * lines; the orchestrator, {@code Bench}, is the only client) and answers with {@code mark} lines at the start and
 * end of the measured window (so the orchestrator samples the systems' CPU exactly there) and a {@code result} line.
 *
 * <p>Open loop: request {@code k} of a run is due at {@code t0 + k / rate}, whatever happened to earlier requests,
 * and its latency is measured from that intended time to the last byte of its response. A stall anywhere (gateway,
 * server, this generator) therefore shows as latency of every request due during it, instead of being hidden by
 * requests that were never sent (coordinated omission). How late the pacer itself was is reported separately.
 *
 * <p>Netty epoll with {@code --threads} event loops (2 by default): connections are spread over the loops, each
 * loop paces its own share of the requests and records into its own histograms; nothing blocks and no thread exists
 * per connection. TLS is BoringSSL (netty-tcnative) with session resumption off, so every new connection pays a full
 * handshake, as a fresh agent process would.
 *
 * <p>Commands ({@code "op"}): {@code keepalive} (N open connections, R requests/s over them), {@code newconn} (R new
 * connections/s, one request each), {@code hold} / {@code probe} / {@code release} (the concurrency ramp: open and
 * keep connections, measure requests over them, close them), {@code bulk} (one large download), {@code quit}.
 */
public final class LoadAgent {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final EventLoopGroup group;
    private final EventLoop[] loops;
    private final SslContext tls;
    private Writer control;
    /** The ramp's held connections, by loop. */
    private final List<List<ClientConn>> held = new ArrayList<>();
    private ByteBuf heldRequest;

    private LoadAgent(int threads, Path trust) throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("epoll unavailable: " + Epoll.unavailabilityCause());
        }
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("load", true),
                EpollIoHandler.newFactory());
        List<EventLoop> l = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            l.add(group.next());
        }
        loops = l.toArray(EventLoop[]::new);
        for (int i = 0; i < threads; i++) {
            held.add(new ArrayList<>());
        }
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        tls = SslContextBuilder.forClient().sslProvider(provider).protocols("TLSv1.3", "TLSv1.2")
                .endpointIdentificationAlgorithm("HTTPS").trustManager(trust.toFile()).build();
        if (tls.sessionContext() instanceof OpenSslSessionContext s) {
            s.setSessionCacheEnabled(false);
        } else {
            tls.sessionContext().setSessionCacheSize(1);
        }
    }

    public static void main(String[] args) throws Exception {
        Path socket = null;
        Path trust = null;
        int threads = 2;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--control" -> socket = Path.of(args[i + 1]);
                case "--trust" -> trust = Path.of(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected: --control SOCKET --trust CA.pem [--threads N])");
            }
        }
        if (socket == null || trust == null) {
            throw new IllegalArgumentException("usage: LoadAgent --control SOCKET --trust CA.pem [--threads N]");
        }
        LoadAgent agent = new LoadAgent(threads, trust);
        Files.deleteIfExists(socket);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            System.out.println("{\"event\":\"ready\",\"control\":\"" + socket + "\",\"threads\":" + threads
                    + ",\"tls\":\"" + (OpenSsl.isAvailable() ? OpenSsl.versionString() : "jdk") + "\"}");
            System.out.flush();
            try (SocketChannel c = server.accept()) {
                agent.serve(c);
            }
        } finally {
            agent.group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private void serve(SocketChannel c) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c),
                StandardCharsets.UTF_8));
        control = new OutputStreamWriter(Channels.newOutputStream(c), StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            JsonNode cmd = JSON.readTree(line);
            String op = cmd.path("op").asText();
            ObjectNode result;
            try {
                result = switch (op) {
                    case "keepalive" -> keepAlive(cmd);
                    case "newconn" -> newConnections(cmd);
                    case "hold" -> hold(cmd);
                    case "probe" -> probe(cmd);
                    case "release" -> release();
                    case "bulk" -> bulk(cmd);
                    case "ping" -> JSON.createObjectNode();
                    case "quit" -> null;
                    default -> throw new IllegalArgumentException("unknown op " + op);
                };
            } catch (RuntimeException e) {
                result = JSON.createObjectNode().put("failure", e.toString());
            }
            if (result == null) {
                send(JSON.createObjectNode().put("result", "bye"));
                return;
            }
            result.put("result", op);
            send(result);
        }
    }

    private synchronized void send(ObjectNode line) {
        try {
            control.write(JSON.writeValueAsString(line));
            control.write('\n');
            control.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void mark(String name) {
        send(JSON.createObjectNode().put("mark", name).put("at_nanos", System.nanoTime()));
    }

    // ---- keep-alive: N connections, R requests/s over them ---------------------------------------------------------

    private ObjectNode keepAlive(JsonNode cmd) throws Exception {
        Target target = Target.of(cmd);
        int connections = cmd.path("connections").asInt();
        double rate = cmd.path("rate").asDouble();
        long warmup = seconds(cmd, "warmup_seconds");
        long duration = seconds(cmd, "duration_seconds");
        ByteBuf request = target.request(false);
        List<List<ClientConn>> byLoop = new ArrayList<>();
        for (int i = 0; i < loops.length; i++) {
            byLoop.add(new ArrayList<>());
        }
        Recorder[] rec = recorders(Long.MAX_VALUE, Long.MAX_VALUE);
        OpenResult opened = open(target, request, connections, byLoop, loop -> rec[loop],
                cmd.path("open_parallel").asInt(256));
        // A few failed connects (a SYN lost twice on a loaded machine) do not void the cell: they are reported as
        // errors and the rate runs over the connections that did open. More than 2% does.
        if (opened.ready < connections * 0.98) {
            closeAll(byLoop);
            return failure("only " + opened.ready + " of " + connections + " connections opened: " + opened.errors);
        }
        Histogram open = opened.setup;
        ObjectNode out = measure(rate, warmup, duration, rec, (loop, conns, k, intended) -> {
            List<ClientConn> own = byLoop.get(loop);
            ClientConn c = own.get((int) (k % own.size()));
            c.send(intended);
        }, byLoop);
        closeAll(byLoop);
        if (!opened.errors.isEmpty()) {
            ObjectNode errors = (ObjectNode) out.get("errors");
            opened.errors.forEach((k, v) -> errors.put("open_" + k, v));
            out.put("errors_total", out.get("errors_total").asLong() + opened.errors.values().stream()
                    .mapToLong(Long::longValue).sum());
        }
        out.put("connections", opened.ready);
        out.put("setup_p50_us", open.getValueAtPercentile(50) / 1000.0);
        return out;
    }

    /** Opens {@code n} connections, at most {@code parallel} handshakes at a time, spread evenly over the loops. */
    private OpenResult open(Target target, ByteBuf request, int n, List<List<ClientConn>> byLoop,
                            java.util.function.IntFunction<Recorder> rec, int parallel) throws Exception {
        OpenResult r = new OpenResult();
        AtomicInteger started = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        CompletableFuture<Void> all = new CompletableFuture<>();
        Runnable[] next = new Runnable[1];
        next[0] = () -> {
            int i = started.getAndIncrement();
            if (i >= n) {
                return;
            }
            int loop = i % loops.length;
            long start = System.nanoTime();
            ClientConn conn = new ClientConn(new ClientConn.Events() {
                boolean counted;

                @Override
                public void onReady(ClientConn c) {
                    if (!counted) {
                        counted = true;
                        synchronized (r) {
                            r.ready++;
                            r.setup.recordValue(Math.min(System.nanoTime() - start, Recorder.MAX_NANOS));
                        }
                        finishOne();
                    }
                }

                @Override
                public void onResponse(ClientConn c, long intended, int status, long bodyBytes) {
                    rec.apply(loop).response(intended, System.nanoTime(), status, bodyBytes);
                }

                @Override
                public void onClosed(ClientConn c, String cause) {
                    for (int p = 0; p < c.pending(); p++) {
                        rec.apply(loop).failed(c.pendingAt(p), cause == null ? "closed" : cause);
                    }
                    if (!counted) {
                        counted = true;
                        synchronized (r) {
                            r.errors.merge(cause == null ? "closed" : cause, 1L, Long::sum);
                        }
                        finishOne();
                    }
                }

                private void finishOne() {
                    if (done.incrementAndGet() == n) {
                        all.complete(null);
                    } else {
                        next[0].run();
                    }
                }
            }, request, target.tls());
            synchronized (byLoop) {
                byLoop.get(loop).add(conn);
            }
            connect(loops[loop], target, conn);
        };
        if (n == 0) {
            return r;
        }
        for (int i = 0; i < Math.min(parallel, n); i++) {
            next[0].run();
        }
        all.get(Math.max(60, n / 50), TimeUnit.SECONDS);
        for (List<ClientConn> l : byLoop) {
            l.removeIf(c -> !c.ready());
        }
        return r;
    }

    private static final class OpenResult {
        int ready;
        final Histogram setup = new Histogram(Recorder.MAX_NANOS, 3);
        final java.util.Map<String, Long> errors = new java.util.TreeMap<>();
    }

    // ---- new connection per request -----------------------------------------------------------------------------

    private ObjectNode newConnections(JsonNode cmd) throws Exception {
        Target target = Target.of(cmd);
        double rate = cmd.path("rate").asDouble();
        long warmup = seconds(cmd, "warmup_seconds");
        long duration = seconds(cmd, "duration_seconds");
        int maxInFlight = cmd.path("max_in_flight").asInt(4000) / loops.length;
        ByteBuf request = target.request(true);
        Recorder[] rec = recorders(Long.MAX_VALUE, Long.MAX_VALUE);
        int[] inFlight = new int[loops.length];
        ObjectNode out = measure(rate, warmup, duration, rec, (loop, conns, k, intended) -> {
            if (inFlight[loop] >= maxInFlight) {
                rec[loop].failed(intended, "generator_in_flight_limit");
                return;
            }
            inFlight[loop]++;
            ClientConn conn = new ClientConn(new ClientConn.Events() {
                @Override
                public void onReady(ClientConn c) {
                }

                @Override
                public void onResponse(ClientConn c, long i, int status, long bodyBytes) {
                    rec[loop].response(i, System.nanoTime(), status, bodyBytes);
                }

                @Override
                public void onClosed(ClientConn c, String cause) {
                    inFlight[loop]--;
                    for (int p = 0; p < c.pending(); p++) {
                        rec[loop].failed(c.pendingAt(p), cause == null ? "closed" : cause);
                    }
                }
            }, request, target.tls());
            conn.send(intended);
            rec[loop].connectionsOpened++;
            connect(loops[loop], target, conn);
        }, null);
        return out;
    }

    // ---- the concurrency ramp: hold, probe, release ---------------------------------------------------------------

    private ObjectNode hold(JsonNode cmd) throws Exception {
        Target target = Target.of(cmd);
        int total = cmd.path("connections").asInt();
        if (heldRequest == null) {
            heldRequest = target.request(false);
        }
        int have = heldCount();
        Recorder[] rec = recorders(0, Long.MAX_VALUE);
        java.util.function.IntFunction<Recorder> route = loop -> {
            Recorder[] probing = ProbeRouter.current;
            return probing != null ? probing[loop] : rec[loop];
        };
        List<List<ClientConn>> fresh = new ArrayList<>();
        for (int i = 0; i < loops.length; i++) {
            fresh.add(new ArrayList<>());
        }
        long start = System.nanoTime();
        OpenResult r = open(target, heldRequest, Math.max(0, total - have), fresh, route,
                cmd.path("open_parallel").asInt(256));
        // One request on each new connection, so every held flow was relayed end to end.
        CompletableFuture<?>[] firsts = new CompletableFuture<?>[loops.length];
        for (int i = 0; i < loops.length; i++) {
            int loop = i;
            firsts[i] = CompletableFuture.runAsync(() -> {
                long now = System.nanoTime();
                for (ClientConn c : fresh.get(loop)) {
                    c.send(now);
                }
            }, loops[loop]);
        }
        CompletableFuture.allOf(firsts).get(30, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && pendingOn(fresh) > 0) {
            Thread.sleep(20);
        }
        for (int i = 0; i < loops.length; i++) {
            held.get(i).addAll(fresh.get(i));
        }
        held.forEach(l -> l.removeIf(c -> !c.ready()));
        Recorder total2 = merge(rec);
        ObjectNode out = JSON.createObjectNode();
        out.put("held", heldCount());
        out.put("opened", r.ready);
        out.put("open_seconds", (System.nanoTime() - start) / 1e9);
        out.set("open_errors", JSON.valueToTree(r.errors));
        out.set("errors", JSON.valueToTree(total2.errors));
        out.put("first_responses", total2.responses);
        return out;
    }

    private ObjectNode probe(JsonNode cmd) throws Exception {
        double rate = cmd.path("rate").asDouble();
        long warmup = seconds(cmd, "warmup_seconds");
        long duration = seconds(cmd, "duration_seconds");
        Recorder[] rec = recorders(Long.MAX_VALUE, Long.MAX_VALUE);
        // The held connections report to the probe's recorders while it runs.
        List<List<ClientConn>> snapshot = new ArrayList<>();
        for (List<ClientConn> l : held) {
            snapshot.add(List.copyOf(l));
        }
        ProbeRouter.current = rec;
        try {
            ObjectNode out = measure(rate, warmup, duration, rec, (loop, conns, k, intended) -> {
                List<ClientConn> own = snapshot.get(loop);
                if (own.isEmpty()) {
                    rec[loop].failed(intended, "no_held_connection");
                    return;
                }
                own.get((int) (k % own.size())).send(intended);
            }, snapshot);
            out.put("held", heldCount());
            return out;
        } finally {
            ProbeRouter.current = null;
        }
    }

    private ObjectNode release() throws Exception {
        int n = heldCount();
        closeAll(held);
        for (List<ClientConn> l : held) {
            l.clear();
        }
        return JSON.createObjectNode().put("released", n);
    }

    private int heldCount() {
        int n = 0;
        for (List<ClientConn> l : held) {
            n += l.size();
        }
        return n;
    }

    /** Routes the held connections' responses to the probe running now (none between probes). */
    private static final class ProbeRouter {
        static volatile Recorder[] current;
    }

    // ---- bulk: one large download ------------------------------------------------------------------------------

    private ObjectNode bulk(JsonNode cmd) throws Exception {
        Target target = Target.of(cmd);
        long bytes = cmd.path("bytes").asLong();
        Target t = new Target(target.ip(), target.port(), target.host(), "/bulk?bytes=" + bytes, target.tls(),
                target.source());
        ByteBuf request = t.request(true);
        CompletableFuture<long[]> done = new CompletableFuture<>();
        long[] times = new long[3];
        ClientConn conn = new ClientConn(new ClientConn.Events() {
            @Override
            public void onReady(ClientConn c) {
                times[0] = System.nanoTime();
                mark("start");
                c.send(times[0]);
            }

            @Override
            public void onResponse(ClientConn c, long intended, int status, long bodyBytes) {
                times[1] = System.nanoTime();
                done.complete(new long[] {status, bodyBytes});
            }

            @Override
            public void onClosed(ClientConn c, String cause) {
                done.completeExceptionally(new IOException("bulk connection closed: " + cause));
            }
        }, request, t.tls());
        connect(loops[0], t, conn);
        long[] r = done.get(600, TimeUnit.SECONDS);
        mark("end");
        conn.close();
        double seconds = (times[1] - times[0]) / 1e9;
        ObjectNode out = JSON.createObjectNode();
        out.put("status", r[0]);
        out.put("bytes", r[1]);
        out.put("seconds", seconds);
        out.put("mib_per_second", r[1] / seconds / (1 << 20));
        if (r[1] != bytes || r[0] != 200) {
            out.put("failure", "expected 200 with " + bytes + " bytes, got " + r[0] + " with " + r[1]);
        }
        return out;
    }

    // ---- pacing and measuring -------------------------------------------------------------------------------------

    /** What a loop does with request {@code k} of its share, due at {@code intended}; runs on loop {@code loop}. */
    private interface Dispatch {
        void dispatch(int loop, List<List<ClientConn>> conns, long k, long intended);
    }

    /**
     * Runs the open-loop schedule: {@code rate} requests/s in total, loop {@code j} taking requests {@code j, j+L,
     * j+2L, ...}; marks the window {@code [t0 + warmup, t0 + warmup + duration)}, then waits for the responses
     * (at most {@link #DRAIN_NANOS}) and counts what is still missing as errors.
     */
    private ObjectNode measure(double rate, long warmup, long duration, Recorder[] rec, Dispatch dispatch,
                               List<List<ClientConn>> conns) throws Exception {
        if (rate <= 0) {
            throw new IllegalArgumentException("rate: " + rate + " (expected: > 0)");
        }
        long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        long windowStart = t0 + warmup;
        long end = windowStart + duration;
        for (Recorder r : rec) {
            r.windowStart = windowStart;
            r.windowEnd = end;
        }
        double interval = 1e9 / rate;
        int l = loops.length;
        for (int j = 0; j < l; j++) {
            int loop = j;
            Runnable pacer = new Runnable() {
                long k; // this loop's k-th request is the global request k * L + loop

                @Override
                public void run() {
                    long now = System.nanoTime();
                    while (true) {
                        long intended = t0 + (long) ((k * l + loop) * interval);
                        if (intended >= end) {
                            return;
                        }
                        if (intended > now) {
                            loops[loop].schedule(this, intended - now, TimeUnit.NANOSECONDS);
                            return;
                        }
                        rec[loop].late(intended, now);
                        dispatch.dispatch(loop, conns, k, intended);
                        k++;
                    }
                }
            };
            loops[loop].schedule(pacer, Math.max(0, t0 - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        sleepUntil(windowStart);
        long cpu0 = io.clawgress.benchmarks.load.Proc.cpuNanos(ProcessHandle.current().pid());
        mark("start");
        sleepUntil(end);
        mark("end");
        long cpu1 = io.clawgress.benchmarks.load.Proc.cpuNanos(ProcessHandle.current().pid());
        // Wait for the responses to the window's requests.
        long drainDeadline = end + DRAIN_NANOS;
        while (System.nanoTime() < drainDeadline && outstandingInWindow(rec, conns) > 0) {
            Thread.sleep(10);
        }
        Recorder total = merge(rec);
        long expected = (long) Math.floor(rate * duration / 1e9);
        long missing = Math.max(0, total.sent - total.responses - total.errorCount() + total.non2xx);
        if (missing > 0) {
            total.errors.merge("no_response_within_10s", missing, Long::sum);
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("latency", encode(total.latency));
        out.put("responses", total.responses);
        out.put("sent", total.sent);
        out.put("expected", expected);
        out.put("errors_total", total.errorCount());
        out.set("errors", JSON.valueToTree(total.errors));
        out.put("window_seconds", duration / 1e9);
        out.put("rate_achieved", total.responses / (duration / 1e9));
        out.put("connections_opened", total.connectionsOpened);
        out.put("pacer_late_p50_us", total.lateness.getValueAtPercentile(50) / 1000.0);
        out.put("pacer_late_p99_us", total.lateness.getValueAtPercentile(99) / 1000.0);
        out.put("pacer_late_max_us", total.lateness.getMaxValue() / 1000.0);
        out.put("agent_cpu_seconds", (cpu1 - cpu0) / 1e9);
        return out;
    }

    private long outstandingInWindow(Recorder[] rec, List<List<ClientConn>> conns) throws Exception {
        long n = 0;
        for (int i = 0; i < loops.length; i++) {
            Recorder r = rec[i];
            n += loops[i].submit(() -> r.sent - r.responses - windowErrors(r)).get();
        }
        return n;
    }

    /** Errors recorded for window requests, excluding HTTP statuses (those requests got a response). */
    private static long windowErrors(Recorder r) {
        return r.errorCount() - r.non2xx;
    }

    private Recorder[] recorders(long windowStart, long windowEnd) {
        Recorder[] rec = new Recorder[loops.length];
        for (int i = 0; i < rec.length; i++) {
            rec[i] = new Recorder(windowStart, windowEnd);
        }
        return rec;
    }

    private Recorder merge(Recorder[] rec) throws Exception {
        Recorder total = new Recorder(0, 0);
        for (int i = 0; i < loops.length; i++) {
            Recorder r = rec[i];
            loops[i].submit(() -> r.addTo(total)).get();
        }
        return total;
    }

    private ChannelFuture connect(EventLoop loop, Target target, ClientConn conn) {
        Bootstrap b = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (target.tls()) {
                            SslHandler ssl = tls.newHandler(ch.alloc(), target.host(), target.port());
                            ssl.setHandshakeTimeoutMillis(10_000);
                            ch.pipeline().addLast("tls", ssl);
                        }
                        ch.pipeline().addLast("client", conn);
                    }
                });
        ChannelFuture f = target.local() == null ? b.connect(target.address())
                : b.connect(target.address(), target.local());
        f.addListener(done -> {
            if (!done.isSuccess()) {
                conn.connectFailed(done.cause());
            }
        });
        return f;
    }

    private void closeAll(List<List<ClientConn>> byLoop) throws Exception {
        List<ChannelFuture> closing = new ArrayList<>();
        for (List<ClientConn> l : byLoop) {
            for (ClientConn c : l) {
                if (c.channel() != null) {
                    closing.add(c.channel().close());
                }
            }
        }
        for (ChannelFuture f : closing) {
            f.await(10, TimeUnit.SECONDS);
        }
    }

    private static long pendingOn(List<List<ClientConn>> byLoop) {
        long n = 0;
        for (List<ClientConn> l : byLoop) {
            for (ClientConn c : l) {
                if (c.ready()) {
                    n += c.pending();
                }
            }
        }
        return n;
    }

    private static ObjectNode failure(String message) {
        return JSON.createObjectNode().put("failure", message);
    }

    private static long seconds(JsonNode cmd, String field) {
        return (long) (cmd.path(field).asDouble() * 1e9);
    }

    private static void sleepUntil(long nanoTime) {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }

    static String encode(Histogram h) {
        ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(buf);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buf.array(), n));
    }
}
